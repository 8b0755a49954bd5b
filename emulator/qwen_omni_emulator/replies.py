"""What the emulator answers: scripted :class:`Reply` objects.

Tests queue replies with ``emulator.script(...)``; each chat request takes the next one. A reply
is either an answer (text, reasoning, tool calls, optional audio) streamed as deltas, or an
error answered with an HTTP status::

    emulator.script(
        Reply.text("Hello!"),
        Reply.tool_call("get_weather", {"city": "Paris"}),
        Reply.json({"ok": True}),
        Reply.error(429, retry_after=1),
        Reply.stream(["a"] * 5000),            # exactly these deltas
        Reply.text("slow", delay=0.5, chunk_delay=0.05),
    )

A :class:`Responder` (``emulator.responder = fn``) is asked when the queue is empty: it gets the
parsed :class:`~qwen_omni_emulator.request.ChatRequest` and returns a ``Reply`` or ``None`` (then
the default responder answers).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qwen_omni_emulator.request import ChatRequest

__all__ = ["DEFAULT_CHUNK_CHARS", "ErrorReply", "Reply", "Responder", "ToolCall"]

#: characters per content delta when a reply does not give its own split
DEFAULT_CHUNK_CHARS = 4


@dataclass(frozen=True)
class ToolCall:
    """One function call in a reply; ``arguments`` is the JSON string sent on the wire."""

    name: str
    arguments: str = "{}"
    id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:24]}")

    @classmethod
    def of(
        cls, name: str, arguments: dict[str, Any] | str | None = None, *, id: str | None = None
    ) -> ToolCall:
        """A call to ``name`` with ``arguments`` (a dict is JSON-encoded, non-ASCII kept)."""
        if isinstance(arguments, str):
            args = arguments
        else:
            args = json.dumps(arguments or {}, ensure_ascii=False)
        return cls(name=name, arguments=args) if id is None else cls(name, args, id)


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error answer: status, optional message/code/type, ``Retry-After`` seconds."""

    status: int
    message: str | None = None
    code: str | None = None
    type: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build it with the class methods; every field is optional.

    Attributes:
        content: the answer text (also the transcript when audio is requested).
        deltas: the exact content deltas to stream (overrides the split of ``content``).
        reasoning: ``reasoning_content`` streamed before the answer.
        tool_calls: function calls; ``finish_reason`` is then ``tool_calls``.
        finish_reason: override (``stop``, ``length``, ``tool_calls``).
        audio: raw PCM16 24 kHz mono to stream when audio output is requested (default: a tone
            synthesised from the transcript).
        delay: seconds before the first byte of the response.
        chunk_delay: seconds between chunks (0: chunks are written back to back).
        chunk_chars: characters per content delta when ``deltas`` is not given.
        usage: a usage object to report instead of the computed one.
        failure: answer with this HTTP error instead (build it with :meth:`Reply.error`).
    """

    content: str = ""
    deltas: tuple[str, ...] | None = None
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    audio: bytes | None = field(default=None, repr=False)
    delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_chars: int = DEFAULT_CHUNK_CHARS
    usage: dict[str, Any] | None = None
    failure: ErrorReply | None = None

    # --- builders ------------------------------------------------------------------------

    @classmethod
    def text(
        cls,
        text: str,
        *,
        reasoning: str = "",
        delay: float = 0.0,
        chunk_delay: float = 0.0,
        chunk_chars: int = DEFAULT_CHUNK_CHARS,
        finish_reason: str | None = None,
        audio: bytes | None = None,
    ) -> Reply:
        """A text answer, streamed ``chunk_chars`` characters per delta."""
        return cls(
            content=text,
            reasoning=reasoning,
            delay=delay,
            chunk_delay=chunk_delay,
            chunk_chars=max(1, chunk_chars),
            finish_reason=finish_reason,
            audio=audio,
        )

    @classmethod
    def stream(
        cls, deltas: Sequence[str], *, delay: float = 0.0, chunk_delay: float = 0.0
    ) -> Reply:
        """Exactly these content deltas, one chunk each (benchmarks, chunk-boundary tests)."""
        parts = tuple(deltas)
        return cls(content="".join(parts), deltas=parts, delay=delay, chunk_delay=chunk_delay)

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        """A JSON answer (``json.dumps(obj)``), e.g. for ``response_format`` tests."""
        return cls.text(json.dumps(obj, ensure_ascii=False), **kw)

    @classmethod
    def tool_call(
        cls,
        name: str,
        arguments: dict[str, Any] | str | None = None,
        *,
        id: str | None = None,
        content: str = "",
        delay: float = 0.0,
    ) -> Reply:
        """One function call to ``name`` with ``arguments`` (dict or JSON string)."""
        return cls(content=content, tool_calls=(ToolCall.of(name, arguments, id=id),), delay=delay)

    @classmethod
    def parallel_tool_calls(
        cls, *calls: ToolCall | tuple[str, dict[str, Any]], content: str = ""
    ) -> Reply:
        """Several (parallel) calls: ``ToolCall`` objects or ``(name, arguments)`` pairs."""
        built = tuple(c if isinstance(c, ToolCall) else ToolCall.of(c[0], c[1]) for c in calls)
        return cls(content=content, tool_calls=built)

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        type: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """Answer with HTTP ``status``; the body is the documented one unless overridden."""
        return cls(
            failure=ErrorReply(status, message, code, type, retry_after),
            delay=delay,
        )

    # --- derived -------------------------------------------------------------------------

    def with_(self, **changes: Any) -> Reply:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def content_deltas(self) -> list[str]:
        """The content split into deltas."""
        if self.deltas is not None:
            return list(self.deltas)
        n = max(1, self.chunk_chars)
        return [self.content[i : i + n] for i in range(0, len(self.content), n)]

    def final_finish_reason(self) -> str:
        """``finish_reason`` of the last choice chunk."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


#: Given the parsed request, return a Reply, or None to let the default responder answer.
Responder = Callable[["ChatRequest"], "Reply | None"]
