"""Pure: core stream events → LangChain message chunks, usage and spoken-reply audio.

How chunks are shaped so that ``chunk_a + chunk_b + …`` (LangChain's merge) is right:

- Text-only replies stream plain string content, like every chat model.
- When a spoken reply is requested, content is a list of indexed blocks: the answer text as
  ``{"type": "text", "index": 0}`` and the audio as ``{"type": "audio", "index": 1}``.
  LangChain merges blocks with the same index by concatenating their string fields, so the
  text grows in one block and the audio's ``base64`` grows in the other.
- Concatenated base64 is only the base64 of the concatenated bytes when every piece but the
  last encodes a multiple of 3 bytes; pieces are also kept sample-aligned (2 bytes) so each
  chunk can be decoded and played on its own. So audio goes out in multiples of 6 bytes and
  the last chunk flushes the remainder.
- The first audio piece starts with a WAV header. Its length fields hold 0xFFFFFFFF, the
  "length unknown" convention of streamed WAV, because the length is not known until the
  end. ``invoke`` rewrites the header with the exact lengths; :func:`get_audio` does the
  same for a message merged from ``stream``.
- ``mime_type`` and ``id`` appear once per block (merging would concatenate them).
- Usage, finish reason, model name and request id travel only on the last chunk (merging
  sums ints and concatenates strings), which also carries ``chunk_position="last"``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.outputs import ChatGenerationChunk

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
    WavStreamEncoder,
    fix_streamed_wav,
)

__all__ = [
    "MODEL_PROVIDER",
    "AUDIO_BLOCK_INDEX",
    "TEXT_BLOCK_INDEX",
    "ChunkAssembler",
    "WavStreamEncoder",
    "finalize_audio",
    "get_audio",
    "usage_to_metadata",
]

#: ``response_metadata["model_provider"]`` of every message this package produces.
MODEL_PROVIDER = "qwen_omni"
TEXT_BLOCK_INDEX = 0
AUDIO_BLOCK_INDEX = 1
AUDIO_MIME = "audio/wav"


def _audio_blocks(message: BaseMessage) -> list[dict[str, Any]]:
    if not isinstance(message.content, list):
        return []
    return [
        b
        for b in message.content
        if isinstance(b, dict) and b.get("type") == "audio" and b.get("base64")
    ]


def get_audio(message: BaseMessage) -> bytes | None:
    """The spoken reply of a message as WAV bytes (exact lengths), or None without audio.

    Works on an ``invoke`` result and on chunks merged from ``stream``/``astream``.
    """
    blocks = _audio_blocks(message)
    if not blocks:
        return None
    try:
        wav = base64.b64decode(blocks[0]["base64"])
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the audio block of this message is not valid base64: {exc}") from exc
    return fix_streamed_wav(wav)


def finalize_audio(message: AIMessage) -> AIMessage:
    """Rewrite the streamed WAV header of ``message``'s audio block with the exact lengths."""
    blocks = _audio_blocks(message)
    if not blocks:
        return message
    content = []
    for block in message.content:
        if block is blocks[0]:
            wav = get_audio(message)
            assert wav is not None
            block = {**block, "base64": base64.b64encode(wav).decode("ascii")}
        content.append(block)
    return message.model_copy(update={"content": content})


def _present(details: dict[str, Any], key: str, value: int) -> bool:
    return key in details or value != 0


def usage_to_metadata(usage: Usage) -> UsageMetadata:
    """The service's usage → LangChain ``UsageMetadata``.

    ``input_token_details`` holds ``audio`` (audio input, including a video's sound track),
    ``cache_read``, and, as provider-specific keys, ``image`` and ``video`` tokens;
    ``output_token_details`` holds ``audio`` (the spoken reply) and ``reasoning``. A detail is
    present when the service reported it (even as 0) or when it is non-zero.
    """
    raw = usage.raw or {}
    prompt = raw.get("prompt_tokens_details") or {}
    completion = raw.get("completion_tokens_details") or {}
    input_details: dict[str, int] = {}
    if _present(prompt, "audio_tokens", usage.input_audio_tokens):
        input_details["audio"] = usage.input_audio_tokens
    if _present(prompt, "cached_tokens", usage.cached_tokens):
        input_details["cache_read"] = usage.cached_tokens
    if _present(prompt, "image_tokens", usage.input_image_tokens):
        input_details["image"] = usage.input_image_tokens
    if _present(prompt, "video_tokens", usage.input_video_tokens):
        input_details["video"] = usage.input_video_tokens
    output_details: dict[str, int] = {}
    if _present(completion, "audio_tokens", usage.output_audio_tokens):
        output_details["audio"] = usage.output_audio_tokens
    if _present(completion, "reasoning_tokens", usage.reasoning_tokens):
        output_details["reasoning"] = usage.reasoning_tokens
    total = usage.total_tokens or usage.input_tokens + usage.output_tokens
    out = UsageMetadata(
        input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, total_tokens=total
    )
    if input_details:
        out["input_token_details"] = InputTokenDetails(**input_details)  # type: ignore[typeddict-item]
    if output_details:
        out["output_token_details"] = OutputTokenDetails(**output_details)  # type: ignore[typeddict-item]
    return out


class ChunkAssembler:
    """Turns the core's events for one response into ``ChatGenerationChunk`` objects.

    Args:
        model: the model asked for (the fallback for ``model_name``).
        blocks: emit content as indexed blocks (True when a spoken reply is requested).
    """

    def __init__(self, *, model: str, blocks: bool) -> None:
        self.model = model
        self.blocks = blocks
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.request_id: str | None = None
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.audio_id: str | None = None
        self._encoder = WavStreamEncoder()
        self._audio_started = False
        self._tool_slots: set[int] = set()

    def _empty(self) -> str | list[str | dict[str, Any]]:
        return [] if self.blocks else ""

    def _chunk(self, content: Any = None, **fields: Any) -> ChatGenerationChunk:
        message = AIMessageChunk(
            content=self._empty() if content is None else content,
            id=self.response_id or None,
            response_metadata={"model_provider": MODEL_PROVIDER},
            **fields,
        )
        return ChatGenerationChunk(message=message)

    def _audio_block(self, piece: str) -> dict[str, Any]:
        block: dict[str, Any] = {"type": "audio", "index": AUDIO_BLOCK_INDEX, "base64": piece}
        if not self._audio_started:
            self._audio_started = True
            block["mime_type"] = AUDIO_MIME
            if self.audio_id:
                block["id"] = self.audio_id
        return block

    def on_event(self, event: Event) -> ChatGenerationChunk | None:
        """The chunk for one event, or None when the event only updates the final chunk."""
        if isinstance(event, TextDelta):
            if not event.text:
                return None
            if self.blocks:
                return self._chunk([{"type": "text", "text": event.text, "index": 0}])
            return self._chunk(event.text)
        if isinstance(event, AudioDelta):
            if event.id and not self.audio_id:
                self.audio_id = event.id
            piece = self._encoder.feed(event.data) if event.data else ""
            if not piece:
                return None
            block = self._audio_block(piece)
            return self._chunk([block])
        if isinstance(event, ReasoningDelta):
            if not event.text:
                return None
            return self._chunk(additional_kwargs={"reasoning_content": event.text})
        if isinstance(event, ToolCallDelta):
            first = event.index not in self._tool_slots
            self._tool_slots.add(event.index)
            call = {
                "type": "tool_call_chunk",
                "index": event.index,
                # id and name once per call: merging would concatenate repeats.
                "id": event.id if first else None,
                "name": event.name if first else None,
                "args": event.arguments or "",
            }
            return self._chunk(tool_call_chunks=[call])
        if isinstance(event, Started):
            self.response_id = event.id or None
            self.response_model = event.model or None
            self.request_id = event.request_id
            return None
        if isinstance(event, Finish):
            self.finish_reason = event.reason
            return None
        if isinstance(event, UsageEvent):
            self.usage = event.usage
            return None
        return None

    def response_metadata(self) -> dict[str, Any]:
        """What the last chunk carries in ``response_metadata``."""
        meta: dict[str, Any] = {
            "model_provider": MODEL_PROVIDER,
            "model_name": self.response_model or self.model,
            "finish_reason": self.finish_reason,
        }
        if self.request_id:
            meta["request_id"] = self.request_id
        if self.response_id:
            meta["id"] = self.response_id
        return meta

    def last(self) -> ChatGenerationChunk:
        """The final chunk: the rest of the audio, usage and metadata; ``chunk_position="last"``."""
        content: Any = self._empty()
        rest = self._encoder.flush() if self._audio_started or self._encoder.pcm_bytes else ""
        if rest:
            content = [self._audio_block(rest)]
        message = AIMessageChunk(
            content=content,
            id=self.response_id or None,
            response_metadata=self.response_metadata(),
            chunk_position="last",
        )
        if self.usage is not None:
            message.usage_metadata = usage_to_metadata(self.usage)
        return ChatGenerationChunk(message=message)
