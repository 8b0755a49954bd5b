"""Pure: streamed chunks → events, and events → one ``OmniResponse``.

Chunks are the decoded JSON of each SSE ``data:`` line (reference §5). Two quirks shape this:

- the spoken reply's text may arrive in ``delta.content`` (current models) or in
  ``delta.audio.transcript`` (older ones). The first source seen becomes the text; the other
  is kept as the transcript, so the answer is never doubled;
- audio arrives as base64 of headerless PCM16 mono 24 kHz in ``delta.audio.data``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from qwen_omni.content import ToolCall
from qwen_omni.errors import APIError
from qwen_omni.response import (
    AudioDelta,
    Event,
    Finish,
    OmniResponse,
    ReasoningDelta,
    Started,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageEvent,
)

__all__ = ["ResponseBuilder", "StreamDecoder"]


class StreamDecoder:
    """Turns chunk dicts into events. One decoder per stream."""

    __slots__ = ("_started", "_text_source", "finished", "request_id")

    def __init__(self, request_id: str | None = None) -> None:
        self.request_id = request_id
        self._started = False
        # None until known; then "content" or "transcript" (see module docstring).
        self._text_source: str | None = None
        self.finished: str | None = None

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        """Events carried by one chunk (possibly none)."""
        if chunk.get("error"):
            err = chunk["error"]
            message = err.get("message") if isinstance(err, dict) else str(err)
            code = err.get("code") if isinstance(err, dict) else None
            raise APIError(
                message or "error event in the stream",
                code=code,
                request_id=chunk.get("request_id") or self.request_id,
                body=chunk,
            )
        events: list[Event] = []
        if not self._started:
            self._started = True
            chunk_id = chunk.get("id") or ""
            if self.request_id is None and chunk_id.startswith("chatcmpl-"):
                self.request_id = chunk_id[len("chatcmpl-") :]
            events.append(Started(chunk_id, chunk.get("model") or "", self.request_id))
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta")
            if delta:
                self._delta(delta, events)
            reason = choice.get("finish_reason")
            if reason:
                self.finished = reason
                events.append(Finish(reason))
        usage = chunk.get("usage")
        if usage:
            events.append(UsageEvent(Usage.from_dict(usage)))
        return events

    def _delta(self, delta: dict[str, Any], events: list[Event]) -> None:
        reasoning = delta.get("reasoning_content")
        if reasoning:
            events.append(ReasoningDelta(reasoning))
        content = delta.get("content")
        if content:
            if self._text_source is None:
                self._text_source = "content"
            if self._text_source == "content":
                events.append(TextDelta(content))
            # else: the same words already came as the transcript
        audio = delta.get("audio")
        if audio:
            self._audio(audio, events)
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            for position, call in enumerate(tool_calls):
                function = call.get("function") or {}
                index = call.get("index")
                events.append(
                    ToolCallDelta(
                        index=position if index is None else int(index),
                        id=call.get("id") or None,
                        name=function.get("name") or None,
                        arguments=function.get("arguments") or "",
                    )
                )

    def _audio(self, audio: dict[str, Any], events: list[Event]) -> None:
        data = audio.get("data") or ""
        transcript = audio.get("transcript") or ""
        try:
            pcm = base64.b64decode(data) if data else b""
        except (binascii.Error, ValueError) as exc:
            raise APIError(
                f"undecodable audio delta in the stream: {exc}", request_id=self.request_id
            ) from exc
        if pcm or transcript:
            events.append(AudioDelta(pcm, transcript, audio.get("id")))
        if transcript:
            if self._text_source is None:
                self._text_source = "transcript"
            if self._text_source == "transcript":
                events.append(TextDelta(transcript))


class ResponseBuilder:
    """Accumulates events into an ``OmniResponse``."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything (before a retry)."""
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._audio: list[bytes] = []
        self._transcript: list[str] = []
        # Calls in order of arrival; the open call of each stream index.
        self._calls: list[dict[str, Any]] = []
        self._open_calls: dict[int, dict[str, Any]] = {}
        self._checked: list[ToolCall] | None = None
        self._response = OmniResponse()

    def add(self, event: Event) -> None:
        """Take one event into account."""
        # Ordered by frequency: text and audio deltas are nearly every event.
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, AudioDelta):
            if event.data:
                self._audio.append(event.data)
            if event.transcript:
                self._transcript.append(event.transcript)
            if event.id and not self._response.audio_id:
                self._response.audio_id = event.id
        elif isinstance(event, ReasoningDelta):
            self._reasoning.append(event.text)
        elif isinstance(event, ToolCallDelta):
            self._tool_call(event)
        elif isinstance(event, Started):
            self._response.id = event.id
            self._response.model = event.model
            self._response.request_id = event.request_id
        elif isinstance(event, Finish):
            self._response.finish_reason = event.reason
            self._checked = None
        elif isinstance(event, UsageEvent):
            self._response.usage = event.usage

    def _tool_call(self, event: ToolCallDelta) -> None:
        self._checked = None
        slot = self._open_calls.get(event.index)
        if slot is None or (event.id and slot["id"] and event.id != slot["id"]):
            # A new index, or a new id at a used index: another call (servers that reuse
            # index 0 for parallel calls), never glued onto the previous one.
            slot = {"index": event.index, "id": None, "name": "", "arguments": []}
            self._open_calls[event.index] = slot
            self._calls.append(slot)
        if event.id:
            slot["id"] = event.id
        # Some servers repeat the name in every fragment; keep it once.
        if event.name and not slot["name"].endswith(event.name):
            slot["name"] += event.name
        if event.arguments:
            slot["arguments"].append(event.arguments)

    @property
    def has_output(self) -> bool:
        """True once any text, reasoning, audio or tool call has been seen."""
        return bool(self._text or self._reasoning or self._audio or self._calls)

    def build(self) -> OmniResponse:
        """The response so far (complete once a Finish event was added)."""
        r = self._response
        r.text = "".join(self._text)
        r.reasoning = "".join(self._reasoning)
        r.audio_pcm = b"".join(self._audio)
        r.transcript = "".join(self._transcript)
        r.tool_calls = self.tool_calls()
        return r

    def partial_tool_calls(self) -> list[ToolCall]:
        """The tool calls so far with their raw arguments as they stand, not decoded or
        checked (a view for progress displays; execute only ``tool_calls()`` without
        ``error``). Costs a join of the arguments so far: ask sparingly."""
        ordered = sorted(enumerate(self._calls), key=lambda item: (item[1]["index"], item[0]))
        return [
            ToolCall(
                id=slot["id"] or f"call_{n}",
                name=slot["name"],
                arguments="".join(slot["arguments"]),
            )
            for n, (_, slot) in enumerate(ordered)
        ]

    def tool_calls(self) -> list[ToolCall]:
        """The tool calls so far, in index order, each decoded once (``ToolCall.checked``):
        a call whose arguments are not yet (or never became) a complete JSON object carries
        ``error``. Cached until the next tool-call fragment, so asking again costs nothing."""
        if self._checked is None:
            reason = self._response.finish_reason
            ordered = sorted(enumerate(self._calls), key=lambda item: (item[1]["index"], item[0]))
            self._checked = [
                ToolCall.checked(
                    slot["id"] or f"call_{n}",
                    slot["name"],
                    "".join(slot["arguments"]) or "{}",
                    finish_reason=reason,
                )
                for n, (_, slot) in enumerate(ordered)
            ]
        return self._checked
