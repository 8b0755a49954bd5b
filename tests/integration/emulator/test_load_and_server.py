"""Load (200 concurrent streams), throughput of a 5,000-delta stream, and running the server."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import openai
import pytest

from qwen_omni_emulator import Emulator, Reply, serve

from .conftest import MODEL, http, user


async def test_200_concurrent_streams_without_errors(qwen_omni_emulator):
    qwen_omni_emulator.responder = lambda request: Reply.text(f"answer to {request.last_user_text}")
    limits = httpx.Limits(max_connections=250, max_keepalive_connections=250)
    client = qwen_omni_emulator.async_client(
        http_client=httpx.AsyncClient(limits=limits, timeout=60, trust_env=False)
    )

    async def one(i: int) -> tuple[str, int]:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": f"q{i}"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        text, total = "", 0
        async for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            if chunk.usage:
                total = chunk.usage.total_tokens
        return text, total

    started = time.monotonic()
    results = await asyncio.gather(*(one(i) for i in range(200)))
    elapsed = time.monotonic() - started
    await client.close()
    assert [text for text, _ in results] == [f"answer to q{i}" for i in range(200)]
    assert all(total > 0 for _, total in results)
    assert [r.status for r in qwen_omni_emulator.requests.chat()] == [200] * 200
    assert elapsed < 30


def test_5000_delta_stream_is_served_fast(qwen_omni_emulator):
    """The server's own cost for 5,000 deltas is a few ms; the client's parsing dominates."""
    deltas = [f"t{i} " for i in range(5000)]
    qwen_omni_emulator.script(Reply.stream(deltas), Reply.stream(deltas))

    # raw bytes: what the emulator costs, measured at the socket
    started = time.perf_counter()
    with http().stream(
        "POST",
        f"{qwen_omni_emulator.base_url}/chat/completions",
        json={"model": MODEL, "stream": True, "messages": [user("go")]},
        headers={"Authorization": f"Bearer {qwen_omni_emulator.api_key}"},
    ) as response:
        size = sum(len(b) for b in response.iter_raw())
    raw_s = time.perf_counter() - started

    # the official client, parsing every chunk
    client = qwen_omni_emulator.client()
    started = time.perf_counter()
    count = 0
    text = []
    for chunk in client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "go"}], stream=True
    ):
        count += 1
        text.append(chunk.choices[0].delta.content or "")
    client_s = time.perf_counter() - started

    assert "".join(text) == "".join(deltas)
    assert count == 5002  # role chunk + 5,000 deltas + finish chunk
    assert size > 5000 * 150
    server_s = qwen_omni_emulator.requests.last.elapsed_s
    print(
        f"\n5,000 deltas: raw bytes {raw_s * 1000:.0f} ms ({5000 / raw_s:,.0f} deltas/s); "
        f"openai client {client_s * 1000:.0f} ms ({5000 / client_s:,.0f} deltas/s); "
        f"server time {server_s * 1000:.0f} ms"
    )
    # generous bounds (a loaded CI box); unloaded, both are a few tens of ms
    assert raw_s < 2.0
    assert server_s < 1.0


def test_emulator_context_manager_start_stop_and_addresses():
    emu = Emulator()
    assert "stopped" in repr(emu)
    with emu:
        assert emu.base_url == f"http://127.0.0.1:{emu.port}/compatible-mode/v1"
        assert emu.api_base_url == f"http://127.0.0.1:{emu.port}/api/v1"
        assert emu.oss_endpoint == f"http://127.0.0.1:{emu.oss_port}"
        assert emu.port != emu.oss_port
        assert emu.api_key == "emu-key"
        assert http().get(f"{emu.oss_endpoint}/").status_code < 500  # the OSS server answers
        port = emu.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)


def test_unknown_setting_is_rejected():
    with pytest.raises(TypeError, match="unknown Emulator settings"):
        Emulator(latency=1)


async def test_async_context_manager_and_async_client():
    async with Emulator() as emu:
        emu.script(Reply.text("async ok"))
        client = emu.async_client()
        stream = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        await client.close()
    assert text == "async ok"


def test_serve_prints_the_addresses_and_stops(capsys):
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=serve, kwargs={"ready": ready, "stop": stop, "api_key": "cli-key"}
    )
    thread.start()
    try:
        assert ready.wait(10)
        out = capsys.readouterr().out
        base_url = next(
            line.split()[-1] for line in out.splitlines() if line.strip().startswith("base_url")
        )
        assert "api_key       cli-key" in out
        client = openai.OpenAI(base_url=base_url, api_key="cli-key", max_retries=0)
        stream = client.chat.completions.create(model=MODEL, messages=[user("hi")], stream=True)
        assert any(c.choices for c in stream)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_pytest_fixture_resets_between_tests_part_1(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("left over"))
    http().post(
        f"{qwen_omni_emulator.base_url}/chat/completions",
        json={"model": MODEL, "messages": [user("x")]},
        headers={"Authorization": f"Bearer {qwen_omni_emulator.api_key}"},
    )


def test_pytest_fixture_resets_between_tests_part_2(qwen_omni_emulator):
    assert qwen_omni_emulator.pending_replies == 0
    assert len(qwen_omni_emulator.requests) == 0


def test_default_reply_reports_json_when_asked_and_nothing_else_is_named(qwen_omni_emulator):
    response = http().post(
        f"{qwen_omni_emulator.base_url}/chat/completions",
        json={
            "model": MODEL,
            "stream": True,
            "messages": [user("answer in json")],
            "response_format": {"type": "json_object"},
        },
        headers={"Authorization": f"Bearer {qwen_omni_emulator.api_key}"},
    )
    events = [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")
    ]
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    value = json.loads(text)
    assert value["model"] == MODEL
    assert value["perceived"] == []
    assert value["prompt"]
