"""Video frames for realtime: any image → a JPEG within the ``input_image_buffer.append`` cap.

The service takes JPEG only, at most 256 KB of base64 (~192 KB of JPEG), 480p or 720p
recommended and 1080p at most. A JPEG that already fits is sent unchanged; anything else is
scaled to at most 720p and re-encoded, lowering the quality and then the size until it fits.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from qwen_omni.errors import MediaNotFoundError, MediaTooLargeError, UnsupportedMediaError

__all__ = ["DEFAULT_FRAME_SIDE", "base64_size", "jpeg_frame"]

#: the short side of frames we make (720p, the recommended size)
DEFAULT_FRAME_SIDE = 720
_QUALITIES = (85, 75, 60, 45, 30)


def base64_size(n: int) -> int:
    """Length of the base64 text of ``n`` bytes. Pure."""
    return 4 * ((n + 2) // 3)


def _open(source: Any) -> tuple[Any, bytes | None, str]:
    from PIL import Image, UnidentifiedImageError

    if isinstance(source, Image.Image):
        return source, None, "<image>"
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise MediaNotFoundError(f"{path}: no such file", source=str(path))
        data = path.read_bytes()
        label = str(path)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = f"<{len(data):,} bytes>"
    else:
        raw = getattr(source, "data", None)  # a qwen_omni.media.Frame
        if not isinstance(raw, bytes):
            raise TypeError(f"send_image takes a path, bytes or a PIL image, not {source!r}")
        data = raw
        label = f"<frame {len(data):,} bytes>"
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise UnsupportedMediaError(
            f"{label}: not a readable image ({exc}); send a JPEG, PNG or WebP", source=label
        ) from exc
    return img, data, label


def jpeg_frame(
    source: Any, *, max_base64_bytes: int = 256 * 1024, max_side: int = DEFAULT_FRAME_SIDE
) -> bytes:
    """JPEG bytes whose base64 fits ``max_base64_bytes``, short side at most ``max_side``.

    Raises:
        MediaNotFoundError, UnsupportedMediaError: not a readable image.
        MediaTooLargeError: cannot fit even at 64 px (never for real pictures).
    """
    from PIL import Image, ImageOps

    img, data, label = _open(source)
    fits_side = min(img.size) <= max_side
    if (
        data is not None
        and img.format == "JPEG"
        and fits_side
        and base64_size(len(data)) <= max_base64_bytes
    ):
        return data
    img = ImageOps.exif_transpose(img)
    if img.mode != "RGB":
        img = img.convert("RGB")
    if min(img.size) > max_side:
        scale = max_side / min(img.size)
        img = img.resize(
            (max(1, round(img.width * scale)), max(1, round(img.height * scale))),
            Image.Resampling.LANCZOS,
        )
    while True:
        for quality in _QUALITIES:
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=quality, optimize=True)
            if base64_size(buf.tell()) <= max_base64_bytes:
                return buf.getvalue()
        if min(img.size) <= 64:
            raise MediaTooLargeError(
                f"{label}: cannot be made into a JPEG under {max_base64_bytes:,} base64 bytes",
                source=label,
                limit=max_base64_bytes,
            )
        img = img.resize((max(1, img.width * 3 // 4), max(1, img.height * 3 // 4)))
