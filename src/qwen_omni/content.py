"""Typed message parts: text, image, audio, video, and video as a list of frames.

A media part holds exactly one source:

- ``url``: ``http(s)://``, ``oss://`` (DashScope temporary upload) or a ``data:`` URI;
- ``path``: a local file, delivered by the core (inline data URI or an upload), never sent
  as a path;
- ``data``: raw bytes, delivered like a local file.

Build parts with :func:`image`, :func:`audio`, :func:`video`, :func:`video_frames` and
:func:`text`; each takes a URL, a data URI, a path or bytes and works out which it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Audio",
    "Image",
    "InvalidToolCall",
    "MediaPart",
    "Message",
    "Part",
    "Text",
    "ToolCall",
    "Video",
    "VideoFrames",
    "audio",
    "image",
    "is_url",
    "media_source",
    "text",
    "video",
    "video_frames",
]

URL_SCHEMES = ("http://", "https://", "oss://", "data:")

Source = Union[str, "os.PathLike[str]", bytes]


def is_url(value: str) -> bool:
    """True for the URL forms the service reads: http(s), oss:// and data: URIs."""
    low = value[:8].lower()
    return low.startswith(URL_SCHEMES)


class Text(BaseModel):
    """A text part."""

    model_config = ConfigDict(frozen=True)
    type: Literal["text"] = "text"
    text: str


class MediaPart(BaseModel):
    """Common fields of image, audio and video parts: one source among url, path and data."""

    model_config = ConfigDict(frozen=True)

    url: str | None = None
    """``http(s)://``, ``oss://`` or ``data:`` URI."""
    path: Path | None = None
    """A local file; delivered by the core, never sent as a path."""
    data: bytes | None = Field(default=None, repr=False)
    """Raw bytes of the file."""
    mime_type: str | None = None
    """MIME type when known (``image/png``, ``audio/wav``, ``video/mp4``)."""

    @model_validator(mode="after")
    def _one_source(self) -> MediaPart:
        given = [name for name in ("url", "path", "data") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a media part needs exactly one of url, path or data; got {given or 'none'}"
            )
        if self.url is not None and not is_url(self.url):
            raise ValueError(
                f"url must start with http://, https://, oss:// or data: (got {self.url[:40]!r}); "
                "pass a local file as path="
            )
        return self

    @property
    def source_label(self) -> str:
        """A short human-readable name of the source, for messages and logs."""
        if self.path is not None:
            return str(self.path)
        if self.url is not None:
            if self.url.startswith("data:"):
                return f"data URI ({len(self.url):,} chars)"
            return self.url.split("?", 1)[0]
        return f"<{len(self.data or b''):,} bytes>"

    def read_bytes(self) -> bytes:
        """The media bytes for a path or bytes source (not for URLs)."""
        if self.data is not None:
            return self.data
        if self.path is not None:
            return self.path.read_bytes()
        raise ValueError("read_bytes() is for path or bytes sources; this part is a URL")


class Image(MediaPart):
    """An image. ``min_pixels``/``max_pixels`` are sent to the service as resize bounds."""

    type: Literal["image"] = "image"
    min_pixels: int | None = None
    max_pixels: int | None = None


class Audio(MediaPart):
    """An audio clip. ``format`` is ``input_audio.format`` (mp3, wav, …), inferred when None."""

    type: Literal["audio"] = "audio"
    format: str | None = None


class Video(MediaPart):
    """A video file. ``fps`` and the pixel bounds are passed to the service."""

    type: Literal["video"] = "video"
    fps: float | None = None
    min_pixels: int | None = None
    max_pixels: int | None = None
    total_pixels: int | None = None


class VideoFrames(BaseModel):
    """A video given as an ordered list of frame images (the ``{"type": "video"}`` form)."""

    model_config = ConfigDict(frozen=True)
    type: Literal["video_frames"] = "video_frames"
    frames: tuple[Image, ...]
    fps: float | None = None
    min_pixels: int | None = None
    max_pixels: int | None = None
    total_pixels: int | None = None

    @model_validator(mode="after")
    def _non_empty(self) -> VideoFrames:
        if not self.frames:
            raise ValueError("video_frames needs at least one frame")
        return self


Part = Union[Text, Image, Audio, Video, VideoFrames]


class ToolCall(BaseModel):
    """A function call made by the model. ``arguments`` is the raw JSON string."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    arguments: str = "{}"

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments decoded from JSON ({} when empty)."""
        import json

        if not self.arguments.strip():
            return {}
        value = json.loads(self.arguments)
        if not isinstance(value, dict):
            raise ValueError(f"tool call {self.name!r} arguments are not a JSON object")
        return value


class InvalidToolCall(BaseModel):
    """A tool call the model did not finish: never executable.

    Its ``arguments`` are not one complete JSON object (the answer was cut off by
    ``max_tokens`` — finish reason ``length`` — or the stream ended in the middle of them), or
    it has no name. ``error`` says which; ``index`` is the call's position in the stream.
    """

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    arguments: str
    error: str
    index: int | None = None


class Message(BaseModel):
    """One chat message. User messages may hold media parts; others hold text only."""

    model_config = ConfigDict(frozen=True)
    role: Literal["system", "user", "assistant", "tool"]
    content: str | tuple[Part, ...] = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _lists_to_tuples(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = dict(value)
            for key in ("content", "tool_calls"):
                if isinstance(value.get(key), list):
                    value[key] = tuple(value[key])
        return value

    @property
    def parts(self) -> tuple[Part, ...]:
        """The content as parts (a string becomes one Text part)."""
        if isinstance(self.content, str):
            return (Text(text=self.content),) if self.content else ()
        return self.content

    @property
    def text(self) -> str:
        """The concatenated text of the message."""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, Text))


# --- builders ---------------------------------------------------------------------------------


def media_source(value: Source | Path) -> dict[str, Any]:
    """Classify a source: ``{"url": …}``, ``{"path": …}`` or ``{"data": …}``.

    Strings that start with http(s)://, oss:// or data: are URLs; ``file://`` URLs and other
    strings are local paths; bytes are data.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"data": bytes(value)}
    if isinstance(value, os.PathLike):
        return {"path": Path(value)}
    if isinstance(value, str):
        if is_url(value):
            return {"url": value}
        scheme = value.split("://", 1)[0] if "://" in value[:16] else ""
        if scheme and scheme.lower() != "file":
            from qwen_omni.errors import UnsupportedMediaError

            raise UnsupportedMediaError(
                f"{value[:200]}: the {scheme}:// scheme is not supported; use an http:// or "
                "https:// URL the service can fetch, an oss:// temporary-upload URL, a data: "
                "URI, or a local path",
                source=value[:200],
            )
        if value.lower().startswith("file://"):
            from urllib.parse import unquote, urlparse

            parsed = urlparse(value)
            return {"path": Path(unquote(parsed.netloc + parsed.path)).expanduser()}
        return {"path": Path(value).expanduser()}
    raise TypeError(f"a media source is a URL, a path or bytes, not {type(value).__name__}")


def text(value: str) -> Text:
    """A text part."""
    return Text(text=value)


def image(
    source: Source,
    *,
    mime_type: str | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> Image:
    """An image part from a URL, data URI, path or bytes."""
    return Image(
        **media_source(source), mime_type=mime_type, min_pixels=min_pixels, max_pixels=max_pixels
    )


def audio(source: Source, *, format: str | None = None, mime_type: str | None = None) -> Audio:
    """An audio part from a URL, data URI, path or bytes; ``format`` e.g. "mp3" or "wav"."""
    return Audio(**media_source(source), format=format, mime_type=mime_type)


def video(
    source: Source,
    *,
    fps: float | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
    mime_type: str | None = None,
) -> Video:
    """A video-file part from a URL, data URI, path or bytes."""
    return Video(
        **media_source(source),
        fps=fps,
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        total_pixels=total_pixels,
        mime_type=mime_type,
    )


def video_frames(
    frames: list[Source] | list[Image],
    *,
    fps: float | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
) -> VideoFrames:
    """A video given as frame images (URLs, paths, bytes or Image parts), in order."""
    parts = tuple(f if isinstance(f, Image) else image(f) for f in frames)
    return VideoFrames(
        frames=parts,
        fps=fps,
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        total_pixels=total_pixels,
    )
