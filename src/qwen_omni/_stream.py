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
import json
from typing import Any

from qwen_omni.content import InvalidToolCall, ToolCall
from qwen_omni.errors import MalformedResponseError
from qwen_omni.response import (
    AudioDelta,
    CacheInfo,
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

__all__ = ["ResponseBuilder", "StreamDecoder", "judge_tool_call", "split_tool_calls"]


def _malformed(what: str, request_id: str | None) -> MalformedResponseError:
    return MalformedResponseError(
        f"the service sent a malformed stream chunk ({what}); retry, and if it persists check "
        "that base_url points at an OpenAI-compatible Qwen-Omni endpoint",
        request_id=request_id,
    )


def _text_field(value: Any, what: str, request_id: str | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _malformed(f"{what} is {type(value).__name__}, not text", request_id)
    return value


class _CallSlot:
    """One tool call as it streams: what is needed to judge it at the end."""

    __slots__ = ("arguments", "id", "name")

    def __init__(self, call_id: str | None) -> None:
        self.id = call_id
        self.name = ""
        self.arguments: list[str] = []


def judge_tool_call(
    index: int, call_id: str | None, name: str, arguments: str, finish_reason: str | None
) -> ToolCall | InvalidToolCall:
    """A finished call if its arguments are one complete JSON object, else an invalid one.

    The one place that decides whether a streamed call may be executed: a call cut off by
    ``max_tokens`` (``{"to":"alice","amount":1000000``) or by the end of the stream is never
    completed by guessing the rest (partial-JSON repair would make it callable).
    """
    cid = call_id or f"call_{index}"
    text = arguments.strip()
    error: str | None = None
    if not name:
        error = "the call has no function name"
    elif not text:
        if finish_reason in ("length", None):
            error = "the answer was cut off before the call's arguments"
    else:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            cut = finish_reason in ("length", None)
            error = (
                "the arguments were cut off before they were complete"
                + (
                    " (finish reason 'length': raise max_tokens)"
                    if finish_reason == "length"
                    else ""
                )
                if cut
                else "the arguments are not valid JSON"
            )
        else:
            if not isinstance(value, dict):
                error = f"the arguments are a JSON {type(value).__name__}, not an object"
    if error is not None:
        return InvalidToolCall(id=cid, name=name, arguments=arguments, error=error, index=index)
    return ToolCall(id=cid, name=name, arguments=arguments or "{}")


def split_tool_calls(
    calls: list[tuple[int, str | None, str, str]], finish_reason: str | None
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """(executable calls, invalid calls) from (index, id, name, arguments) tuples."""
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for index, call_id, name, arguments in calls:
        judged = judge_tool_call(index, call_id, name, arguments, finish_reason)
        (invalid if isinstance(judged, InvalidToolCall) else valid).append(judged)  # type: ignore[arg-type]
    return valid, invalid


class StreamDecoder:
    """Turns chunk dicts into events. One decoder per stream.

    Every shape the service might send is checked: anything else is a
    ``MalformedResponseError`` (a service failure the caller can act on), never a
    ``KeyError`` from deep inside. Only choice 0 is read: a stream carrying several choices is
    never interleaved into one answer. Tool calls get a stream-wide ``index`` of their own: two
    calls the server sends under the same wire index but with different ids stay two calls.
    """

    __slots__ = (
        "_by_wire",
        "_calls",
        "_started",
        "_text_source",
        "finished",
        "request_id",
    )

    def __init__(self, request_id: str | None = None) -> None:
        self.request_id = request_id
        self._started = False
        # None until known; then "content" or "transcript" (see module docstring).
        self._text_source: str | None = None
        self.finished: str | None = None
        self._calls: list[_CallSlot] = []
        self._by_wire: dict[int, int] = {}  # wire index → our index (the latest call there)

    def feed(self, chunk: Any) -> list[Event]:
        """Events carried by one chunk (possibly none)."""
        if not isinstance(chunk, dict):
            raise _malformed(f"a JSON {type(chunk).__name__} instead of an object", self.request_id)
        if chunk.get("error"):
            from qwen_omni.errors import error_from_body

            raise error_from_body(chunk, request_id=self.request_id)
        events: list[Event] = []
        if not self._started:
            self._started = True
            chunk_id = _text_field(chunk.get("id"), "id", self.request_id)
            if self.request_id is None and chunk_id.startswith("chatcmpl-"):
                self.request_id = chunk_id[len("chatcmpl-") :]
            model = _text_field(chunk.get("model"), "model", self.request_id)
            events.append(Started(chunk_id, model, self.request_id))
        choices = chunk.get("choices")
        if choices is not None and not isinstance(choices, list):
            raise _malformed("'choices' is not a list", self.request_id)
        for choice in choices or ():
            if not isinstance(choice, dict):
                raise _malformed("a choice is not an object", self.request_id)
            if choice.get("index", 0) not in (0, None):
                continue  # another choice: never mixed into this answer
            if self.finished is not None:
                continue  # nothing counts after the finish reason (a repeated finish chunk)
            delta = choice.get("delta")
            if delta:
                if not isinstance(delta, dict):
                    raise _malformed("'delta' is not an object", self.request_id)
                self._delta(delta, events)
            reason = choice.get("finish_reason")
            if reason:
                if not isinstance(reason, str):
                    raise _malformed("'finish_reason' is not text", self.request_id)
                self.finished = reason
                events.append(Finish(reason, tuple(self.invalid_tool_calls())))
        usage = chunk.get("usage")
        if usage:
            if not isinstance(usage, dict):
                raise _malformed("'usage' is not an object", self.request_id)
            try:
                events.append(UsageEvent(Usage.from_dict(usage)))
            except (TypeError, ValueError, AttributeError, OverflowError) as exc:
                raise _malformed(f"unreadable usage: {exc}", self.request_id) from None
        return events

    def invalid_tool_calls(self) -> list[InvalidToolCall]:
        """The calls so far that must not be executed (judged against the finish reason)."""
        calls = [(i, s.id, s.name, "".join(s.arguments)) for i, s in enumerate(self._calls)]
        return split_tool_calls(calls, self.finished)[1]

    def _delta(self, delta: dict[str, Any], events: list[Event]) -> None:
        rid = self.request_id
        reasoning = _text_field(delta.get("reasoning_content"), "reasoning_content", rid)
        if reasoning:
            events.append(ReasoningDelta(reasoning))
        content = _text_field(delta.get("content"), "content", rid)
        if content:
            if self._text_source is None:
                self._text_source = "content"
            if self._text_source == "content":
                events.append(TextDelta(content))
            # else: the same words already came as the transcript
        audio = delta.get("audio")
        if audio:
            if not isinstance(audio, dict):
                raise _malformed("'audio' is not an object", rid)
            self._audio(audio, events)
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            if not isinstance(tool_calls, list):
                raise _malformed("'tool_calls' is not a list", rid)
            for position, call in enumerate(tool_calls):
                events.append(self._tool_call(position, call))

    def _tool_call(self, position: int, call: Any) -> ToolCallDelta:
        rid = self.request_id
        if not isinstance(call, dict):
            raise _malformed("a tool call is not an object", rid)
        function = call.get("function") or {}
        if not isinstance(function, dict):
            raise _malformed("a tool call's 'function' is not an object", rid)
        wire = call.get("index")
        if wire is None:
            wire = position
        if isinstance(wire, bool) or not isinstance(wire, int) or not 0 <= wire < 1 << 16:
            raise _malformed(f"a tool call index is {wire!r}", rid)
        call_id = _text_field(call.get("id"), "tool call id", rid) or None
        name = _text_field(function.get("name"), "tool call name", rid) or None
        arguments = _text_field(function.get("arguments"), "tool call arguments", rid)
        ours = self._by_wire.get(wire, -1)
        slot = self._calls[ours] if ours >= 0 else None
        if slot is None or (call_id is not None and slot.id is not None and call_id != slot.id):
            # A new call; a different id under a wire index already in use is a new call too.
            ours = len(self._calls)
            slot = _CallSlot(call_id)
            self._calls.append(slot)
            self._by_wire[wire] = ours
        elif call_id is not None and slot.id is None:
            slot.id = call_id
        # Some servers repeat the name in every fragment; keep it once.
        if name and not slot.name.endswith(name):
            slot.name += name
        if arguments:
            slot.arguments.append(arguments)
        return ToolCallDelta(index=ours, id=call_id, name=name, arguments=arguments)

    def _audio(self, audio: dict[str, Any], events: list[Event]) -> None:
        rid = self.request_id
        data = _text_field(audio.get("data"), "audio data", rid)
        transcript = _text_field(audio.get("transcript"), "audio transcript", rid)
        try:
            pcm = base64.b64decode(data, validate=True) if data else b""
        except (binascii.Error, ValueError) as exc:
            raise _malformed(f"undecodable base64 audio: {exc}", rid) from None
        audio_id = audio.get("id")
        if audio_id is not None and not isinstance(audio_id, str):
            raise _malformed("the audio id is not text", rid)
        if pcm or transcript:
            events.append(AudioDelta(pcm, transcript, audio_id))
        if transcript:
            if self._text_source is None:
                self._text_source = "transcript"
            if self._text_source == "transcript":
                events.append(TextDelta(transcript))


class ResponseBuilder:
    """Accumulates events into an ``OmniResponse``."""

    def __init__(self) -> None:
        self.cache: CacheInfo | None = None
        """Set by the client when an analysis cache was consulted."""
        self.reset()

    def reset(self) -> None:
        """Forget everything (before a retry)."""
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._audio: list[bytes] = []
        self._transcript: list[str] = []
        self._calls: dict[int, dict[str, Any]] = {}
        self._judged: list[ToolCall | InvalidToolCall] | None = None
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
            self._judged = None  # the verdict on a call depends on the finish reason
        elif isinstance(event, UsageEvent):
            self._response.usage = event.usage

    def _tool_call(self, event: ToolCallDelta) -> None:
        self._judged = None
        # Indices are the decoder's own (unique per call), so one index is one call.
        slot = self._calls.setdefault(event.index, {"id": None, "name": "", "arguments": []})
        if event.id and not slot["id"]:
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
        r.cache = self.cache
        r.text = "".join(self._text)
        r.reasoning = "".join(self._reasoning)
        r.audio_pcm = b"".join(self._audio)
        r.transcript = "".join(self._transcript)
        judged = self.tool_calls()
        r.tool_calls = [c for c in judged if isinstance(c, ToolCall)]
        r.invalid_tool_calls = [c for c in judged if isinstance(c, InvalidToolCall)]
        return r

    def tool_calls(self) -> list[ToolCall | InvalidToolCall]:
        """Every call so far in stream order, each judged once (:func:`judge_tool_call`):
        an ``InvalidToolCall`` while (or because) its arguments are not a complete JSON
        object. Cached until the next fragment or the finish, so asking again is free — an
        integration can read the calls at the end without the joins of ``build()``."""
        if self._judged is None:
            reason = self._response.finish_reason
            self._judged = [
                judge_tool_call(index, slot["id"], slot["name"], "".join(slot["arguments"]), reason)
                for index, slot in sorted(self._calls.items())
            ]
        return self._judged

    def partial_tool_calls(self) -> list[ToolCall]:
        """The calls so far with their raw arguments as they stand, neither decoded nor judged:
        a view for progress displays, never to execute. Each call joins the arguments so far,
        so ask sparingly (e.g. when they have doubled)."""
        return [
            ToolCall(
                id=slot["id"] or f"call_{index}",
                name=slot["name"],
                arguments="".join(slot["arguments"]),
            )
            for index, slot in sorted(self._calls.items())
        ]
