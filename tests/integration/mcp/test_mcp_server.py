"""The MCP server with the official MCP client: in-process, over stdio and over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys

import pytest
from mcp import Client, StdioServerParameters

from qwen_omni.errors import ConfigurationError
from qwen_omni.mcp_server import build_server, serve_async
from qwen_omni.tasks import TOOLS
from qwen_omni_emulator import Reply

pytestmark = pytest.mark.integration

HOSTILE = [
    {"source": "/etc/passwd", "question": "read it"},
    {"source": "../../../root/.ssh/id_rsa", "question": "read it"},
    {"source": "http://169.254.169.254/latest/meta-data/", "question": "read it"},
    {"source": "http://100.100.100.200/latest/meta-data/", "question": "read it"},
    {"source": "http://127.0.0.1:8080/admin", "question": "read it"},
    {"source": "file:///proc/self/environ", "question": "read it"},
    {"source": "gopher://localhost:6379/_FLUSHALL", "question": "read it"},
]


def _validates(instance, schema) -> None:
    """A small structural check of structured content against the output schema."""
    for name in schema.get("required", []):
        assert name in instance, name


async def test_list_and_call_in_process(tasks, emu, media_root):
    server = build_server(tasks)
    async with Client(server) as client:
        listed = (await client.list_tools()).tools
        assert [t.name for t in listed] == [t.name for t in TOOLS]
        by_name = {t.name: t for t in listed}
        video = by_name["analyze_video"]
        assert video.input_schema["required"] == ["source", "question"]
        assert video.output_schema is not None
        assert video.annotations.read_only_hint is True
        assert "URL" in video.description

        result = await client.call_tool(
            "analyze_video", {"source": "clip.mp4", "question": "What happens?"}
        )
        assert result.is_error is False
        assert "video: 3.00 s" in result.content[0].text
        structured = result.structured_content
        _validates(structured, video.output_schema)
        assert structured["sent"]["media"][0]["source"] == "clip.mp4"
        assert structured["sent"]["usage"]["input_video_tokens"] > 0


async def test_structured_json_tool_over_mcp(tasks, emu):
    emu.script(
        Reply.json(
            {
                "mentions": [
                    {
                        "topic": "pricing",
                        "mentioned": True,
                        "evidence": "ten dollars",
                        "time_s": 1,
                        "confidence": 0.9,
                    }
                ]
            }
        )
    )
    async with Client(build_server(tasks)) as client:
        result = await client.call_tool(
            "did_call_mention", {"source": "call.mp3", "topics": ["pricing"]}
        )
    assert result.is_error is False
    assert result.structured_content["mentions"][0]["mentioned"] is True
    assert "pricing: MENTIONED" in result.content[0].text


@pytest.mark.parametrize("arguments", HOSTILE)
async def test_hostile_arguments_are_refused_as_tool_errors(tasks, emu, arguments):
    async with Client(build_server(tasks)) as client:
        result = await client.call_tool("analyze_video", arguments)
    assert result.is_error is True
    text = result.content[0].text
    assert text.startswith("Tool refused (access_denied)")
    assert "Traceback" not in text
    assert not emu.requests


async def test_bad_arguments_and_unknown_tools(tasks):
    async with Client(build_server(tasks)) as client:
        missing = await client.call_tool("did_call_mention", {"source": "call.mp3"})
        assert missing.is_error
        assert "topics" in missing.content[0].text
        unknown = await client.call_tool("format_disk", {})
        assert unknown.is_error
        assert "analyze_video" in unknown.content[0].text


async def test_progress_notifications_for_long_videos(tasks, emu):
    emu.responder = lambda request: Reply.text(f"summary from {request.model}")
    seen: list[tuple[float, str]] = []

    async def on_progress(progress, total, message):
        seen.append((progress, message))

    async with Client(build_server(tasks)) as client:
        result = await client.call_tool(
            "summarize_long_video", {"source": "long.mp4"}, progress_callback=on_progress
        )
    assert result.is_error is False, result.content[0].text
    assert result.structured_content["complete"] is True
    n = len(result.structured_content["segments"])
    assert n >= 2
    messages = [m for _, m in seen]
    assert sum(1 for m in messages if m.startswith("[segments") and "done" in m) == n
    assert any(m.startswith("[summary") for m in messages)
    progress_values = [p for p, _ in seen]
    assert progress_values == sorted(progress_values)  # MCP progress must increase


async def test_only_selected_tools(tasks):
    async with Client(build_server(tasks, tools=["transcribe"])) as client:
        assert [t.name for t in (await client.list_tools()).tools] == ["transcribe"]
    with pytest.raises(ValueError, match="unknown tools"):
        build_server(tasks, tools=["rm"])


async def test_stdio_round_trip_with_a_subprocess(emu, media_root):
    env = {
        **os.environ,
        "DASHSCOPE_API_KEY": emu.api_key,
        "QWEN_OMNI_BASE_URL": emu.base_url,
        "QWEN_OMNI_TOOL_ROOTS": str(media_root),
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "qwen_omni.mcp_server"], env=env
    )
    async with Client(params, read_timeout_seconds=60) as client:
        tools = (await client.list_tools()).tools
        assert len(tools) == len(TOOLS)
        ok = await client.call_tool("analyze_audio", {"source": "call.mp3", "question": "Tone?"})
        assert ok.is_error is False, ok.content[0].text
        assert "audio" in ok.content[0].text
        refused = await client.call_tool(
            "analyze_audio", {"source": "/etc/shadow", "question": "Tone?"}
        )
        assert refused.is_error is True
        assert "outside the allowed media directories" in refused.content[0].text
    assert any(r.body and r.body.get("model") == "qwen3-omni-flash" for r in emu.requests)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_streamable_http_on_loopback(tasks, emu):
    port = _free_port()
    ready = asyncio.Event()
    server_task = asyncio.create_task(
        serve_async("http", "127.0.0.1", port, server=build_server(tasks), ready=ready)
    )
    try:
        await asyncio.wait_for(ready.wait(), 10)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            tools = (await client.list_tools()).tools
            assert {t.name for t in tools} == {t.name for t in TOOLS}
            result = await client.call_tool(
                "analyze_video", {"source": "clip.mp4", "question": "What happens?"}
            )
            assert result.is_error is False
            assert json.dumps(result.structured_content)
    finally:
        server_task.cancel()
        with pytest.raises((asyncio.CancelledError, Exception)):
            await server_task


async def test_http_refuses_non_loopback_binding(tasks):
    with pytest.raises(ConfigurationError, match="loopback"):
        await serve_async("http", "0.0.0.0", 0, server=build_server(tasks))


async def test_operator_errors_are_reported_as_such_not_as_refusals(emu, media_root):
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks

    async with AsyncOmniTasks(
        base_url=emu.base_url,
        api_key="wrong-key",
        policy=AccessPolicy(roots=(media_root,)),
        max_retries=0,
    ) as bad:
        async with Client(build_server(bad)) as client:
            result = await client.call_tool(
                "analyze_audio", {"source": "call.mp3", "question": "Tone?"}
            )
    assert result.is_error is True
    assert "not configured correctly" in result.content[0].text
    assert "DASHSCOPE_API_KEY" in result.content[0].text
