"""Formats from magic bytes, MIME types and URL paths (never from a URL's query string)."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from qwen_omni.content import Audio, Image, Video
from qwen_omni.errors import UnsupportedMediaError

__all__ = [
    "AUDIO_FORMATS",
    "audio_format_for",
    "image_subtype_for",
    "sniff_audio_format",
    "sniff_image_subtype",
    "url_suffix",
]

#: ``input_audio.format`` values we know (the service documents AMR, WAV, 3GP, 3GPP, AAC, MP3).
AUDIO_FORMATS = frozenset(
    {"mp3", "wav", "aac", "amr", "3gp", "3gpp", "m4a", "flac", "ogg", "opus", "webm", "aiff", "wma"}
)

_AUDIO_MIME = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mpeg3": "mp3",
    "audio/x-mpeg-3": "mp3",
    "audio/wav": "wav",
    "audio/wave": "wav",
    "audio/x-wav": "wav",
    "audio/vnd.wave": "wav",
    "audio/aac": "aac",
    "audio/x-aac": "aac",
    "audio/aacp": "aac",
    "audio/amr": "amr",
    "audio/amr-wb": "amr",
    "audio/3gpp": "3gp",
    "audio/3gpp2": "3gp",
    "video/3gpp": "3gp",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/m4a": "m4a",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/webm": "webm",
    "audio/aiff": "aiff",
    "audio/x-aiff": "aiff",
    "audio/x-ms-wma": "wma",
}

_AUDIO_SUFFIX = {
    "mp3": "mp3",
    "wav": "wav",
    "wave": "wav",
    "aac": "aac",
    "amr": "amr",
    "awb": "amr",
    "3gp": "3gp",
    "3gpp": "3gpp",
    "3g2": "3gp",
    "m4a": "m4a",
    "mp4": "m4a",
    "flac": "flac",
    "ogg": "ogg",
    "oga": "ogg",
    "opus": "opus",
    "webm": "webm",
    "aif": "aiff",
    "aiff": "aiff",
    "wma": "wma",
}

_IMAGE_SUFFIX = {
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "jpe": "jpeg",
    "webp": "webp",
    "gif": "gif",
    "bmp": "bmp",
    "tif": "tiff",
    "tiff": "tiff",
    "heic": "heic",
    "heif": "heif",
    "avif": "avif",
    "ico": "x-icon",
}


def sniff_image_subtype(head: bytes) -> str | None:
    """The image MIME subtype (``png``, ``jpeg``, ``webp``…) from the first bytes, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"BM") and len(head) >= 14:
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"):
            return "heic"
        if brand in (b"mif1", b"msf1"):
            return "heif"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "x-icon"
    return None


def sniff_audio_format(head: bytes) -> str | None:
    """The ``input_audio.format`` from the first bytes (wav, mp3, aac, amr, flac…), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"ID3"):
        return "mp3"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "opus" if b"OpusHead" in head[:64] else "ogg"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "webm"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "wma"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"3gp") or brand.startswith(b"3g2"):
            return "3gp"
        return "m4a"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        layer = (head[1] >> 1) & 0x03
        # MPEG audio frame sync: layer bits 00 are ADTS (AAC), anything else MPEG layer 1-3.
        return "aac" if layer == 0 else "mp3"
    return None


def url_suffix(url: str) -> str:
    """The lower-case file extension of a URL's path (``a.WAV?Expires=…`` → ``"wav"``).

    The query string and fragment are ignored, which is what presigned URLs need.
    """
    if url.startswith("data:"):
        return ""
    path = urlsplit(url).path
    return PurePosixPath(unquote(path)).suffix.lower().lstrip(".")


def _data_uri_parts(url: str) -> tuple[str, bytes]:
    """(mime, first decoded bytes) of a ``data:`` URI."""
    from qwen_omni import data_uri

    return data_uri.mime_of(url), data_uri.head_bytes(url)


def _part_head(part: Image | Audio | Video) -> bytes:
    if part.data is not None:
        return part.data[:64]
    if part.path is not None:
        try:
            with open(part.path, "rb") as fh:
                return fh.read(64)
        except OSError:
            return b""
    return b""


def audio_format_for(part: Audio) -> str:
    """The ``input_audio.format`` of an audio part.

    Looked up in order: ``part.format``; the MIME type (``part.mime_type`` or a data URI's);
    the content's magic bytes; the file or URL extension (the query string of a presigned URL
    is ignored: ``https://…/a.wav?Expires=…`` gives ``"wav"``).

    Raises:
        UnsupportedMediaError: nothing tells the format; pass ``audio(..., format="mp3")``.
    """
    if part.format:
        return part.format.lower().lstrip(".")
    mime = (part.mime_type or "").lower()
    head = _part_head(part)
    if part.url is not None and part.url.startswith("data:"):
        data_mime, head = _data_uri_parts(part.url)
        mime = mime or data_mime
    if mime in _AUDIO_MIME:
        return _AUDIO_MIME[mime]
    sniffed = sniff_audio_format(head) if head else None
    if sniffed:
        return sniffed
    suffix = ""
    if part.path is not None:
        suffix = part.path.suffix.lower().lstrip(".")
    elif part.url is not None:
        suffix = url_suffix(part.url)
    if suffix in _AUDIO_SUFFIX:
        return _AUDIO_SUFFIX[suffix]
    if mime.startswith("audio/"):
        return mime.split("/", 1)[1].removeprefix("x-")
    raise UnsupportedMediaError(
        f"cannot tell the audio format of {part.source_label}: no format, MIME type, known "
        "magic bytes or file extension; pass it explicitly, e.g. audio(..., format='mp3')",
        source=part.source_label,
    )


def image_subtype_for(head: bytes, *, mime_type: str | None, filename: str, label: str) -> str:
    """The ``image/<subtype>`` of an image: magic bytes first, then its MIME type, then its name.

    Raises:
        UnsupportedMediaError: the content is not a recognizable image.
    """
    sniffed = sniff_image_subtype(head)
    if sniffed:
        return sniffed
    if mime_type and mime_type.lower().startswith("image/"):
        return mime_type.lower().split("/", 1)[1]
    suffix = PurePosixPath(filename).suffix.lower().lstrip(".")
    if suffix in _IMAGE_SUFFIX:
        return _IMAGE_SUFFIX[suffix]
    raise UnsupportedMediaError(
        f"{label} is not a recognizable image (PNG, JPEG, WebP, GIF, BMP, TIFF, HEIC, AVIF); "
        "pass mime_type='image/…' if it really is one",
        source=label,
    )
