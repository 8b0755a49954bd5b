"""What comes back: stream events, token usage, and the assembled ``OmniResponse``."""

from __future__ import annotations

import base64
import io
import struct
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from qwen_omni.content import InvalidToolCall, ToolCall

__all__ = [
    "AUDIO_CHANNELS",
    "AUDIO_SAMPLE_RATE",
    "AUDIO_SAMPLE_WIDTH",
    "AudioDelta",
    "CacheInfo",
    "Event",
    "Finish",
    "OmniResponse",
    "ReasoningDelta",
    "Started",
    "TextDelta",
    "ToolCallDelta",
    "Usage",
    "UsageEvent",
    "WAV_HEADER_BYTES",
    "WavStreamEncoder",
    "fix_streamed_wav",
    "pcm_seconds",
    "pcm_to_wav",
    "save_wav",
    "wav_header",
]

#: Spoken replies arrive as headerless PCM16 mono at 24 kHz (reference §5).
AUDIO_SAMPLE_RATE = 24_000
AUDIO_SAMPLE_WIDTH = 2
AUDIO_CHANNELS = 1


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage of one request, per modality where the service reports it."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_text_tokens: int = 0
    input_image_tokens: int = 0
    input_video_tokens: int = 0
    input_audio_tokens: int = 0
    cached_tokens: int = 0
    output_text_tokens: int = 0
    output_audio_tokens: int = 0
    reasoning_tokens: int = 0
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, usage: dict[str, Any]) -> Usage:
        """Parse the ``usage`` object of the final chunk (missing keys mean zero)."""
        prompt = usage.get("prompt_tokens_details") or {}
        completion = usage.get("completion_tokens_details") or {}
        return cls(
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            total_tokens=int(usage.get("total_tokens") or 0),
            input_text_tokens=int(prompt.get("text_tokens") or 0),
            input_image_tokens=int(prompt.get("image_tokens") or 0),
            input_video_tokens=int(prompt.get("video_tokens") or 0),
            input_audio_tokens=int(prompt.get("audio_tokens") or 0),
            cached_tokens=int(prompt.get("cached_tokens") or 0),
            output_text_tokens=int(completion.get("text_tokens") or 0),
            output_audio_tokens=int(completion.get("audio_tokens") or 0),
            reasoning_tokens=int(completion.get("reasoning_tokens") or 0),
            raw=usage,
        )


@dataclass(frozen=True, slots=True)
class Started:
    """The response began: chunk id, model and DashScope request id."""

    id: str
    model: str
    request_id: str | None


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning (thinking mode)."""

    text: str


@dataclass(frozen=True, slots=True)
class AudioDelta:
    """A piece of the spoken reply: raw PCM16 mono 24 kHz bytes, and transcript text if sent."""

    data: bytes
    transcript: str = ""
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of a tool call; fragments with the same ``index`` belong together."""

    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True, slots=True)
class UsageEvent:
    """Token usage (arrives last, in a chunk with no choices)."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class Finish:
    """The answer is complete: ``stop``, ``length`` or ``tool_calls``.

    ``invalid_tool_calls`` lists the calls (by their ``index`` in the stream's
    ``ToolCallDelta`` events) whose arguments are not one complete JSON object — cut off by
    ``max_tokens`` or malformed. They must never be executed; surfaces report them instead.
    """

    reason: str
    invalid_tool_calls: tuple[InvalidToolCall, ...] = ()


Event = Union[Started, TextDelta, ReasoningDelta, AudioDelta, ToolCallDelta, UsageEvent, Finish]


def pcm_to_wav(
    pcm: bytes,
    *,
    sample_rate: int = AUDIO_SAMPLE_RATE,
    channels: int = AUDIO_CHANNELS,
    sample_width: int = AUDIO_SAMPLE_WIDTH,
) -> bytes:
    """Wrap headerless PCM in a WAV container."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(sample_width)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buf.getvalue()


def pcm_seconds(pcm: bytes) -> float:
    """Duration of PCM16 mono 24 kHz audio (the service's speech format)."""
    return len(pcm) / (AUDIO_SAMPLE_RATE * AUDIO_SAMPLE_WIDTH * AUDIO_CHANNELS)


def save_wav(pcm: bytes, path: str | Path) -> Path:
    """Write PCM16 mono 24 kHz speech as a WAV file; ValueError when there is no audio."""
    if not pcm:
        raise ValueError("this reply has no audio: request modalities=['text', 'audio']")
    target = Path(path)
    target.write_bytes(pcm_to_wav(pcm))
    return target


WAV_HEADER_BYTES = 44
_UNKNOWN_LENGTH = 0xFFFFFFFF
#: 3 bytes per base64 quantum × 2 bytes per PCM16 sample
_ALIGN = 6


_EMPTY_WAV: list[bytes] = []


def _empty_wav() -> bytes:
    # Built once: a header is needed per streamed audio chunk.
    if not _EMPTY_WAV:
        _EMPTY_WAV.append(pcm_to_wav(b""))
    return _EMPTY_WAV[0]


def wav_header(data_bytes: int | None) -> bytes:
    """The 44-byte header of a PCM16 mono 24 kHz WAV; ``None``: length unknown (streaming).

    Streamed WAV uses 0xFFFFFFFF in both length fields while the length is not known.
    """
    header = bytearray(_empty_wav())
    if data_bytes is None:
        riff, data = _UNKNOWN_LENGTH, _UNKNOWN_LENGTH
    else:
        riff, data = 36 + data_bytes, data_bytes
    header[4:8] = struct.pack("<I", riff)
    header[40:44] = struct.pack("<I", data)
    return bytes(header)


def fix_streamed_wav(wav: bytes) -> bytes:
    """A streamed WAV (length fields unknown) with its length fields set to the real lengths."""
    if len(wav) < WAV_HEADER_BYTES or wav[:4] != b"RIFF" or wav[36:40] != b"data":
        return wav
    body = len(wav) - WAV_HEADER_BYTES
    return wav_header(body) + wav[WAV_HEADER_BYTES:]


class WavStreamEncoder:
    """PCM pieces → base64 pieces whose concatenation is the base64 of one WAV file.

    For frameworks that merge streamed chunks by concatenating strings: every piece but the
    last encodes a multiple of 6 bytes (whole base64 quanta and whole PCM16 samples), so the
    joined text decodes to one streamed WAV (fix its header with :func:`fix_streamed_wav`),
    and each piece decodes and plays on its own.
    """

    def __init__(self) -> None:
        self._pending = b""
        self._started = False
        self.pcm_bytes = 0

    def feed(self, pcm: bytes) -> str:
        """Base64 text to emit now ("" while fewer than 6 bytes are waiting)."""
        self.pcm_bytes += len(pcm)
        if not self._started:
            self._started = True
            pcm = wav_header(None) + pcm
        buf = self._pending + pcm
        cut = len(buf) - len(buf) % _ALIGN
        self._pending = buf[cut:]
        return base64.b64encode(buf[:cut]).decode("ascii") if cut else ""

    def flush(self) -> str:
        """The rest (padded base64), at the end of the stream."""
        out = base64.b64encode(self._pending).decode("ascii") if self._pending else ""
        self._pending = b""
        return out


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """What the analysis cache did for one response.

    Attributes:
        key: the cache key (64 hex digits).
        hit: True when the answer came from the cache (nothing was sent).
        stored: True when this (fresh, complete) answer was stored.
        saved_tokens, saved_cny, saved_seconds: what the original request cost (the hit's
            saving); ``saved_cny`` is None without list prices.
        cached_at: when the answer was first received (epoch seconds).
        note: why an answer was not stored, when it was not.
    """

    key: str
    hit: bool
    stored: bool = False
    saved_tokens: int = 0
    saved_cny: float | None = None
    saved_seconds: float = 0.0
    cached_at: float | None = None
    note: str = ""

    def summary(self) -> str:
        """One line for people: "from cache (saved …)" or what happened instead."""
        if self.hit:
            cny = f", {self.saved_cny:.4f} CNY" if self.saved_cny is not None else ""
            return (
                f"from cache (saved {self.saved_tokens:,} tokens{cny}, "
                f"{self.saved_seconds:.1f} s)"
            )
        if self.stored:
            return "stored in cache"
        return f"not cached: {self.note}" if self.note else "not cached"


@dataclass
class OmniResponse:
    """A whole answer, assembled from the stream.

    Attributes:
        text: the answer text (from ``delta.content``, or the audio transcript when the model
            only sent that).
        reasoning: the thinking text (thinking mode), else "".
        tool_calls: the function calls, in index order: only calls whose arguments are one
            complete JSON object (safe to execute).
        invalid_tool_calls: calls that were cut off (finish reason ``length``, or the stream
            ended mid-arguments) or are malformed: never execute them; ``error`` says why.
        finish_reason: ``stop``, ``length``, ``tool_calls`` (None only on a partial response).
        model: the model that answered.
        id: the completion id.
        request_id: DashScope's request id (quote it to support).
        usage: token usage, when the service sent it.
        audio_pcm: the spoken reply as raw PCM16 mono 24 kHz ("" when none).
        transcript: the spoken reply's transcript when sent separately.
        audio_id: the id of the spoken reply.
        cache: what the analysis cache did (None when the client has no cache).
    """

    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    invalid_tool_calls: list[InvalidToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    model: str = ""
    id: str = ""
    request_id: str | None = None
    usage: Usage | None = None
    audio_pcm: bytes = b""
    transcript: str = ""
    audio_id: str | None = None
    cache: CacheInfo | None = None

    @property
    def from_cache(self) -> bool:
        """True when this answer came from the analysis cache (nothing was sent or paid)."""
        return self.cache is not None and self.cache.hit

    @property
    def audio_wav(self) -> bytes | None:
        """The spoken reply as a WAV file (PCM16 mono 24 kHz), or None without audio."""
        if not self.audio_pcm:
            return None
        return pcm_to_wav(self.audio_pcm)

    @property
    def audio_seconds(self) -> float:
        """Duration of the spoken reply."""
        return pcm_seconds(self.audio_pcm)

    def save_audio(self, path: str | Path) -> Path:
        """Write the spoken reply as a WAV file; raises ValueError when there is none."""
        return save_wav(self.audio_pcm, path)
