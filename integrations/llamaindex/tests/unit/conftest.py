"""Unit tests: no network (sockets disabled; Unix sockets stay allowed for asyncio).

The LLM is driven by the real core clients with only the network step replaced: ``_run``
yields scripted events instead of reading HTTP. Everything before it (message coercion,
``RequestParams`` validation, the model's rules) and after it (``OmniStream``, the response
builder) is the core's own code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from typing import Any

import pytest
import pytest_socket

from qwen_omni import AsyncOmniClient, OmniClient
from qwen_omni.response import (
    AudioDelta,
    Event,
    Finish,
    ReasoningDelta,
    Started,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageEvent,
)

# Smallest valid files of each kind, so the block validators and the core see real bytes.
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2b7a8"
    "ee0000000049454e44ae426082"
)
WAV_HEADER_ONLY = (
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80>\x00\x00"
    b"\x00}\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
)
# ftyp box of an ISO-BMFF mp4: enough for filetype to say video/mp4.
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _no_sockets():
    pytest_socket.disable_socket(allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()


def usage(prompt: int = 11, completion: int = 7) -> UsageEvent:
    return UsageEvent(
        Usage.from_dict(
            {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        )
    )


def text_events(*pieces: str, reason: str = "stop") -> list[Event]:
    """A text answer streamed in ``pieces``."""
    return [
        Started("chatcmpl-1", "qwen3-omni-flash", "req-1"),
        *(TextDelta(p) for p in pieces),
        Finish(reason),
        usage(),
    ]


def tool_events(*calls: tuple[str, str, list[str]]) -> list[Event]:
    """Tool calls ``(id, name, argument fragments)``, streamed fragment by fragment."""
    events: list[Event] = [Started("chatcmpl-2", "qwen3-omni-flash", "req-2")]
    for index, (call_id, name, fragments) in enumerate(calls):
        events.append(ToolCallDelta(index, call_id, name, fragments[0]))
        events.extend(ToolCallDelta(index, None, None, f) for f in fragments[1:])
    events += [Finish("tool_calls"), usage()]
    return events


def audio_events(text: str, pcm_chunks: list[bytes]) -> list[Event]:
    return [
        Started("chatcmpl-3", "qwen3-omni-flash", "req-3"),
        TextDelta(text),
        *(AudioDelta(c, "", "audio_1") for c in pcm_chunks),
        Finish("stop"),
        usage(20, 30),
    ]


def thinking_events(reasoning: list[str], answer: str) -> list[Event]:
    return [
        Started("chatcmpl-4", "qwen3-omni-flash", "req-4"),
        *(ReasoningDelta(r) for r in reasoning),
        TextDelta(answer),
        Finish("stop"),
        usage(),
    ]


class ScriptedClient(OmniClient):
    """An ``OmniClient`` whose network step plays scripted event lists, one per request."""

    def __init__(self, *scripts: list[Event], **kwargs: Any) -> None:
        kwargs.setdefault("api_key", "sk-unit")
        kwargs.setdefault("base_url", "http://127.0.0.1:9/v1")
        super().__init__(**kwargs)
        self.scripts = list(scripts)
        self.requests: list[Any] = []

    def _next_script(self) -> list[Event]:
        if not self.scripts:
            raise AssertionError("no scripted reply left for this request")
        return self.scripts.pop(0) if len(self.scripts) > 1 else self.scripts[0]

    def _run(self, req: Any, builder: Any) -> Generator[Event, None, None]:
        self.requests.append(req)
        for event in self._next_script():
            builder.add(event)
            yield event


class ScriptedAsyncClient(AsyncOmniClient):
    """The async twin; each event is preceded by an ``await asyncio.sleep(delay)``."""

    def __init__(self, *scripts: list[Event], delay: float = 0.0, **kwargs: Any) -> None:
        kwargs.setdefault("api_key", "sk-unit")
        kwargs.setdefault("base_url", "http://127.0.0.1:9/v1")
        super().__init__(**kwargs)
        self.scripts = list(scripts)
        self.requests: list[Any] = []
        self.delay = delay

    async def _run(self, req: Any, builder: Any) -> AsyncGenerator[Event, None]:
        self.requests.append(req)
        if not self.scripts:
            raise AssertionError("no scripted reply left for this request")
        script = self.scripts.pop(0) if len(self.scripts) > 1 else self.scripts[0]
        for event in script:
            await asyncio.sleep(self.delay)
            builder.add(event)
            yield event


class ExplodingClient(OmniClient):
    """Fails the test if a sync path is taken where an async one was expected."""

    def _run(self, req: Any, builder: Any) -> Generator[Event, None, None]:
        raise AssertionError("the synchronous client was used")
        yield  # pragma: no cover


@pytest.fixture
def media_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "image": tmp_path / "pixel.png",
        "audio": tmp_path / "silence.wav",
        "video": tmp_path / "clip.mp4",
    }
    files["image"].write_bytes(PNG_1PX)
    files["audio"].write_bytes(WAV_HEADER_ONLY)
    files["video"].write_bytes(MP4_HEAD)
    return files


@pytest.fixture
def sx():
    """The scripted-client kit: clients, event builders and tiny media bytes."""
    import types

    return types.SimpleNamespace(
        Client=ScriptedClient,
        AsyncClient=ScriptedAsyncClient,
        ExplodingClient=ExplodingClient,
        text=text_events,
        tools=tool_events,
        audio=audio_events,
        thinking=thinking_events,
        usage=usage,
        PNG=PNG_1PX,
        WAV=WAV_HEADER_ONLY,
        MP4=MP4_HEAD,
    )
