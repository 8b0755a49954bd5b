"""Pure: LangChain messages and content blocks → ``qwen_omni`` core messages and parts.

Accepted media blocks in a ``HumanMessage`` (all become core parts, so local files and bytes
are prepared and delivered by the core, never here):

- LangChain v1 blocks ``image`` / ``audio`` / ``video`` / ``file`` with ``url``, or ``base64``
  plus ``mime_type``; a ``file`` block is routed by its MIME type (image, audio or video);
- the integration's extension for local files: ``{"type": "video", "path": "clip.mp4"}``
  (``url`` may also be a ``file://`` URL);
- v0 blocks with ``source_type`` ``url`` / ``base64`` (core normalises most of them to v1
  before we see them; we accept both shapes);
- OpenAI Chat Completions parts ``image_url``, ``input_audio``, and the DashScope parts
  ``video_url``, ``audio_url`` and ``{"type": "video", "video": [frame URLs]}``.

Per-part knobs go in ``extras`` (v1) or as siblings (OpenAI/DashScope shapes): ``fps``,
``min_pixels``, ``max_pixels``, ``total_pixels`` for video, ``min_pixels``/``max_pixels`` for
images, ``format`` for audio.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from qwen_omni import data_uri
from qwen_omni.content import Message, Part, Text, ToolCall, image, video_frames
from qwen_omni.content import audio as audio_part
from qwen_omni.content import video as video_part
from qwen_omni.tool_results import lift_tool_media

__all__ = ["block_to_part", "content_to_parts", "to_core_message", "to_core_messages"]

_MEDIA_KINDS = ("image", "audio", "video")
_VIDEO_KNOBS = ("fps", "min_pixels", "max_pixels", "total_pixels")
_IMAGE_KNOBS = ("min_pixels", "max_pixels")
_URL_PREFIXES = ("http://", "https://", "oss://", "data:", "file://")


def _looks_like_url(value: str) -> bool:
    return value[:8].lower().startswith(_URL_PREFIXES)


def _data_uri(payload: str, mime_type: str | None, kind: str) -> str:
    """A data URI around base64 text that is already encoded (nothing is decoded here).

    Images carry their MIME type; audio and video use the ``data:;base64,`` form DashScope
    documents (their format travels on the part). ``input_audio.data`` and the v0→v1
    translation may put a URL or a whole data URI where base64 is expected; those are passed
    through unchanged.
    """
    if _looks_like_url(payload):
        return payload
    return data_uri.build(payload, kind, mime_type)


def _kind_of_mime(mime_type: str | None) -> str | None:
    major = (mime_type or "").split("/", 1)[0].lower()
    return major if major in _MEDIA_KINDS else None


def _knobs(block: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """Knobs from ``extras`` (v1) or siblings of the block (OpenAI/DashScope shapes)."""
    extras = block.get("extras") or {}
    out = {}
    for name in names:
        value = extras.get(name, block.get(name))
        if value is not None:
            out[name] = value
    return out


def _make(kind: str, source: Any, mime_type: str | None, block: Mapping[str, Any]) -> Part:
    if kind == "image":
        return image(source, mime_type=mime_type, **_knobs(block, _IMAGE_KNOBS))
    if kind == "audio":
        fmt = _knobs(block, ("format",)).get("format")
        return audio_part(source, format=fmt, mime_type=mime_type)
    return video_part(source, mime_type=mime_type, **_knobs(block, _VIDEO_KNOBS))


def _standard_block(kind: str, block: Mapping[str, Any]) -> Part:
    """A v1 (or v0) data block: url, base64 + mime_type, or a local path (our extension)."""
    mime_type = block.get("mime_type")
    if kind == "file":
        routed = _kind_of_mime(mime_type)
        if routed is None:
            raise ValueError(
                f"Qwen-Omni reads images, audio and video, not {mime_type or 'untyped'} files "
                "(PDFs and documents are not supported): extract the text first, or send the "
                "file as an image/audio/video block"
            )
        kind = routed
    path = block.get("path") or (block.get("extras") or {}).get("path")
    source_type = block.get("source_type")  # v0
    if path is not None:
        source: Any = path
    elif source_type == "base64" or (source_type is None and block.get("base64")):
        payload = block.get("data") if source_type == "base64" else block.get("base64")
        if not payload:
            raise ValueError(f"a base64 {kind} block has no data")
        source = _data_uri(str(payload), mime_type, kind)
    elif block.get("url"):
        source = block["url"]
    elif block.get("file_id") or source_type == "id":
        raise ValueError(
            f"{kind} blocks with file_id are not supported: Qwen-Omni has no file store; pass "
            "url, base64 + mime_type, or path (a local file, delivered by qwen-omni)"
        )
    else:
        raise ValueError(f"a {kind} block needs url, base64 (with mime_type) or path: {block!r}")
    return _make(kind, source, mime_type, block)


def _plain_text(block: Mapping[str, Any]) -> str:
    """A ``text-plain`` block's text: given inline, as base64 (decoded), or as a data URI.

    A remote URL or a ``file_id`` is refused: the service does not fetch text documents, and
    dropping the block silently would answer without it.
    """
    if block.get("text") is not None:
        return str(block["text"])
    payload = block.get("base64")
    url = block.get("url")
    if payload is None and isinstance(url, str) and url.startswith("data:"):
        payload = url.partition(",")[2] if data_uri.is_base64(url) else None
        if payload is None:  # a plain data URI: percent-encoded text
            from urllib.parse import unquote

            return unquote(url.partition(",")[2])
    if payload is not None:
        try:
            return data_uri.decode("," + str(payload)).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"a text-plain block's base64 is not UTF-8 text ({exc}): pass text=... instead"
            ) from exc
    where = f"url {url!r}" if url else ("file_id" if block.get("file_id") else "no text")
    raise ValueError(
        f"a text-plain block with {where} cannot be sent: Qwen-Omni does not fetch text "
        "documents; read the text yourself and pass {'type': 'text-plain', 'text': ...} (or "
        "base64)"
    )


def _nested_url(block: Mapping[str, Any], key: str) -> str:
    value = block.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("url"), str):
        return value["url"]
    raise ValueError(f"a {key} block needs {{'{key}': {{'url': ...}}}}: {block!r}")


def block_to_part(block: str | Mapping[str, Any]) -> Part:
    """One content block of a human message → one core part."""
    if isinstance(block, str):
        return Text(text=block)
    kind = block.get("type")
    if kind == "text":
        return Text(text=str(block.get("text", "")))
    if kind == "text-plain":
        return Text(text=_plain_text(block))
    if kind == "image_url":
        return _make("image", _nested_url(block, "image_url"), None, block)
    if kind == "video_url":
        return _make("video", _nested_url(block, "video_url"), None, block)
    if kind == "audio_url":
        return _make("audio", _nested_url(block, "audio_url"), None, block)
    if kind == "input_audio":
        inner = block.get("input_audio") or {}
        data = inner.get("data")
        if not data:
            raise ValueError(f"an input_audio block needs input_audio.data: {block!r}")
        fmt = inner.get("format")
        return audio_part(_data_uri(str(data), None, "audio"), format=fmt)
    if kind == "video" and isinstance(block.get("video"), list):
        # DashScope's video-as-frames part: {"type": "video", "video": [frame URLs]}.
        frames = [image(f) for f in block["video"]]
        return video_frames(frames, **_knobs(block, _VIDEO_KNOBS))
    if kind in (*_MEDIA_KINDS, "file"):
        return _standard_block(str(kind), block)
    raise ValueError(
        f"unsupported content block type {kind!r} in a user message; Qwen-Omni takes text, "
        "image, audio and video (v1 blocks, OpenAI image_url/input_audio, DashScope video_url)"
    )


def content_to_parts(content: str | Sequence[str | Mapping[str, Any]]) -> list[Part]:
    """A message's content (string or list of blocks) → core parts."""
    if isinstance(content, str):
        return [Text(text=content)] if content else []
    return [block_to_part(block) for block in content]


def _text_of(content: str | Sequence[Any]) -> str:
    """The text of an assistant/system/tool message (media and tool-use blocks are skipped)."""
    if isinstance(content, str):
        return content
    pieces = []
    for block in content:
        if isinstance(block, str):
            pieces.append(block)
        elif isinstance(block, Mapping) and block.get("type") in ("text", "text-plain"):
            pieces.append(str(block.get("text", "")))
    return "".join(pieces)


_MEDIA_BLOCKS = (*_MEDIA_KINDS, "file", "image_url", "video_url", "audio_url", "input_audio")


def _tool_result(content: str | Sequence[Any]) -> str | tuple[Part, ...]:
    """A tool result: text blocks as text, media blocks as parts (moved to a following user
    message by ``qwen_omni.tool_results.lift_tool_media``), other blocks as JSON text."""
    if isinstance(content, str):
        return content
    parts: list[Part] = []
    for block in content:
        if isinstance(block, str):
            parts.append(Text(text=block))
        elif isinstance(block, Mapping) and block.get("type") in (
            "text",
            "text-plain",
            *_MEDIA_BLOCKS,
        ):
            parts.append(block_to_part(block))
        else:
            parts.append(Text(text=json.dumps(block, ensure_ascii=False, default=str)))
    if all(isinstance(p, Text) for p in parts):
        return "\n".join(p.text for p in parts if isinstance(p, Text))
    return tuple(parts)


def _tool_calls(message: AIMessage) -> tuple[ToolCall, ...]:
    return tuple(
        ToolCall(
            id=call.get("id") or f"call_{position}",
            name=call["name"],
            arguments=json.dumps(call.get("args") or {}, ensure_ascii=False),
        )
        for position, call in enumerate(message.tool_calls)
    )


def _user_content(parts: list[Part]) -> str | tuple[Part, ...]:
    if all(isinstance(p, Text) for p in parts):
        return "".join(p.text for p in parts if isinstance(p, Text))
    return tuple(parts)


def to_core_message(message: BaseMessage) -> Message:
    """One LangChain message → one core message."""
    if isinstance(message, HumanMessage):
        parts = content_to_parts(message.content)
        return Message(role="user", content=_user_content(parts), name=message.name)
    if isinstance(message, SystemMessage):
        return Message(role="system", content=_text_of(message.content))
    if isinstance(message, AIMessage):
        return Message(
            role="assistant",
            content=_text_of(message.content),
            tool_calls=_tool_calls(message),
            name=message.name,
        )
    if isinstance(message, ToolMessage):
        return Message(
            role="tool",
            content=_tool_result(message.content),
            tool_call_id=message.tool_call_id,
        )
    if isinstance(message, FunctionMessage):
        return Message(role="tool", content=_tool_result(message.content))
    if isinstance(message, ChatMessage):
        role = {"human": "user", "ai": "assistant"}.get(message.role, message.role)
        if role == "user":
            parts = content_to_parts(message.content)
            return Message(role="user", content=_user_content(parts))
        if role not in ("system", "assistant", "tool"):
            raise ValueError(f"unsupported chat message role {message.role!r}")
        return Message(role=role, content=_text_of(message.content))  # type: ignore[arg-type]
    raise TypeError(f"unsupported message type {type(message).__name__}")


def to_core_messages(messages: Sequence[BaseMessage]) -> list[Message]:
    """LangChain messages → core messages, in order; media a tool returned follows its result
    as a user message (``qwen_omni.tool_results``, shared with LlamaIndex's ``QwenOmni``)."""
    return lift_tool_media(to_core_message(m) for m in messages)
