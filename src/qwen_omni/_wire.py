"""Pure: messages and parameters → the JSON body of a chat-completions request.

Two dialects:

- ``dashscope`` (reference §3): images ``image_url``; audio ``input_audio`` whose ``data`` is a
  URL or a ``data:;base64,`` URI; video files ``video_url``; frame lists ``{"type": "video"}``;
  ``fps``/``min_pixels``/``max_pixels``/``total_pixels`` as siblings at the part's top level.
- ``vllm`` (reference oss.md part C): ``input_audio.data`` is RAW base64, audio URLs go as
  ``audio_url``, data URIs carry a real MIME type, and frame lists are not accepted.

Media parts must already be delivered (``url`` set): the client does that before calling here.
"""

from __future__ import annotations

from typing import Any

from qwen_omni.content import Audio, Image, Message, Part, Text, Video, VideoFrames
from qwen_omni.errors import RequestValidationError
from qwen_omni.params import RequestParams

__all__ = ["build_body", "message_to_wire", "part_to_wire"]


_PIXEL_KEYS = ("min_pixels", "max_pixels", "total_pixels")


def _knobs(part: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: getattr(part, k) for k in keys if getattr(part, k, None) is not None}


def _require_url(part: Image | Audio | Video) -> str:
    if part.url is None:
        raise RequestValidationError(
            f"media part {part.source_label} was not delivered: local files and bytes must go "
            "through the client (which inlines or uploads them), never to the wire builder",
            rule="delivered_media",
        )
    return part.url


def _with_mime(url: str, mime: str) -> str:
    if url.startswith("data:;base64,"):
        return f"data:{mime};base64,{url[len('data:;base64,') :]}"
    return url


def part_to_wire(part: Part, dialect: str = "dashscope") -> dict[str, Any]:
    """One content part in the request shape of ``dialect``."""
    if isinstance(part, Text):
        return {"type": "text", "text": part.text}
    if isinstance(part, Image):
        out: dict[str, Any] = {"type": "image_url", "image_url": {"url": _require_url(part)}}
        if dialect == "dashscope":
            out.update(_knobs(part, ("min_pixels", "max_pixels")))
        return out
    if isinstance(part, Audio):
        url = _require_url(part)
        fmt = part.format or "mp3"
        if dialect == "vllm":
            if url.startswith("data:"):
                return {
                    "type": "input_audio",
                    "input_audio": {"data": url.split(",", 1)[1], "format": fmt},
                }
            return {"type": "audio_url", "audio_url": {"url": url}}
        return {"type": "input_audio", "input_audio": {"data": url, "format": fmt}}
    if isinstance(part, Video):
        url = _require_url(part)
        if dialect == "vllm":
            return {
                "type": "video_url",
                "video_url": {"url": _with_mime(url, part.mime_type or "video/mp4")},
            }
        out = {"type": "video_url", "video_url": {"url": url}}
        out.update(_knobs(part, ("fps", *_PIXEL_KEYS)))
        return out
    if isinstance(part, VideoFrames):
        if dialect == "vllm":
            raise RequestValidationError(
                "vLLM does not accept a video as a list of frames: send the video file "
                "(qwen_omni.video(path)) instead",
                rule="vllm_video_frames",
            )
        out = {"type": "video", "video": [_require_url(f) for f in part.frames]}
        out.update(_knobs(part, ("fps", *_PIXEL_KEYS)))
        return out
    raise TypeError(f"not a content part: {type(part).__name__}")


def message_to_wire(message: Message, dialect: str = "dashscope") -> dict[str, Any]:
    """One message in the request shape."""
    out: dict[str, Any] = {"role": message.role}
    if message.role == "user" and not isinstance(message.content, str):
        parts = message.content
        if len(parts) == 1 and isinstance(parts[0], Text):
            out["content"] = parts[0].text
        else:
            out["content"] = [part_to_wire(p, dialect) for p in parts]
    else:
        # System, assistant and tool messages carry text only (reference §2, multi-turn).
        out["content"] = message.text
    if message.role == "assistant" and message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments or "{}"},
            }
            for call in message.tool_calls
        ]
        if not out["content"]:
            out["content"] = None
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
    if message.name and message.role in ("user", "assistant", "system"):
        out["name"] = message.name
    return out


def build_body(
    model: str,
    messages: list[Message],
    params: RequestParams,
    *,
    dialect: str = "dashscope",
    voice: str | None = None,
) -> dict[str, Any]:
    """The full request body. Streaming and usage are always on: the service only streams."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [message_to_wire(m, dialect) for m in messages],
    }
    if params.modalities:
        body["modalities"] = list(params.modalities)
    if params.wants_audio:
        body["audio"] = {"voice": params.voice or voice, "format": params.audio_format}
    for key in (
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "seed",
        "presence_penalty",
        "repetition_penalty",
        "enable_thinking",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
    ):
        value = getattr(params, key)
        if value is not None:
            body[key] = value
    if params.tools:
        body["tools"] = list(params.tools)
    if params.stop is not None:
        body["stop"] = params.stop if isinstance(params.stop, str) else list(params.stop)
    body.update(params.extra_body)
    # Whatever the caller asked, the service only streams (reference §1.3).
    body["stream"] = True
    body["stream_options"] = {"include_usage": True}
    return body
