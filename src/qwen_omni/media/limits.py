"""Check measured media against a model's limits before anything is sent.

:func:`check_media` raises the typed error the service would otherwise answer with a 400, with
the file, the measured value, the limit and the fix. Model rules are enforced only for models
the catalog knows and marks ``confirmed``; the gateway's inline cap applies to every model.
"""

from __future__ import annotations

from typing import Literal

from qwen_omni.catalog import DATA_URI_MAX_BYTES, MODELS, ModelSpec
from qwen_omni.errors import MediaTooLargeError, MediaTooLongError, UnsupportedMediaError
from qwen_omni.media.budget import resolve_model
from qwen_omni.media.probe import ImageInfo, MediaInfo, VideoInfo
from qwen_omni.media.tokens import check_dimensions

__all__ = [
    "Delivery",
    "check_media",
    "data_uri_bytes",
    "duration_limit",
    "fits_inline",
    "url_size_limit",
]

Delivery = Literal["inline", "url"]

#: models suggested when a file is too long, in order of preference
_LONGER_MODELS = ("qwen3.5-omni-plus", "qwen3.5-omni-flash", "qwen3-omni-flash", "qwen-omni-turbo")
_MB = 1024 * 1024


def data_uri_bytes(n_bytes: int, mime_type: str = "") -> int:
    """Length of a ``data:<mime>;base64,…`` URI for ``n_bytes`` of content (base64 adds 4/3).

    Audio and video go as ``data:;base64,`` (empty MIME type, as the official samples do).
    """
    from qwen_omni import data_uri

    kind = "image" if mime_type.startswith("image/") else "audio"
    return data_uri.encoded_size(n_bytes, data_uri.prefix(kind, mime_type or None))


def fits_inline(n_bytes: int, mime_type: str = "") -> bool:
    """Whether ``n_bytes`` fit in one data-URI item (10,485,760 bytes encoded, §4.1)."""
    return data_uri_bytes(n_bytes, mime_type) <= DATA_URI_MAX_BYTES


def duration_limit(kind: str, model: str | ModelSpec) -> float | None:
    """The model's duration limit in seconds for ``audio`` or ``video``, None if unbounded."""
    spec = resolve_model(model)
    if kind == "video":
        return spec.video_max_seconds
    if kind == "audio":
        return spec.audio_max_seconds
    return None


def url_size_limit(kind: str, model: str | ModelSpec) -> int | None:
    """The model's byte limit for a file fetched by URL, None if not documented."""
    spec = resolve_model(model)
    return {
        "image": spec.image_url_max_bytes,
        "audio": spec.audio_url_max_bytes,
        "video": spec.video_url_max_bytes,
    }.get(kind)


def _longer_model(kind: str, seconds: float, current: str) -> str | None:
    for name in _LONGER_MODELS:
        if name == current:
            continue
        limit = duration_limit(kind, MODELS[name])
        if limit is None or limit >= seconds:
            return name
    return None


def _mime(info: MediaInfo) -> str:
    return info.mime_type if isinstance(info, ImageInfo) else ""


def check_media(
    info: MediaInfo,
    model: str | ModelSpec = "qwen3-omni-flash",
    *,
    delivery: Delivery | None = None,
    size_bytes: int | None = None,
) -> None:
    """Raise when the service would refuse ``info`` for ``model``; return None when it fits.

    Checks: picture shape (sides over 10 px, ratio at most 200:1) for images and video; the
    duration limit for audio and video; the URL byte limit (``delivery="url"``) or the
    gateway's 10 MB data-URI cap (``delivery="inline"``); at least two frames of video.
    ``size_bytes`` overrides ``info.size_bytes`` (e.g. the size of a prepared copy).

    Raises:
        UnsupportedMediaError: a picture or video frame the service cannot take.
        MediaTooLongError: audio or video over the model's duration limit.
        MediaTooLargeError: over the inline cap or the model's URL size limit.
    """
    spec = resolve_model(model)
    enforce = spec.known and spec.confirmed
    label = info.source
    size = info.size_bytes if size_bytes is None else size_bytes

    if isinstance(info, (ImageInfo, VideoInfo)):
        w, h = info.display_size
        check_dimensions(w, h, max_ratio=spec.tokens.max_ratio, source=label)
    if isinstance(info, VideoInfo) and info.frame_count < spec.tokens.frame_factor:
        raise UnsupportedMediaError(
            f"{label}: video has {info.frame_count} frame(s); the service samples at least "
            f"{spec.tokens.frame_factor}: send the picture as an image instead",
            source=label,
            value=info.frame_count,
            limit=spec.tokens.frame_factor,
        )

    if enforce and not isinstance(info, ImageInfo):
        limit = duration_limit(info.kind, spec)
        duration = info.duration_s
        if limit is not None and duration > limit + 1e-3:
            other = _longer_model(info.kind, duration, spec.name)
            fix = "split it (qwen_omni.media.split_media, or the summarize_long_video tool)"
            if other:
                fix += f" or use {other}"
            raise MediaTooLongError(
                f"{label}: {info.kind} is {duration:.0f} s; {spec.name} accepts at most "
                f"{limit:g} s: {fix}",
                source=label,
                value=duration,
                limit=limit,
            )

    if delivery == "inline":
        encoded = data_uri_bytes(size, _mime(info))
        if encoded > DATA_URI_MAX_BYTES:
            raise MediaTooLargeError(
                f"{label}: {info.kind} is {encoded / _MB:.1f} MB as a data URI ({size:,} bytes "
                f"raw); the gateway accepts at most {DATA_URI_MAX_BYTES:,} bytes per inline "
                f"item: prepare it (qwen_omni.media.prepare_{info.kind}) or upload it "
                "(delivery='oss' or 'dashscope_temp')",
                source=label,
                value=encoded,
                limit=DATA_URI_MAX_BYTES,
            )
    elif delivery == "url" and enforce:
        cap = url_size_limit(info.kind, spec)
        if cap is not None and size > cap:
            fix = f"prepare it (qwen_omni.media.prepare_{info.kind})"
            if info.kind in ("audio", "video"):
                fix += " or split it (qwen_omni.media.split_media)"
            raise MediaTooLargeError(
                f"{label}: {info.kind} is {size / _MB:.1f} MB; {spec.name} fetches at most "
                f"{cap / _MB:.0f} MB by URL: {fix}",
                source=label,
                value=size,
                limit=cap,
            )
