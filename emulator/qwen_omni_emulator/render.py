"""Pure: a :class:`Reply` for a :class:`ChatRequest` → the SSE events of the response, and usage.

The order of events (§5):

1. the role chunk: ``{"content": "", "role": "assistant"}`` (with ``"reasoning_content": ""``
   and ``content: null`` when thinking);
2. ``reasoning_content`` deltas when thinking;
3. content deltas; with ``modalities: ["text","audio"]`` each is followed by an audio delta
   ``{"audio": {"data": <base64 PCM16 24 kHz>, "expires_at": …, "id": "audio_…"}}``;
4. tool-call deltas (name and id first, then the arguments in pieces);
5. the finish chunk: ``{"content": ""}`` with ``finish_reason``;
6. the usage chunk (``choices: []``) when ``stream_options.include_usage`` is set;
7. ``data: [DONE]``.

Usage (§5, §6): ``prompt_tokens_details`` holds text/image/video/audio tokens (a video's audio
track counts as audio), ``completion_tokens_details`` audio/text/reasoning tokens; zero entries are
omitted, as in the documented samples.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from qwen_omni_emulator import speech
from qwen_omni_emulator.replies import Reply
from qwen_omni_emulator.request import ChatRequest, text_tokens
from qwen_omni_emulator.sse import DONE, ChunkEncoder

__all__ = ["Rendered", "apply_limits", "compute_usage", "render"]

#: characters of tool-call arguments per delta
ARGUMENT_CHARS = 16


@dataclass
class Rendered:
    """The encoded events of one response and what they say."""

    chunks: list[bytes]
    #: index in ``chunks`` of the chunk that carries ``finish_reason``
    finish_index: int
    usage: dict[str, Any]
    text: str
    reasoning: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str = "stop"
    audio_bytes: int = 0


def _nonzero(details: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in details.items() if v}


def prompt_usage(request: ChatRequest) -> tuple[int, dict[str, int]]:
    """``(prompt_tokens, prompt_tokens_details)`` of a request whose media was perceived."""
    details = {
        "text_tokens": request.prompt_text_tokens(),
        "image_tokens": sum(p.tokens for p in request.perceived if p.modality == "image"),
        "video_tokens": sum(p.tokens for p in request.perceived if p.modality == "video"),
        "audio_tokens": sum(
            p.tokens if p.modality == "audio" else p.audio_tokens for p in request.perceived
        ),
    }
    return sum(details.values()), _nonzero(details)


def compute_usage(
    request: ChatRequest,
    *,
    text: str,
    reasoning: str,
    tool_calls: list[dict[str, Any]],
    audio_seconds: float,
) -> dict[str, Any]:
    """The usage object of the final chunk."""
    from qwen_omni.media.tokens import audio_tokens

    prompt_tokens, prompt_details = prompt_usage(request)
    out_text = text_tokens(text) + sum(
        text_tokens(c["name"]) + text_tokens(c["arguments"]) for c in tool_calls
    )
    completion = {
        "audio_tokens": (
            audio_tokens(audio_seconds, request.spec.tokens, output=True) if audio_seconds else 0
        ),
        "reasoning_tokens": text_tokens(reasoning),
        "text_tokens": out_text,
    }
    completion_tokens = sum(completion.values())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens_details": _nonzero(completion),
        "prompt_tokens_details": prompt_details,
    }


def apply_limits(request: ChatRequest, reply: Reply) -> Reply:
    """Honour ``stop`` sequences and ``max_tokens`` on a reply's text (not on explicit deltas)."""
    if reply.deltas is not None or not reply.content:
        return reply
    content = reply.content
    finish = reply.finish_reason
    stop = request.body.get("stop")
    stops = [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str)]
    cuts = [content.find(s) for s in stops if s and s in content]
    if cuts:
        content = content[: min(cuts)]
        finish = finish or "stop"
    limit = request.max_tokens
    if limit is not None and text_tokens(content) > limit:
        lo, hi = 0, len(content)
        while lo < hi:  # the longest prefix within the limit
            mid = (lo + hi + 1) // 2
            if text_tokens(content[:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        content = content[:lo]
        finish = "length"
    if content == reply.content:
        return reply
    return reply.with_(content=content, finish_reason=finish)


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def render(request: ChatRequest, reply: Reply, *, send_done: bool = True) -> Rendered:
    """Every SSE event of the answer, pre-encoded."""
    created = int(time.time())
    enc = ChunkEncoder(
        model=request.model, completion_id=f"chatcmpl-{request.request_id}", created=created
    )
    chunks: list[bytes] = []
    thinking = bool(reply.reasoning)
    if thinking:
        chunks.append(enc.delta({"content": None, "role": "assistant", "reasoning_content": ""}))
        chunks.extend(
            enc.delta({"content": None, "reasoning_content": piece})
            for piece in _pieces(reply.reasoning, reply.chunk_chars)
        )
    else:
        chunks.append(enc.delta({"content": "", "role": "assistant"}))

    deltas = reply.content_deltas()
    audio_seconds = 0.0
    audio_total = 0
    if request.wants_audio and (reply.content or reply.audio):
        pcm = (
            reply.audio
            if reply.audio is not None
            else speech.synthesize(reply.content, request.voice)
        )
        audio_total = len(pcm)
        audio_seconds = len(pcm) / speech.BYTES_PER_SECOND
        audio_id = f"audio_{uuid.uuid4()}"
        pieces = speech.pcm_chunks(pcm, max(1, len(deltas)))
        for i, piece in enumerate(pieces):
            if i < len(deltas):
                chunks.append(enc.content(deltas[i]))
            chunks.append(
                enc.delta(
                    {
                        "audio": {
                            "data": base64.b64encode(piece).decode(),
                            "expires_at": created,
                            "id": audio_id,
                        }
                    }
                )
            )
        chunks.extend(enc.content(d) for d in deltas[len(pieces) :])
    else:
        chunks.extend(enc.content(d) for d in deltas)

    calls: list[dict[str, Any]] = []
    for index, call in enumerate(reply.tool_calls):
        calls.append({"id": call.id, "name": call.name, "arguments": call.arguments})
        chunks.append(
            enc.delta(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                }
            )
        )
        chunks.extend(
            enc.delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in _pieces(call.arguments, ARGUMENT_CHARS)
        )

    finish = reply.final_finish_reason()
    finish_index = len(chunks)
    chunks.append(enc.delta({"content": ""}, finish_reason=finish))
    usage = reply.usage or compute_usage(
        request,
        text=reply.content,
        reasoning=reply.reasoning,
        tool_calls=calls,
        audio_seconds=audio_seconds,
    )
    if request.include_usage:
        chunks.append(enc.usage(usage))
    if send_done:
        chunks.append(DONE)
    return Rendered(
        chunks=chunks,
        finish_index=finish_index,
        usage=usage,
        text=reply.content,
        reasoning=reply.reasoning,
        tool_calls=calls,
        finish_reason=finish,
        audio_bytes=audio_total,
    )
