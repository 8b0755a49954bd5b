"""What comes back: stream events, token usage, and the assembled ``OmniResponse``."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from qwen_omni.content import ToolCall

__all__ = [
    "AUDIO_CHANNELS",
    "AUDIO_SAMPLE_RATE",
    "AUDIO_SAMPLE_WIDTH",
    "AudioDelta",
    "Event",
    "Finish",
    "OmniResponse",
    "ReasoningDelta",
    "Started",
    "TextDelta",
    "ToolCallDelta",
    "Usage",
    "UsageEvent",
    "pcm_to_wav",
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
    """The answer is complete: ``stop``, ``length`` or ``tool_calls``."""

    reason: str


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


@dataclass
class OmniResponse:
    """A whole answer, assembled from the stream.

    Attributes:
        text: the answer text (from ``delta.content``, or the audio transcript when the model
            only sent that).
        reasoning: the thinking text (thinking mode), else "".
        tool_calls: the function calls, in index order.
        finish_reason: ``stop``, ``length``, ``tool_calls`` (None only on a partial response).
        model: the model that answered.
        id: the completion id.
        request_id: DashScope's request id (quote it to support).
        usage: token usage, when the service sent it.
        audio_pcm: the spoken reply as raw PCM16 mono 24 kHz ("" when none).
        transcript: the spoken reply's transcript when sent separately.
        audio_id: the id of the spoken reply.
    """

    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    model: str = ""
    id: str = ""
    request_id: str | None = None
    usage: Usage | None = None
    audio_pcm: bytes = b""
    transcript: str = ""
    audio_id: str | None = None

    @property
    def audio_wav(self) -> bytes | None:
        """The spoken reply as a WAV file (PCM16 mono 24 kHz), or None without audio."""
        if not self.audio_pcm:
            return None
        return pcm_to_wav(self.audio_pcm)

    @property
    def audio_seconds(self) -> float:
        """Duration of the spoken reply."""
        return len(self.audio_pcm) / (AUDIO_SAMPLE_RATE * AUDIO_SAMPLE_WIDTH * AUDIO_CHANNELS)

    def save_audio(self, path: str | Path) -> Path:
        """Write the spoken reply as a WAV file; raises ValueError when there is none."""
        wav = self.audio_wav
        if wav is None:
            raise ValueError("this response has no audio: request modalities=['text', 'audio']")
        target = Path(path)
        target.write_bytes(wav)
        return target
