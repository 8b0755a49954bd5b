"""Prepare an image for the service: EXIF rotation, alpha, pixel budget, encoding.

Each step runs only when needed; an image that already fits is returned byte for byte.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from qwen_omni.catalog import IMAGE_BUDGET_MAX_PIXELS, IMAGE_BUDGET_MIN_PIXELS
from qwen_omni.media.prepared import PreparedMedia
from qwen_omni.media.probe import ImageInfo, probe_image, source_label
from qwen_omni.media.sniff import MIME_TYPES
from qwen_omni.media.tokens import MIN_SIDE_PX, check_dimensions

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

__all__ = [
    "DEFAULT_IMAGE_MAX_PIXELS",
    "DEFAULT_IMAGE_MIN_PIXELS",
    "SENDABLE_IMAGE_FORMATS",
    "ImageFormat",
    "image_target_size",
    "image_work",
    "prepare_image",
]

#: default pixel budget of a prepared image: 1280×720
DEFAULT_IMAGE_MAX_PIXELS = IMAGE_BUDGET_MAX_PIXELS
#: never downscale below this: 640×480
DEFAULT_IMAGE_MIN_PIXELS = IMAGE_BUDGET_MIN_PIXELS
#: formats sent without re-encoding (universally decodable, compact)
SENDABLE_IMAGE_FORMATS = ("jpeg", "png", "webp")
#: a picture with at most this many colours is a graphic (screenshots, charts): PNG
_GRAPHIC_MAX_COLOURS = 256
_JPEG_QUALITY = 85
_WEBP_QUALITY = 85

ImageFormat = Literal["auto", "jpeg", "png", "webp"]


def image_target_size(
    width: int,
    height: int,
    *,
    max_pixels: int = DEFAULT_IMAGE_MAX_PIXELS,
    min_pixels: int = DEFAULT_IMAGE_MIN_PIXELS,
) -> tuple[int, int]:
    """The ``(width, height)`` a picture is downscaled to; the same size when it fits.

    Pure. Keeps the aspect ratio, never upscales, and never goes below ``min_pixels``: the
    budget is ``max(max_pixels, min_pixels)``.
    """
    budget = max(max_pixels, min_pixels)
    if width * height <= budget:
        return width, height
    scale = math.sqrt(budget / (width * height))
    w = max(MIN_SIDE_PX, math.floor(width * scale))
    h = max(MIN_SIDE_PX, math.floor(height * scale))
    return w, h


def image_work(
    info: ImageInfo,
    *,
    max_pixels: int = DEFAULT_IMAGE_MAX_PIXELS,
    min_pixels: int = DEFAULT_IMAGE_MIN_PIXELS,
    format: ImageFormat = "auto",
    keep_alpha: bool = False,
) -> list[str]:
    """Why ``info`` needs preparing, one reason per step; empty when it can be sent as-is.

    Pure: used by :func:`prepare_image` and by the planner.
    """
    reasons = []
    if info.orientation != 1:
        reasons.append(f"apply EXIF orientation {info.orientation}")
    if info.has_alpha and not keep_alpha:
        reasons.append("flatten transparency onto white")
    w, h = info.display_size
    tw, th = image_target_size(w, h, max_pixels=max_pixels, min_pixels=min_pixels)
    if (tw, th) != (w, h):
        reasons.append(f"downscale {w}×{h} → {tw}×{th}")
    if info.format not in SENDABLE_IMAGE_FORMATS:
        reasons.append(f"re-encode {info.format.upper()} (not JPEG/PNG/WebP)")
    elif format != "auto" and format != info.format:
        reasons.append(f"re-encode {info.format.upper()} as {format.upper()}")
    elif info.mode not in ("RGB", "L", "RGBA", "LA", "P", "PA"):
        reasons.append(f"convert {info.mode} pixels to RGB")
    return reasons


def _is_graphic(img: PILImage) -> bool:
    """Few distinct colours (charts, screenshots, logos): lossless PNG suits it better."""
    sample = img if img.width * img.height <= 512 * 512 else img.resize((512, 512))
    return sample.getcolors(maxcolors=_GRAPHIC_MAX_COLOURS) is not None


def _choose_format(img: PILImage, requested: ImageFormat, alpha: bool) -> str:
    if requested != "auto":
        return requested
    graphic = _is_graphic(img)
    if alpha:
        # lossless PNG for graphics; lossy WebP (which keeps alpha) for photos
        return "png" if graphic else "webp"
    return "png" if graphic else "jpeg"


def _encode(img: PILImage, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    elif fmt == "webp":
        img.save(buf, format="WEBP", quality=_WEBP_QUALITY, method=4)
    else:
        img.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def prepare_image(
    source: Path | str | bytes,
    *,
    max_pixels: int = DEFAULT_IMAGE_MAX_PIXELS,
    min_pixels: int = DEFAULT_IMAGE_MIN_PIXELS,
    format: ImageFormat = "auto",
    keep_alpha: bool = False,
    background: tuple[int, int, int] = (255, 255, 255),
) -> PreparedMedia:
    """Make an image cheap and safe to send; returns a :class:`PreparedMedia` with ``data``.

    Steps, each skipped when not needed:

    1. apply the EXIF orientation (phones store pictures sideways plus a tag);
    2. flatten transparency onto ``background`` (white, as the service's own preprocessing
       does), unless ``keep_alpha``;
    3. downscale to ``max_pixels`` (default 1280×720 = 921,600 px) keeping the aspect ratio,
       never below ``min_pixels`` (640×480) and never upscaling;
    4. encode: ``auto`` picks PNG for graphics (≤ 256 colours: screenshots, charts) and JPEG
       for photos (WebP for photos that keep their alpha); or force ``jpeg``/``png``/``webp``.

    An image that needs none of these is returned unchanged (``steps == ()``).

    Raises:
        MediaNotFoundError, UnsupportedMediaError: unreadable or not an image; a side of 10 px or
            less; an aspect ratio over 200:1.
    """
    from PIL import Image, ImageOps

    if isinstance(source, str):
        source = Path(source)
    label = source_label(source)
    info = probe_image(source, verify=True)
    check_dimensions(*info.display_size, source=label)
    reasons = image_work(
        info, max_pixels=max_pixels, min_pixels=min_pixels, format=format, keep_alpha=keep_alpha
    )
    if not reasons:
        if isinstance(source, bytes):
            return PreparedMedia(info, info, None, source, ())
        return PreparedMedia(info, info, source, None, ())

    steps: list[str] = []
    target: object = io.BytesIO(source) if isinstance(source, bytes) else source
    with Image.open(target) as opened:  # type: ignore[arg-type]
        w, h = info.display_size
        tw, th = image_target_size(w, h, max_pixels=max_pixels, min_pixels=min_pixels)
        if (tw, th) != (w, h) and opened.format == "JPEG":
            # decode at 1/2, 1/4 or 1/8 scale straight from the DCT: much faster for big photos
            rotated = info.orientation in (5, 6, 7, 8)
            opened.draft("RGB", (th, tw) if rotated else (tw, th))
        img: PILImage = opened
        img.load()
        if info.orientation != 1:
            img = ImageOps.exif_transpose(img)
            steps.append(f"rotate (EXIF orientation {info.orientation})")
        alpha = info.has_alpha and keep_alpha
        if info.has_alpha and not keep_alpha:
            rgba = img.convert("RGBA")
            flat = Image.new("RGB", rgba.size, background)
            flat.paste(rgba, mask=rgba.getchannel("A"))
            img = flat
            steps.append(
                f"flatten alpha onto {'white' if background == (255,) * 3 else background}"
            )
        elif img.mode not in ("RGB", "L") and not alpha:
            img = img.convert("RGB")
        elif alpha and img.mode != "RGBA":
            img = img.convert("RGBA")
        if img.size != (tw, th):
            img = img.resize((tw, th), Image.Resampling.LANCZOS, reducing_gap=3.0)
            steps.append(f"downscale {w}×{h} → {tw}×{th}")
        fmt = _choose_format(img, format, alpha)
        data = _encode(img, fmt)
        steps.append(f"encode {fmt.upper()} ({len(data):,} bytes)")
        out = ImageInfo(
            source=label,
            format=fmt,
            mime_type=MIME_TYPES[fmt],
            width=img.width,
            height=img.height,
            orientation=1,
            has_alpha=alpha,
            mode=img.mode,
            size_bytes=len(data),
        )
    return PreparedMedia(info, out, None, data, tuple(steps))
