"""Typed events of a realtime session, as :meth:`AsyncRealtimeSession.events` yields them.

Each class wraps one or a few server events (``raw`` keeps the decoded JSON) so that callers
match on types instead of strings::

    async for event in session.events():
        match event:
            case AudioDelta(pcm=pcm): player.write(pcm)
            case SpeechStarted(): player.flush()           # barge-in: drop queued audio
            case ResponseDone(turn=turn): print(turn.transcript, turn.usage)

:func:`parse_event` is pure: one decoded server event → one typed event (unknown types become
:class:`ServerEvent`, so a new server event never breaks a client).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qwen_omni.errors import QwenOmniError
from qwen_omni.response import pcm_seconds, pcm_to_wav, save_wav

__all__ = [
    "AudioDelta",
    "ErrorEvent",
    "InputTranscript",
    "Interrupted",
    "Reconnected",
    "RealtimeEvent",
    "ResponseDone",
    "ResponseStarted",
    "ServerEvent",
    "SessionUpdated",
    "SpeechStarted",
    "SpeechStopped",
    "TextDelta",
    "ToolCallEvent",
    "ToolResultSent",
    "TranscriptDelta",
    "Turn",
    "parse_event",
]


@dataclass
class RealtimeEvent:
    """Base class: ``type`` is the server event type (or ours, for client-side events)."""

    type: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class ServerEvent(RealtimeEvent):
    """A server event without a typed class (lifecycle events such as ``output_item.added``)."""


@dataclass
class SessionUpdated(RealtimeEvent):
    """``session.created`` / ``session.updated``: ``session`` is the service's view."""

    session: dict[str, Any] = field(default_factory=dict)


@dataclass
class SpeechStarted(RealtimeEvent):
    """The server VAD heard speech. During a reply this is a barge-in: flush playback."""

    audio_start_ms: int | None = None


@dataclass
class SpeechStopped(RealtimeEvent):
    """The server VAD heard the end of speech; a commit and a response follow."""

    audio_end_ms: int | None = None


@dataclass
class InputTranscript(RealtimeEvent):
    """A transcript of what the user said (``final`` for ``.completed``, else a delta)."""

    text: str = ""
    final: bool = False
    item_id: str | None = None


@dataclass
class ResponseStarted(RealtimeEvent):
    """``response.created``."""

    response_id: str = ""


@dataclass
class TextDelta(RealtimeEvent):
    """A piece of the reply's text (text-only modality)."""

    text: str = ""
    response_id: str = ""


@dataclass
class TranscriptDelta(RealtimeEvent):
    """A piece of the transcript of the spoken reply."""

    text: str = ""
    response_id: str = ""


@dataclass
class AudioDelta(RealtimeEvent):
    """A piece of the spoken reply: raw PCM16 mono at 24 kHz (already base64-decoded)."""

    pcm: bytes = field(default=b"", repr=False)
    response_id: str = ""


@dataclass
class ToolCallEvent(RealtimeEvent):
    """The model calls a function. ``arguments`` is the JSON string from the service."""

    call_id: str = ""
    name: str = ""
    arguments: str = "{}"
    response_id: str = ""


@dataclass
class ToolResultSent(RealtimeEvent):
    """Our handler ran a tool call and its output went back to the service."""

    call_id: str = ""
    name: str = ""
    output: str = ""


@dataclass
class Turn:
    """One reply, assembled: text or transcript, PCM audio, tool calls, usage and cost.

    ``status`` is the service's (``completed``, ``cancelled``, ``incomplete``, ``failed``) or
    ``interrupted`` when the connection dropped mid-reply, or ``cancelled_no_done`` when a
    cancelled reply never got its ``response.done`` (a known service quirk).
    """

    response_id: str = ""
    status: str = ""
    text: str = ""
    transcript: str = ""
    audio_pcm: bytes = field(default=b"", repr=False)
    tool_calls: list[ToolCallEvent] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    #: cost in the catalog's currency from the usage and list prices (None: prices unknown)
    cost: float | None = None

    @property
    def audio_seconds(self) -> float:
        """Seconds of reply audio (PCM16 mono 24 kHz)."""
        return pcm_seconds(self.audio_pcm)

    @property
    def wav(self) -> bytes | None:
        """The spoken reply as a WAV file, or None without audio."""
        return pcm_to_wav(self.audio_pcm) if self.audio_pcm else None

    def save_audio(self, path: str | Path) -> Path:
        """Write the spoken reply as a WAV file; ValueError when the reply had no audio."""
        return save_wav(self.audio_pcm, path)


@dataclass
class ResponseDone(RealtimeEvent):
    """A reply ended (``response.done``, or our end-of-turn for the cases it never comes)."""

    turn: Turn = field(default_factory=Turn)


@dataclass
class Interrupted(RealtimeEvent):
    """The reply in progress was cut (barge-in or :meth:`interrupt`): flush queued playback."""

    response_id: str = ""


@dataclass
class Reconnected(RealtimeEvent):
    """The connection dropped and a new one replays the session config and history."""

    attempt: int = 0
    replayed_items: int = 0


@dataclass
class ErrorEvent(RealtimeEvent):
    """An ``error`` event (or a client-side failure). ``fatal`` ones end :meth:`events`."""

    error: QwenOmniError | None = None
    fatal: bool = False
    code: str | None = None


def _b64(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        return b""
    return base64.b64decode(value)


def parse_event(data: dict[str, Any]) -> RealtimeEvent:
    """One decoded server event → a typed event. Pure; unknown types → :class:`ServerEvent`."""
    kind = str(data.get("type", ""))
    rid = str(data.get("response_id") or "")
    if kind in ("session.created", "session.updated"):
        return SessionUpdated(kind, data, session=dict(data.get("session") or {}))
    if kind == "input_audio_buffer.speech_started":
        return SpeechStarted(kind, data, audio_start_ms=data.get("audio_start_ms"))
    if kind == "input_audio_buffer.speech_stopped":
        return SpeechStopped(kind, data, audio_end_ms=data.get("audio_end_ms"))
    if kind == "conversation.item.input_audio_transcription.delta":
        text = data.get("delta") or data.get("text") or ""
        return InputTranscript(kind, data, text=str(text), item_id=data.get("item_id"))
    if kind == "conversation.item.input_audio_transcription.completed":
        text = data.get("transcript") or ""
        return InputTranscript(kind, data, text=str(text), final=True, item_id=data.get("item_id"))
    if kind == "response.created":
        response = data.get("response") or {}
        return ResponseStarted(kind, data, response_id=str(response.get("id") or ""))
    if kind == "response.text.delta":
        return TextDelta(kind, data, text=str(data.get("delta") or ""), response_id=rid)
    if kind == "response.audio_transcript.delta":
        return TranscriptDelta(kind, data, text=str(data.get("delta") or ""), response_id=rid)
    if kind == "response.audio.delta":
        return AudioDelta(kind, data, pcm=_b64(data.get("delta")), response_id=rid)
    if kind == "response.function_call_arguments.done":
        return ToolCallEvent(
            kind,
            data,
            call_id=str(data.get("call_id") or ""),
            name=str(data.get("name") or ""),
            arguments=str(data.get("arguments") or "{}"),
            response_id=rid,
        )
    return ServerEvent(kind, data)
