"""Pure: core stream events → LangChain message chunks, and a whole ``OmniResponse`` → one
``AIMessage``.

Chunks are shaped so that merging them (``chunk_a + chunk_b + …``, which LangChain does in
``stream()``, in ``invoke()`` when streaming callbacks are on, and users do by hand) costs time
linear in the answer, and so that the merged message obeys the standard content blocks:

- Text-only replies stream plain string content, like every chat model.
- When a spoken reply is requested, content is a list of standard blocks: text pieces as
  ``{"type": "text"}`` blocks, and the audio as one ``{"type": "audio", "base64": …,
  "mime_type": "audio/wav", "index": "audio-<n>"}`` block per chunk, each a complete WAV of
  its piece (exact header, whole samples). LangChain merges blocks that share an integer (or
  ``lc_``) index by concatenating their strings, and finds them by scanning the whole list:
  both grow with the answer at every merge, which made five minutes of speech cost 15 s of
  CPU. Here no block has such an index, so merging is a list append; ``message.text`` joins
  the text pieces and :func:`get_audio` joins the audio pieces into one WAV. The string
  index keeps each audio piece its own block where LangChain numbers blocks itself
  (``output_version="v1"``, ``stream_events(version="v3")``). ``invoke`` returns one text
  and one audio block, built from the core's whole response.
- Tool calls: a chunk announces each call as it starts (name, id, empty ``args``, so the first
  delta arrives at once), and the last chunk carries every call's arguments whole, as joined
  and decoded once by the core. Streaming fragments would make
  LangChain re-parse the growing partial JSON at every merge (quadratic), and would turn a
  call that was cut off (``finish_reason="length"``) into a callable ``tool_calls`` entry by
  its lenient partial-JSON parse. A cut-off call is sent with its arguments prefixed by
  :data:`CUT_OFF_MARK`, which no JSON parser accepts, so merged chunks list it under
  ``invalid_tool_calls``; ``invoke`` lists it there with the core's ``error``.
- ``mime_type`` and ``id`` appear once per block; usage, finish reason, model name and
  request id travel only on the last chunk (merging sums ints and concatenates strings),
  which also carries ``chunk_position="last"``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from qwen_omni.content import InvalidToolCall, ToolCall
from qwen_omni.response import (
    AUDIO_SAMPLE_WIDTH,
    WAV_HEADER_BYTES,
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
    pcm_to_wav,
    wav_header,
)

__all__ = [
    "CUT_OFF_MARK",
    "MODEL_PROVIDER",
    "ChunkAssembler",
    "get_audio",
    "message_from_response",
    "usage_to_metadata",
]

#: ``response_metadata["model_provider"]`` of every message this package produces.
MODEL_PROVIDER = "qwen_omni"
AUDIO_MIME = "audio/wav"
#: Prefix of the arguments of a streamed tool call that was cut off: it makes LangChain's
#: partial-JSON parser fail, so the call lands in ``invalid_tool_calls``, never ``tool_calls``.
CUT_OFF_MARK = "[cut off, not executed] "


def _audio_blocks(message: BaseMessage) -> list[dict[str, Any]]:
    if not isinstance(message.content, list):
        return []
    return [
        b
        for b in message.content
        if isinstance(b, dict) and b.get("type") == "audio" and b.get("base64")
    ]


def _pcm_of(wav: bytes) -> bytes:
    if len(wav) >= WAV_HEADER_BYTES and wav[:4] == b"RIFF" and wav[36:40] == b"data":
        return wav[WAV_HEADER_BYTES:]
    return wav


def get_audio(message: BaseMessage) -> bytes | None:
    """The spoken reply of a message as one WAV file (exact lengths), or None without audio.

    Works on an ``invoke`` result (one audio block) and on chunks merged from
    ``stream``/``astream`` (one audio block per chunk, joined here in order).
    """
    blocks = _audio_blocks(message)
    if not blocks:
        return None
    try:
        wavs = [base64.b64decode(b["base64"]) for b in blocks]
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"an audio block of this message is not valid base64: {exc}") from exc
    pcm = b"".join(_pcm_of(w) for w in wavs)
    return wav_header(len(pcm)) + pcm


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


def _response_metadata(
    model: str,
    response_model: str | None,
    finish: str | None,
    request_id: str | None,
    id_: str | None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "model_provider": MODEL_PROVIDER,
        "model_name": response_model or model,
        "finish_reason": finish,
    }
    if request_id:
        meta["request_id"] = request_id
    if id_:
        meta["id"] = id_
    return meta


def _args_of(call: ToolCall | InvalidToolCall) -> str:
    return CUT_OFF_MARK + call.arguments if isinstance(call, InvalidToolCall) else call.arguments


class ChunkAssembler:
    """Turns the core's events for one response into ``ChatGenerationChunk`` objects.

    Args:
        model: the model asked for (the fallback for ``model_name``).
        blocks: emit content as blocks (True when a spoken reply is requested).
    """

    __slots__ = (
        "_audio_count",
        "_carry",
        "_meta",
        "_open_calls",
        "_started_calls",
        "audio_id",
        "blocks",
        "finish_reason",
        "model",
        "request_id",
        "response_id",
        "response_model",
        "usage",
    )

    def __init__(self, *, model: str, blocks: bool) -> None:
        self.model = model
        self.blocks = blocks
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.request_id: str | None = None
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.audio_id: str | None = None
        self._audio_count = 0
        self._carry = b""  # an odd trailing byte, kept for the next piece (whole samples)
        # Calls announced so far: (stream index, arrival, id, name), and the id of the open
        # call of each stream index (the core's rule: a new id at a used index is a new call).
        self._started_calls: list[tuple[int, int, str | None, str | None]] = []
        self._open_calls: dict[int, str | None] = {}
        # One small dict per chunk (LangChain copies it into its own anyway).
        self._meta = {"model_provider": MODEL_PROVIDER}

    def _chunk(self, content: Any, **fields: Any) -> ChatGenerationChunk:
        message = AIMessageChunk(
            content=content,
            id=self.response_id,
            response_metadata=self._meta.copy(),
            **fields,
        )
        return ChatGenerationChunk(message=message)

    def _audio_block(self, pcm: bytes) -> dict[str, Any]:
        block: dict[str, Any] = {
            "type": "audio",
            "base64": base64.b64encode(wav_header(len(pcm)) + pcm).decode("ascii"),
            "mime_type": AUDIO_MIME,
            "index": f"audio-{self._audio_count}",
        }
        if self._audio_count == 0 and self.audio_id:
            block["id"] = self.audio_id
        self._audio_count += 1
        return block

    def on_event(self, event: Event) -> ChatGenerationChunk | None:
        """The chunk for one event, or None when the event only updates the final chunk."""
        if isinstance(event, TextDelta):
            if not event.text:
                return None
            if self.blocks:
                return self._chunk([{"type": "text", "text": event.text}])
            return self._chunk(event.text)
        if isinstance(event, AudioDelta):
            if event.id and not self.audio_id:
                self.audio_id = event.id
            pcm = self._carry + event.data if self._carry else event.data
            cut = len(pcm) - len(pcm) % AUDIO_SAMPLE_WIDTH
            self._carry = pcm[cut:]
            if not cut:
                return None
            return self._chunk([self._audio_block(pcm[:cut])])
        if isinstance(event, ReasoningDelta):
            if not event.text:
                return None
            return self._chunk(
                [] if self.blocks else "", additional_kwargs={"reasoning_content": event.text}
            )
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
        if isinstance(event, ToolCallDelta):
            return self._tool_call_start(event)
        return None

    def _tool_call_start(self, event: ToolCallDelta) -> ChatGenerationChunk | None:
        """A chunk announcing a call (its arguments come whole in the last chunk)."""
        known = event.index in self._open_calls
        current = self._open_calls.get(event.index)
        if known and not (event.id and current and event.id != current):
            if event.id and not current:
                self._open_calls[event.index] = event.id
            return None
        self._open_calls[event.index] = event.id
        position = len(self._started_calls)
        self._started_calls.append((event.index, position, event.id, event.name))
        call = tool_call_chunk(name=event.name, args="", id=event.id, index=position)
        return self._chunk([] if self.blocks else "", tool_call_chunks=[call])

    def response_metadata(self) -> dict[str, Any]:
        """What the last chunk carries in ``response_metadata``."""
        return _response_metadata(
            self.model, self.response_model, self.finish_reason, self.request_id, self.response_id
        )

    def _final_tool_call_chunks(self, calls: Sequence[ToolCall | InvalidToolCall]) -> list[Any]:
        """Each call's whole arguments under the index it was announced with; the id and
        name only where the announcement lacked them (merging concatenates strings)."""
        # The core orders calls by (stream index, arrival), as sorted here.
        started = sorted(self._started_calls)
        out = []
        for n, call in enumerate(calls):
            if n < len(started):
                _, position, sent_id, sent_name = started[n]
                # Merging concatenates names: send what the announcement did not have.
                rest = call.name[len(sent_name) :] if sent_name else call.name
                if sent_name and not call.name.startswith(sent_name):
                    rest = ""
                out.append(
                    tool_call_chunk(
                        name=rest or None,
                        args=_args_of(call),
                        id=None if sent_id else call.id,
                        index=position,
                    )
                )
            else:  # pragma: no cover - every call is announced by its first fragment
                out.append(
                    tool_call_chunk(name=call.name, args=_args_of(call), id=call.id, index=n)
                )
        return out

    def last(
        self,
        tool_calls: Sequence[ToolCall | InvalidToolCall]
        | Callable[[], Sequence[ToolCall | InvalidToolCall]] = (),
    ) -> ChatGenerationChunk:
        """The final chunk: whole tool calls, usage and metadata; ``chunk_position="last"``."""
        calls = tool_calls() if callable(tool_calls) else tool_calls
        content: Any = [] if self.blocks else ""
        if self._carry:
            # A stray odd byte cannot be a sample: dropped (PCM16 pieces are always whole).
            self._carry = b""
        message = AIMessageChunk(
            content=content,
            id=self.response_id,
            response_metadata=self.response_metadata(),
            tool_call_chunks=self._final_tool_call_chunks(calls),
            chunk_position="last",
        )
        if self.usage is not None:
            message.usage_metadata = usage_to_metadata(self.usage)
        return ChatGenerationChunk(message=message)


def message_from_response(response: OmniResponse, *, model: str, blocks: bool) -> AIMessage:
    """The core's whole answer as one ``AIMessage`` (what ``invoke`` returns), built once:
    no chunk merging. Cut-off tool calls are ``invalid_tool_calls`` with the core's error."""
    content: Any
    if blocks:
        content = []
        if response.text:
            content.append({"type": "text", "text": response.text})
        if response.audio_pcm:
            block: dict[str, Any] = {
                "type": "audio",
                "base64": base64.b64encode(pcm_to_wav(response.audio_pcm)).decode("ascii"),
                "mime_type": AUDIO_MIME,
            }
            if response.audio_id:
                block["id"] = response.audio_id
            content.append(block)
    else:
        content = response.text
    valid = [
        tool_call(name=call.name, args=call.parsed_arguments(), id=call.id)
        for call in response.tool_calls
    ]
    invalid = [
        invalid_tool_call(name=call.name, args=call.arguments, id=call.id, error=call.error)
        for call in response.invalid_tool_calls
    ]
    additional: dict[str, Any] = {}
    if response.reasoning:
        additional["reasoning_content"] = response.reasoning
    message = AIMessage(
        content=content,
        additional_kwargs=additional,
        response_metadata=_response_metadata(
            model, response.model or None, response.finish_reason, response.request_id, response.id
        ),
        tool_calls=valid,
        invalid_tool_calls=invalid,
        id=response.id or None,
    )
    if response.usage is not None:
        message.usage_metadata = usage_to_metadata(response.usage)
    return message
