"""A hostile service (issue 12): the deadline fires, memory stays bounded, errors are typed.

Every test talks to :class:`hostile.HostileServer` over a real loopback socket, through the
sync and the async client (and, for the deadline, through ChatQwenOmni and QwenOmni).
"""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc

import httpx2  # noqa: F401 - imported up front: the timing tests measure requests, not imports
import openai  # noqa: F401
import pytest

from qwen_omni import (
    APITimeoutError,
    AsyncOmniClient,
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
    OmniClient,
    QuotaExceededError,
    RateLimitError,
    ServiceError,
    StreamInterrupted,
    Timeouts,
)

from . import hostile
from .hostile import HostileServer

pytestmark = pytest.mark.integration

KEY = "sk-hostile-test-key-0001"


@pytest.fixture
def serve():
    servers: list[HostileServer] = []

    def start(behaviour):
        server = HostileServer(behaviour)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.close()


def sync_call(server, *, total=1.0, retries=0, **kw):
    client = OmniClient(
        api_key=KEY,
        base_url=server.base_url,
        timeout=Timeouts(connect=2, first_byte=30, total=total),
        max_retries=retries,
        **kw,
    )
    try:
        return client.complete("hi")
    finally:
        client.close()


def async_call(server, *, total=1.0, retries=0, **kw):
    async def run():
        async with AsyncOmniClient(
            api_key=KEY,
            base_url=server.base_url,
            timeout=Timeouts(connect=2, first_byte=30, total=total),
            max_retries=retries,
            **kw,
        ) as client:
            return await client.complete("hi")

    return asyncio.run(run())


CALLS = [pytest.param(sync_call, id="sync"), pytest.param(async_call, id="async")]


# --- the total timeout fires whatever the server sends ---------------------------------------


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    "behaviour",
    [hostile.keepalives, hostile.drip, hostile.silent_after_headers, hostile.status_drip],
    ids=["keepalives", "drip", "silent", "status-line-drip"],
)
def test_total_timeout_fires_on_wall_clock(serve, call, behaviour):
    server = serve(behaviour)
    start = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        call(server, total=0.8)
    elapsed = time.monotonic() - start
    # Without the wall-clock deadline these run for ever (keep-alives, drip), for the 30 s
    # first-byte timeout (silent) or ~200 s (a dripped 4 KB header); the slack covers a
    # heavily loaded machine (first-call imports, scheduling).
    assert elapsed < 0.8 + 4.0, f"took {elapsed:.2f} s for a 0.8 s total timeout"
    assert "0.8 s" in str(info.value)


def test_drip_after_output_is_a_timed_out_interruption_with_the_partial(serve):
    def answer_then_drip(conn, body):
        conn.send(hostile.sse_headers())
        conn.send(hostile.sse({"id": "chatcmpl-1", **hostile.choice({"content": "x"})}))
        hostile.drip(conn, body)

    server = serve(answer_then_drip)
    with pytest.raises(StreamInterrupted) as info:
        sync_call(server, total=1.2)
    assert isinstance(info.value, APITimeoutError)  # catchable as a timeout too
    assert info.value.partial is not None and info.value.partial.text.startswith("x")


def test_total_timeout_through_langchain_and_llamaindex(serve):
    from langchain_qwen_omni import ChatQwenOmni
    from llama_index.llms.qwen_omni import QwenOmni

    server = serve(hostile.keepalives)
    lc = ChatQwenOmni(api_key=KEY, base_url=server.base_url, timeout=0.8, max_retries=0)
    li = QwenOmni(api_key=KEY, base_url=server.base_url, timeout=0.8, max_retries=0)
    for run in (
        lambda: lc.invoke("hi"),
        lambda: asyncio.run(lc.ainvoke("hi")),
        lambda: li.complete("hi"),
        lambda: asyncio.run(li.acomplete("hi")),
    ):
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            run()
        assert time.monotonic() - start < 0.8 + 4.0


# --- memory stays bounded ----------------------------------------------------------------


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    "behaviour", [hostile.endless_line, hostile.endless_gzip_line], ids=["plain", "gzip"]
)
def test_endless_line_is_cut_at_the_event_cap(serve, call, behaviour):
    server = serve(behaviour)
    cap = 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(MalformedResponseError, match="longer than 1,048,576 bytes"):
            call(server, total=20, max_event_bytes=cap)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 * cap, f"peak {peak:,} bytes for a {cap:,}-byte cap"


def test_event_cap_is_configurable_from_the_environment(serve, monkeypatch):
    monkeypatch.setenv("QWEN_OMNI_MAX_EVENT_BYTES", "4096")
    big = "y" * 8000
    server = serve(hostile.stream_of(hostile.sse(hostile.choice({"content": big}))))
    with pytest.raises(MalformedResponseError, match="4,096"):
        sync_call(server)


@pytest.mark.parametrize("call", CALLS)
def test_gzip_bomb_error_page_is_read_bounded(serve, call):
    server = serve(hostile.gzip_bomb_error)
    tracemalloc.start()
    try:
        with pytest.raises(ServiceError) as info:
            call(server, total=20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes"
    assert len(str(info.value)) < 2000 and info.value.request_id == "req-bomb"


# --- everything the service sends maps to a typed error ------------------------------------


@pytest.mark.parametrize("call", CALLS)
def test_html_error_page_gives_status_request_id_and_a_bounded_excerpt(serve, call):
    server = serve(hostile.html_500)
    with pytest.raises(ServiceError) as info:
        call(server)
    err = info.value
    text = str(err)
    assert err.status_code == 500 and err.request_id == "req-html"
    assert "Bad Gateway" in text and "<p>" not in text and len(text) < 1500
    assert len(json.dumps(err.body)) < 1500  # the body kept on the error is bounded too
    assert "try again later" in text  # an action


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            {"error": {"code": "Arrearage", "message": "Access denied, account in arrears"}},
            "application/json",
            QuotaExceededError,
        ),
        (
            {"code": "DataInspectionFailed", "message": "Input data may contain inappropriate"},
            "application/json",
            BadRequestError,
        ),
        ({"error": {"code": "invalid_api_key", "message": "bad key"}}, "", AuthenticationError),
        ({"error": {"code": "Throttling", "message": "many"}}, "text/event-stream", RateLimitError),
    ],
)  # fmt: skip
def test_http_200_with_a_json_error_body_raises_that_error(
    serve, call, body, content_type, expected
):
    server = serve(hostile.json_error_200(body, content_type))
    with pytest.raises(expected) as info:
        call(server)
    assert "finish reason" not in str(info.value)
    assert info.value.status_code == 200


@pytest.mark.parametrize("call", CALLS)
def test_retry_after_longer_than_the_time_left_raises_at_once(serve, call):
    server = serve(hostile.status(429, "Retry-After: 3600\r\n"))
    start = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        call(server, total=30, retries=5)
    assert time.monotonic() - start < 2
    assert info.value.retry_after == 3600
    assert len(server.requests) == 1
    assert "3600 s" in str(info.value) and "retry after" in str(info.value)


def test_retry_after_within_the_cap_is_honoured(serve):
    attempts: list[float] = []

    def once_busy(conn, body):
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            hostile.status(429, "Retry-After: 0.3\r\n")(conn, body)
        else:
            conn.send(hostile.sse_headers() + hostile.answer("done"))

    server = serve(once_busy)
    assert sync_call(server, total=10, retries=2).text == "done"
    assert attempts[1] - attempts[0] >= 0.3


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    "stream",
    [
        b"data: {bad json\n\n",
        b"data: [1, 2, 3]\n\n",
        b'data: {"choices": [{"index": 0, "delta": {"content": 5}}]}\n\n',
        b'data: {"choices": [{"index": 0, "delta": {"audio": {"data": "***"}}}]}\n\n',
        b'data: {"choices": "nope"}\n\n',
        b"data: \xff\xfe\n\n",
    ],
    ids=["bad-json", "array", "content-number", "bad-base64", "choices-string", "not-utf8"],
)
def test_malformed_chunks_are_malformed_response_errors(serve, call, stream):
    server = serve(hostile.stream_of(stream))
    with pytest.raises(MalformedResponseError, match="check"):
        call(server)


def test_malformed_chunk_before_output_is_retried(serve):
    seen = []

    def first_bad(conn, _):
        seen.append(1)
        conn.send(hostile.sse_headers())
        conn.send(b"data: {oops\n\n" if len(seen) == 1 else hostile.answer("fine"))

    server = serve(first_bad)
    assert sync_call(server, retries=1).text == "fine" and len(seen) == 2


def test_html_page_with_http_200_is_malformed_with_an_excerpt(serve):
    page = b"<html><body><h1>Captive portal</h1>" + b"<p>x</p>" * 20000 + b"</body></html>"

    def portal(conn, _):
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n" + page)

    server = serve(portal)
    with pytest.raises(MalformedResponseError, match="Captive portal") as info:
        sync_call(server)
    assert len(str(info.value)) < 1000


@pytest.mark.parametrize("call", CALLS)
def test_several_choices_are_not_interleaved_over_the_wire(serve, call):
    c = hostile.choice
    body = hostile.sse(
        {"id": "chatcmpl-1", **c({"content": "Yes"})},
        c({"content": " NO"}, index=1),
        c({"content": "!"}),
        c(finish="length", index=1),
        c(finish="stop"),
    )
    server = serve(hostile.stream_of(body + b"data: [DONE]\n\n"))
    r = call(server)
    assert (r.text, r.finish_reason) == ("Yes!", "stop")


@pytest.mark.parametrize("call", CALLS)
def test_cut_off_tool_arguments_are_never_callable(serve, call):
    c = hostile.choice
    args = '{"to":"alice","amount":1000000'
    tc = {"index": 0, "id": "call_1", "function": {"name": "transfer", "arguments": args}}
    body = hostile.sse({"id": "chatcmpl-1", **c({"tool_calls": [tc]})}, c(finish="length"))
    server = serve(hostile.stream_of(body + b"data: [DONE]\n\n"))
    r = call(server)
    assert r.tool_calls == [] and r.invalid_tool_calls[0].name == "transfer"


@pytest.mark.parametrize("call", CALLS)
def test_stream_ending_mid_arguments_raises_with_no_callable_partial(serve, call):
    c = hostile.choice
    tc = {"index": 0, "id": "call_1", "function": {"name": "transfer", "arguments": '{"to":"al'}}
    server = serve(hostile.stream_of(hostile.sse({"id": "chatcmpl-1", **c({"tool_calls": [tc]})})))
    with pytest.raises(StreamInterrupted) as info:
        call(server)
    assert info.value.partial.tool_calls == []
    assert info.value.partial.invalid_tool_calls[0].name == "transfer"


# --- our own bugs are not disguised as network failures -----------------------------------


@pytest.mark.parametrize("call", CALLS)
def test_a_bug_in_our_decoding_surfaces_as_itself(serve, call, monkeypatch):
    from qwen_omni import _stream

    original = _stream.StreamDecoder.feed
    calls = {"n": 0}

    def buggy(self, chunk):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyError("our bug")
        return original(self, chunk)

    monkeypatch.setattr(_stream.StreamDecoder, "feed", buggy)
    server = serve(hostile.stream_of(hostile.answer("hello")))
    with pytest.raises(KeyError, match="our bug"):
        call(server, retries=3)
    assert len(server.requests) == 1  # not retried as if the service had failed


# --- secrets never come back out, even when the service echoes them -------------------------

SECRET = "sk-echoed-secret-7f3a9c2e"


def _echo(status: int):
    body = json.dumps(
        {"error": {"code": "InvalidApiKey", "message": f"Invalid API-key provided: {SECRET}"}}
    ).encode()
    return hostile.status(status, body=body)


@pytest.mark.parametrize("status", [401, 500, 200])
def test_an_echoed_key_is_masked_in_errors_and_logs(serve, status, caplog):
    import logging
    import traceback

    server = serve(_echo(status))
    caplog.set_level(logging.DEBUG)
    client = OmniClient(api_key=SECRET, base_url=server.base_url, max_retries=1)
    with pytest.raises(Exception) as info:
        client.complete("hi")
    client.close()
    exc = info.value
    shown = "".join(traceback.format_exception(exc)) + repr(getattr(exc, "body", None))
    shown += caplog.text + repr(exc.args)
    assert SECRET not in shown
    assert "***" in str(exc)


def test_an_echoed_key_is_masked_in_tool_results(serve):
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks, ToolRefusal, to_text

    server = serve(_echo(500))

    async def run():
        async with AsyncOmniTasks(
            api_key=SECRET, base_url=server.base_url, max_retries=0, policy=AccessPolicy()
        ) as tasks:
            return await tasks.run_tool(
                "analyze_image", {"source": "https://example.com/a.png", "question": "?"}
            )

    # The URL is checked before any request (DNS of example.com may fail offline): whichever
    # refusal comes back, it never holds the key.
    result = asyncio.run(run())
    assert isinstance(result, ToolRefusal)
    assert SECRET not in to_text(result)


def test_repr_masks_userinfo_in_base_url():
    client = OmniClient(api_key=KEY, base_url="https://user:hunter2pass@gw.example.com/v1")
    assert "hunter2pass" not in repr(client) and "user:" not in repr(client)
    assert "***@gw.example.com" in repr(client)
    assert "hunter2pass" not in repr(client.settings)


def test_integration_reprs_mask_userinfo_and_errors_mask_the_password():
    from langchain_qwen_omni import ChatQwenOmni
    from llama_index.llms.qwen_omni import QwenOmni

    url = "https://user:hunter3pass@gw.example.com/v1"
    for model in (ChatQwenOmni(base_url=url, api_key=KEY), QwenOmni(base_url=url, api_key=KEY)):
        assert "hunter3pass" not in repr(model) and "hunter3pass" not in str(model)
    from qwen_omni.errors import APIError

    OmniClient(base_url=url, api_key=KEY)  # the configured password is now a known secret
    assert "hunter3pass" not in str(APIError(f"gateway said: bad password hunter3pass for {url}"))


def test_cli_json_masks_an_echoed_key(serve, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from qwen_omni.cli import app
    from qwen_omni.media.synthetic import make_image

    server = serve(_echo(500))
    pic = make_image(tmp_path / "a.png", width=64, height=48)
    result = CliRunner().invoke(
        app,
        ["analyze", str(pic), "what?", "--json", "--base-url", server.base_url, "--live"],
        env={"DASHSCOPE_API_KEY": SECRET},
    )
    assert result.exit_code == 4, result.output
    assert SECRET not in result.output and "***" in result.output


# --- a malformed answer is a refusal on every agent surface, exit 4 in the CLI ---------------


@pytest.fixture
def pic(tmp_path):
    from qwen_omni.media.synthetic import make_image

    root = tmp_path / "media"
    root.mkdir()
    make_image(root / "a.png", width=64, height=48)
    return root


def test_malformed_output_is_a_service_refusal_on_every_surface(serve, pic):
    from mcp import Client
    from typer.testing import CliRunner

    from langchain_qwen_omni import AnalyzeImageTool
    from llama_index.tools.qwen_omni import QwenOmniToolSpec
    from qwen_omni.cli import app
    from qwen_omni.mcp_server import build_server
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks, ToolRefusal

    server = serve(hostile.stream_of(b"data: {not json\n\n"))
    args = {"source": "a.png", "question": "what is it?"}
    conn = {"api_key": KEY, "base_url": server.base_url, "max_retries": 0}

    async def core_and_mcp():
        async with AsyncOmniTasks(policy=AccessPolicy(roots=(pic,)), **conn) as tasks:
            direct = await tasks.run_tool("analyze_image", args)
            async with Client(build_server(tasks)) as client:
                over_mcp = await client.call_tool("analyze_image", args)
        return direct, over_mcp

    direct, over_mcp = asyncio.run(core_and_mcp())
    assert isinstance(direct, ToolRefusal) and direct.kind == "service_error"
    mcp_text = " ".join(getattr(c, "text", "") for c in over_mcp.content)
    assert over_mcp.is_error and "service_error" in mcp_text and "Internal" not in mcp_text

    lc = AnalyzeImageTool(media_roots=[pic], **conn)
    message = lc.invoke({"type": "tool_call", "id": "c1", "name": lc.name, "args": args})
    assert message.status == "error" and "service_error" in message.content

    spec = QwenOmniToolSpec(policy=AccessPolicy(roots=(pic,)), **conn)
    try:
        tools = {t.metadata.name: t for t in spec.to_tool_list()}
        output = tools["analyze_image"].call(**args)
    finally:
        spec.close()
    assert "service_error" in str(output.content)

    result = CliRunner().invoke(
        app,
        ["analyze", str(pic / "a.png"), "what?", "--base-url", server.base_url, "--live"],
        env={"DASHSCOPE_API_KEY": KEY},
    )
    assert result.exit_code == 4, result.output
    assert "MalformedResponseError" in result.output
