"""Pure converters between LlamaIndex chat types and the qwen-omni core.

In: ``ChatMessage.blocks`` → core ``Message`` objects holding ``Text``/``Image``/``Audio``/
``Video`` parts (URLs pass through; paths and bytes are handed to the core, which delivers
them). Out: core stream events → cumulative ``ChatResponse`` chunks carrying text, thinking,
tool calls and, at the end, the spoken reply as an ``AudioBlock``.

No wire format, HTTP or base64 lives here: the core owns those. The model's own rules (one
modality per user message, file counts, limits) are checked by the core when the request is
built, with a ``RequestValidationError`` that names the rule and the fix.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from io import IOBase
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json
from llama_index.core.utils import resolve_binary

from qwen_omni import content as core
from qwen_omni.catalog import IMAGE_BUDGET_MIN_PIXELS
from qwen_omni.errors import RequestValidationError
from qwen_omni.response import (
    AudioDelta,
    Event,
    Finish,
    OmniResponse,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    UsageEvent,
)
from qwen_omni.tool_results import lift_tool_media

__all__ = [
    "AUDIO_DELTA_KEY",
    "THINKING_DELTA_KEY",
    "TOOL_CALL_ERRORS_KEY",
    "ChatStreamAssembler",
    "IncompleteToolCallError",
    "block_to_part",
    "image_detail_bounds",
    "force_single_tool_call",
    "response_raw",
    "to_omni_messages",
    "tool_calls_from_message",
]


#: ``ChatResponse.additional_kwargs`` key of a streamed reasoning piece (read by agents).
THINKING_DELTA_KEY = "thinking_delta"
#: ``ChatMessage.additional_kwargs`` key of the tool calls of a finished answer that were cut
#: off (``[{"id", "name", "arguments", "error"}]``): never executed.
TOOL_CALL_ERRORS_KEY = "tool_call_errors"


class IncompleteToolCallError(ValueError):
    """A tool call of the answer was cut off (``finish_reason="length"`` or a stream that
    ended mid-arguments), so it is not executed. ``calls`` lists them with their raw
    arguments and why."""

    def __init__(self, message: str, calls: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.calls = calls


#: ``ChatResponse.additional_kwargs`` key of a streamed piece of the spoken reply (raw PCM16
#: mono 24 kHz bytes); the whole reply arrives as an ``AudioBlock`` in the last chunk.
AUDIO_DELTA_KEY = "audio_delta"

_ROLES: dict[str, str] = {
    MessageRole.SYSTEM.value: "system",
    MessageRole.DEVELOPER.value: "system",
    MessageRole.USER.value: "user",
    MessageRole.ASSISTANT.value: "assistant",
    MessageRole.CHATBOT.value: "assistant",
    MessageRole.MODEL.value: "assistant",
    MessageRole.TOOL.value: "tool",
    MessageRole.FUNCTION.value: "tool",
}

_DOCUMENT_HINT = (
    "Qwen-Omni reads text, images, audio and video, not documents ({what}): extract the text "
    "(e.g. with a LlamaIndex file reader) and send it as TextBlocks, or render the pages as "
    "ImageBlocks"
)


# --- blocks → core parts ----------------------------------------------------------------------


def _raw_bytes(data: bytes | IOBase) -> bytes:
    """The media bytes of a block's ``image``/``audio``/``video`` field.

    LlamaIndex stores bytes given to a block base64-encoded; ``resolve_binary`` undoes that
    (and leaves bytes that were never encoded alone).
    """
    if isinstance(data, IOBase):
        data.seek(0)
        raw = data.read()
        return raw if isinstance(raw, bytes) else str(raw).encode()
    return resolve_binary(raw_bytes=data).read()


def _source(data: bytes | IOBase | None, path: Any, url: Any, kind: str) -> dict[str, Any]:
    """The one core source of a media block: url (passed through), path or bytes."""
    if data is not None:
        return {"data": _raw_bytes(data)}
    if path is not None:
        return core.media_source(path)
    if url is not None:
        # file:// URLs become local paths; http(s)://, oss:// and data: go as they are.
        return core.media_source(str(url))
    raise RequestValidationError(
        f"an empty {kind} block: set one of url, path or {kind} (bytes)",
        rule="empty_block",
    )


#: ``ImageBlock.detail`` words → pixel bounds (see :func:`image_detail_bounds`)
_DETAIL_WORDS: dict[str, dict[str, int]] = {
    "low": {"max_pixels": 640 * 480},
    # the model's default cap (1,280 tokens), never upscaling tiny crops
    "high": {"min_pixels": IMAGE_BUDGET_MIN_PIXELS},
}


def image_detail_bounds(detail: str | None) -> dict[str, int]:
    """Pixel bounds carried by an ``ImageBlock.detail`` (LlamaIndex has no pixel fields).

    - ``None`` or ``"auto"``: none here; the LLM's ``image_budget`` applies (by default the
      field guide's ``max_pixels=1280*720``, ``min_pixels=640*480``);
    - ``"low"``: ``max_pixels=640*480`` (at most ~300 tokens);
    - ``"high"``: the model's default cap (1,280 tokens), ``min_pixels=640*480``;
    - ``"max_pixels=1003520"``, ``"min_pixels=65536,max_pixels=1003520"``: exactly those.

    Raises:
        RequestValidationError: any other value, with the accepted forms.
    """
    if detail is None or detail.strip().lower() in ("", "auto"):
        return {}
    word = detail.strip().lower()
    if word in _DETAIL_WORDS:
        return dict(_DETAIL_WORDS[word])
    bounds: dict[str, int] = {}
    for item in word.replace(";", ",").split(","):
        key, _, value = item.partition("=")
        key = key.strip()
        if key in ("min_pixels", "max_pixels") and value.strip().isdigit():
            bounds[key] = int(value)
        else:
            bounds = {}
            break
    if not bounds:
        raise RequestValidationError(
            f"ImageBlock.detail={detail!r} is not understood: use 'auto', 'low', 'high' or "
            "'max_pixels=N' / 'min_pixels=M,max_pixels=N' (pixels)",
            rule="image_detail",
            value=detail,
        )
    return bounds


def block_to_part(block: Any) -> core.Part | None:
    """One LlamaIndex content block as a core part; None for blocks that carry nothing to send.

    ``TextBlock`` → ``Text``; ``ImageBlock``/``AudioBlock``/``VideoBlock`` → ``Image``/``Audio``/
    ``Video`` (``VideoBlock.fps`` kept). ``ThinkingBlock`` and ``CachePoint`` are dropped.
    ``DocumentBlock`` and tool calls in the wrong place raise ``RequestValidationError``.
    """
    if isinstance(block, TextBlock):
        return core.Text(text=block.text)
    if isinstance(block, ImageBlock):
        bounds = image_detail_bounds(block.detail)
        return core.Image(
            **_source(block.image, block.path, block.url, "image"),
            mime_type=block.image_mimetype,
            min_pixels=bounds.get("min_pixels"),
            max_pixels=bounds.get("max_pixels"),
        )
    if isinstance(block, AudioBlock):
        return core.Audio(
            **_source(block.audio, block.path, block.url, "audio"),
            format=block.format,
        )
    if isinstance(block, VideoBlock):
        return core.Video(
            **_source(block.video, block.path, block.url, "video"),
            fps=float(block.fps) if block.fps is not None else None,
            mime_type=block.video_mimetype,
        )
    if isinstance(block, (ThinkingBlock, CachePoint)):
        return None
    if isinstance(block, CitationBlock):
        return block_to_part(block.cited_content)
    if isinstance(block, DocumentBlock):
        what = block.title if block.title and block.title != "input_document" else "a document"
        raise RequestValidationError(
            _DOCUMENT_HINT.format(what=f"{what}, {block.document_mimetype or 'unknown type'}"),
            rule="unsupported_block",
            value="document",
        )
    if isinstance(block, ToolCallBlock):
        raise RequestValidationError(
            f"a ToolCallBlock ({block.tool_name}) may only appear in an assistant message",
            rule="tool_call_placement",
        )
    raise RequestValidationError(
        f"Qwen-Omni cannot take a {type(block).__name__}: send TextBlock, ImageBlock, "
        "AudioBlock or VideoBlock",
        rule="unsupported_block",
        value=type(block).__name__,
    )


def _parts(blocks: Sequence[Any]) -> list[core.Part]:
    out: list[core.Part] = []
    for block in blocks:
        if isinstance(block, CitableBlock):
            out.extend(p for b in block.content if (p := block_to_part(b)) is not None)
            continue
        part = block_to_part(block)
        if part is not None:
            out.append(part)
    return out


def _text_of(blocks: Sequence[Any], role: str) -> str:
    """The text of a non-user message; media there is an error, thinking and audio are dropped."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, (ThinkingBlock, CachePoint, ToolCallBlock)):
            continue
        elif isinstance(block, AudioBlock) and role == "assistant":
            # A spoken reply of ours in the history: its transcript is the TextBlock next to it;
            # the service takes text only in assistant turns.
            continue
        elif isinstance(block, DocumentBlock):
            block_to_part(block)  # raises with the explanation
        else:
            raise RequestValidationError(
                f"a {role} message holds a {type(block).__name__}: only user messages may carry "
                "images, audio or video; move the media into a user message",
                rule="media_in_user_messages_only",
                value=role,
            )
    return "\n".join(texts)


def _tool_kwargs_json(kwargs: dict[str, Any] | str) -> str:
    if isinstance(kwargs, str):
        return kwargs or "{}"
    return json.dumps(kwargs, ensure_ascii=False)


def _assistant_tool_calls(message: ChatMessage) -> list[core.ToolCall]:
    calls = [
        core.ToolCall(
            id=block.tool_call_id or f"call_{n}",
            name=block.tool_name,
            arguments=_tool_kwargs_json(block.tool_kwargs),
        )
        for n, block in enumerate(b for b in message.blocks if isinstance(b, ToolCallBlock))
    ]
    if calls:
        return calls
    # Older integrations kept OpenAI-shaped calls in additional_kwargs["tool_calls"].
    for n, raw in enumerate(message.additional_kwargs.get("tool_calls") or ()):
        item = raw if isinstance(raw, dict) else getattr(raw, "model_dump", lambda: {})()
        function = item.get("function") or {}
        name = function.get("name")
        if name:
            arguments = function.get("arguments") or "{}"
            calls.append(
                core.ToolCall(
                    id=item.get("id") or f"call_{n}",
                    name=name,
                    arguments=arguments if isinstance(arguments, str) else json.dumps(arguments),
                )
            )
    return calls


def to_omni_messages(messages: Sequence[ChatMessage]) -> list[core.Message]:
    """LlamaIndex chat messages → core messages.

    - system/developer → system; user → user (all blocks); assistant/chatbot/model → assistant
      with its text and ``ToolCallBlock``s as tool calls; tool/function → tool, with
      ``additional_kwargs["tool_call_id"]``.
    - Media returned by a tool (e.g. an ``ImageBlock`` in a ``ToolOutput``) cannot ride in the
      tool message, which takes text only; it follows the tool results as a user message, one
      per medium so the one-modality-per-message rule holds.
    """
    out: list[core.Message] = []
    for message in messages:
        # ChatMessage validates its role into a MessageRole; every member is mapped above.
        role = _ROLES[MessageRole(message.role).value]
        if role == "user":
            out.append(core.Message(role="user", content=tuple(_parts(message.blocks))))
        elif role == "system":
            out.append(core.Message(role="system", content=_text_of(message.blocks, "system")))
        elif role == "assistant":
            out.append(
                core.Message(
                    role="assistant",
                    content=_text_of(message.blocks, "assistant"),
                    tool_calls=tuple(_assistant_tool_calls(message)),
                )
            )
        else:
            call_id = str(
                message.additional_kwargs.get("tool_call_id")
                or message.additional_kwargs.get("name")
                or ""
            )
            out.append(
                core.Message(
                    role="tool", content=tuple(_parts(message.blocks)), tool_call_id=call_id
                )
            )
    # Media in tool results follow as user messages (qwen_omni.tool_results, shared with
    # ChatQwenOmni).
    return lift_tool_media(out)


# --- tools --------------------------------------------------------------------------------------


def _parse_kwargs(kwargs: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(kwargs, dict):
        return kwargs
    if not kwargs.strip():
        return {}
    try:
        value = parse_partial_json(kwargs)
    except (ValueError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def tool_calls_from_message(message: ChatMessage) -> list[ToolSelection]:
    """``ToolSelection``s for the ``ToolCallBlock``s of a message (partial JSON tolerated in
    a streaming chunk's view).

    Raises:
        IncompleteToolCallError: the message is a finished answer with a tool call whose
            arguments were cut off (listed in ``additional_kwargs["tool_call_errors"]``):
            it must never run; raise ``max_tokens`` and ask again.
    """
    errors = message.additional_kwargs.get(TOOL_CALL_ERRORS_KEY)
    if errors:
        raise IncompleteToolCallError("; ".join(str(e.get("error")) for e in errors), errors)
    return [
        ToolSelection(
            tool_id=block.tool_call_id or f"call_{n}",
            tool_name=block.tool_name,
            tool_kwargs=_parse_kwargs(block.tool_kwargs),
        )
        for n, block in enumerate(b for b in message.blocks if isinstance(b, ToolCallBlock))
    ]


def force_single_tool_call(response: ChatResponse) -> None:
    """Keep only the first tool call of a response (when parallel calls were not allowed)."""
    seen = False
    kept = []
    for block in response.message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        kept.append(block)
    response.message.blocks = kept


# --- events → ChatResponse ----------------------------------------------------------------------


def _tool_block(call: core.ToolCall | core.InvalidToolCall) -> ToolCallBlock:
    kwargs: dict[str, Any] | str = call.arguments
    if isinstance(call, core.ToolCall):
        # A finished call's arguments decode; a partial view that does not decode yet keeps
        # the raw string.
        with contextlib.suppress(ValueError):
            kwargs = call.parsed_arguments()
    return ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=kwargs)


def response_raw(response: OmniResponse) -> dict[str, Any]:
    """The JSON-friendly ``raw`` of a final chunk: ids, finish reason and the usage object.

    ``usage`` keeps the service's keys (``prompt_tokens``, ``completion_tokens``, details per
    modality), which LlamaIndex's token counter reads.
    """
    usage: dict[str, Any] | None = None
    if response.usage is not None:
        usage = dict(response.usage.raw) or {
            "prompt_tokens": response.usage.input_tokens,
            "completion_tokens": response.usage.output_tokens,
            "total_tokens": response.usage.total_tokens,
        }
    return {
        "id": response.id,
        "model": response.model,
        "request_id": response.request_id,
        "finish_reason": response.finish_reason,
        "usage": usage,
        "audio_seconds": response.audio_seconds,
    }


class ChatStreamAssembler:
    """Turns the events of one core stream into cumulative ``ChatResponse`` chunks.

    Every chunk carries the whole message so far plus the new piece: ``delta`` for text,
    ``additional_kwargs["thinking_delta"]`` for reasoning, ``["audio_delta"]`` for PCM.

    Tool calls are joined by the core only. While their arguments stream, a chunk shows the
    calls so far (raw argument text) only when a call starts or the arguments have doubled
    since the last view: partial views stay available (agents' progress events, streaming
    structured output) at a total cost linear in the arguments, where a view per fragment
    re-joined and re-parsed the growing JSON each time (quadratic). The last chunk carries
    the calls decoded once by the core; a call that was cut off is listed under
    ``additional_kwargs["tool_call_errors"]`` and :func:`tool_calls_from_message` refuses it.

    Args:
        snapshot: the core's whole answer (``OmniStream.response``), read once at the end.
        partial_calls: the core's raw view of the calls so far
            (``OmniStream.partial_tool_calls``); default: from ``snapshot``.
    """

    def __init__(
        self,
        snapshot: Callable[[], OmniResponse],
        partial_calls: Callable[[], list[core.ToolCall]] | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._partial_calls = partial_calls or (lambda: list(snapshot().tool_calls))
        self._text = ""
        self._reasoning = ""
        self._tool_calls: list[core.ToolCall | core.InvalidToolCall] = []
        self._arg_chars = 0
        self._viewed_chars = 0
        self._saw_audio = False

    def _message(self, final: OmniResponse | None = None) -> ChatMessage:
        blocks: list[Any] = []
        if self._reasoning:
            blocks.append(ThinkingBlock(content=self._reasoning))
        if self._text:
            blocks.append(TextBlock(text=self._text))
        if final is not None and final.audio_pcm:
            blocks.append(AudioBlock(audio=final.audio_wav, format="wav"))
        blocks.extend(_tool_block(call) for call in self._tool_calls)
        additional: dict[str, Any] = {}
        if self._tool_calls:
            # LlamaIndex's streaming structured output still looks for OpenAI-shaped calls here.
            additional["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self._tool_calls
            ]
            errors = [
                {"id": c.id, "name": c.name, "arguments": c.arguments, "error": c.error}
                for c in self._tool_calls
                if isinstance(c, core.InvalidToolCall)
            ]
            if final is not None and errors:
                additional[TOOL_CALL_ERRORS_KEY] = errors
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=additional)

    def on_event(self, event: Event) -> ChatResponse | None:
        """The chunk for one event, or None for events that add nothing to show."""
        if isinstance(event, TextDelta):
            self._text += event.text
            return ChatResponse(message=self._message(), delta=event.text)
        if isinstance(event, ReasoningDelta):
            self._reasoning += event.text
            return ChatResponse(
                message=self._message(),
                delta="",
                additional_kwargs={THINKING_DELTA_KEY: event.text},
            )
        if isinstance(event, ToolCallDelta):
            self._arg_chars += len(event.arguments)
            starts = event.name is not None or event.id is not None
            if not starts and self._arg_chars < 2 * self._viewed_chars:
                return None
            self._viewed_chars = self._arg_chars
            self._tool_calls = list[core.ToolCall | core.InvalidToolCall](self._partial_calls())
            return ChatResponse(message=self._message(), delta="")
        if isinstance(event, AudioDelta):
            if not event.data:
                return None
            self._saw_audio = True
            return ChatResponse(
                message=self._message(), delta="", additional_kwargs={AUDIO_DELTA_KEY: event.data}
            )
        if isinstance(event, (Finish, UsageEvent)):
            return None
        return None  # Started

    def finish(self) -> ChatResponse:
        """The last chunk: the whole message (with the spoken reply) and usage in ``raw``."""
        final = self._snapshot()
        self._text = final.text
        self._reasoning = final.reasoning
        # The finished calls, then the cut-off ones (listed in tool_call_errors too).
        self._tool_calls = [*final.tool_calls, *final.invalid_tool_calls]
        additional: dict[str, Any] = {}
        if final.usage is not None:
            additional = {
                "prompt_tokens": final.usage.input_tokens,
                "completion_tokens": final.usage.output_tokens,
                "total_tokens": final.usage.total_tokens,
            }
        return ChatResponse(
            message=self._message(final),
            delta="",
            raw=response_raw(final),
            additional_kwargs=additional,
        )
