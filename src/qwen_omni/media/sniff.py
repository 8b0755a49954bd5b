"""What a file is, from its first bytes (magic numbers), never from its name.

:func:`sniff` reads the header of a file or a byte string and returns the format, the modality
it most likely holds and its MIME type. Containers that can hold either audio or video (MP4,
Matroska/WebM, Ogg, 3GP, ASF) are reported as video with ``ambiguous=True``; :func:`probe
<qwen_omni.media.probe.probe>` settles them by looking at the streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from qwen_omni.errors import MediaNotFoundError, UnsupportedMediaError

__all__ = ["HEADER_BYTES", "MIME_TYPES", "Kind", "Sniffed", "read_header", "sniff"]

Kind = Literal["image", "audio", "video"]

#: how many leading bytes :func:`sniff` reads (MPEG-TS needs two 188-byte packets)
HEADER_BYTES = 512

#: MIME type of each format name used in this package
MIME_TYPES: dict[str, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "avif": "image/avif",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "amr": "audio/amr",
    "m4a": "audio/mp4",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "3gp": "video/3gpp",
    "mkv": "video/x-matroska",
    "webm": "video/webm",
    "avi": "video/x-msvideo",
    "flv": "video/x-flv",
    "wmv": "video/x-ms-wmv",
    "ts": "video/mp2t",
    "mpeg": "video/mpeg",
}

_FTYP_AUDIO = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_FTYP_IMAGE = {b"heic": "heic", b"heix": "heic", b"mif1": "heic", b"msf1": "heic",
               b"hevc": "heic", b"avif": "avif", b"avis": "avif"}  # fmt: skip


@dataclass(frozen=True)
class Sniffed:
    """The result of :func:`sniff`."""

    format: str
    """Short format name: ``jpeg``, ``png``, ``wav``, ``mp3``, ``mp4``, ``mkv``…"""
    kind: Kind
    """The modality the format most likely holds."""
    mime_type: str
    ambiguous: bool = False
    """True for containers that may hold audio only (MP4, Matroska, Ogg…): probe the streams."""


def read_header(source: Path | bytes, n: int = HEADER_BYTES) -> bytes:
    """The first ``n`` bytes of a file or byte string.

    Raises:
        MediaNotFoundError: the path does not exist or is not a file.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:n])
    path = Path(source)
    if not path.is_file():
        raise MediaNotFoundError(
            f"{path}: no such file: check the path (relative paths start at {Path.cwd()})",
            source=str(path),
        )
    with path.open("rb") as fh:
        return fh.read(n)


def _mpeg_audio(h: bytes) -> str | None:
    """``mp3`` for an MPEG audio frame header, ``aac`` for an ADTS header, else None."""
    if len(h) < 2 or h[0] != 0xFF or (h[1] & 0xE0) != 0xE0:
        return None
    layer = (h[1] >> 1) & 0b11
    if (h[1] & 0xF6) == 0xF0:  # 12-bit sync, layer 00: ADTS
        return "aac"
    return "mp3" if layer != 0 else None


def _sniff(h: bytes) -> Sniffed | None:
    def make(fmt: str, kind: Kind, ambiguous: bool = False) -> Sniffed:
        return Sniffed(fmt, kind, MIME_TYPES[fmt], ambiguous)

    if h.startswith(b"\xff\xd8\xff"):
        return make("jpeg", "image")
    if h.startswith(b"\x89PNG\r\n\x1a\n"):
        return make("png", "image")
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return make("gif", "image")
    if h[:4] == b"RIFF" and len(h) >= 12:
        tag = h[8:12]
        if tag == b"WEBP":
            return make("webp", "image")
        if tag == b"WAVE":
            return make("wav", "audio")
        if tag == b"AVI ":
            return make("avi", "video")
    if h.startswith(b"BM") and len(h) >= 14 and h[6:10] == b"\x00\x00\x00\x00":
        return make("bmp", "image")
    if h[:4] in (b"II*\x00", b"MM\x00*"):
        return make("tiff", "image")
    if len(h) >= 12 and h[4:8] == b"ftyp":
        brand = h[8:12]
        if brand in _FTYP_IMAGE:
            return make(_FTYP_IMAGE[brand], "image")
        if brand in _FTYP_AUDIO:
            return make("m4a", "audio")
        if brand == b"qt  ":
            return make("mov", "video", True)
        if brand.startswith(b"3g"):
            return make("3gp", "video", True)
        return make("mp4", "video", True)
    if len(h) >= 8 and h[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return make("mov", "video", True)
    if h.startswith(b"\x1a\x45\xdf\xa3"):
        fmt = "webm" if b"webm" in h[:64] else "mkv"
        return make(fmt, "video", True)
    if h.startswith(b"OggS"):
        return make("ogg", "audio", True)
    if h.startswith(b"fLaC"):
        return make("flac", "audio")
    if h.startswith(b"#!AMR"):
        return make("amr", "audio")
    if h.startswith(b"ID3"):
        return make("mp3", "audio")
    if h.startswith(b"FLV"):
        return make("flv", "video", True)
    if h.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return make("wmv", "video", True)
    if h.startswith(b"\x00\x00\x01\xba") or h.startswith(b"\x00\x00\x01\xb3"):
        return make("mpeg", "video")
    if len(h) > 376 and h[0] == h[188] == h[376] == 0x47:  # three TS packet sync bytes
        return make("ts", "video", True)
    mpeg_audio = _mpeg_audio(h)
    if mpeg_audio:
        return make(mpeg_audio, "audio")
    return None


def _content_kind(header: bytes) -> str:
    """A description of unrecognised content that quotes none of it."""
    try:
        text = header.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data of an unknown format"
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return "JSON text"
    if stripped.lower().startswith(("<!doctype html", "<html")):
        return "an HTML page"
    if stripped.startswith("<"):
        return "XML or HTML text"
    if stripped.startswith("%PDF"):
        return "a PDF document"
    return "plain text"


def sniff(source: Path | bytes) -> Sniffed:
    """Identify a file or byte string by its magic bytes.

    Raises:
        MediaNotFoundError: the path does not exist.
        UnsupportedMediaError: the content is empty or not a known image, audio or video format.
    """
    label = "<bytes>" if isinstance(source, (bytes, bytearray, memoryview)) else str(source)
    header = read_header(source)
    if not header:
        raise UnsupportedMediaError(
            f"{label}: file is empty (0 bytes): re-export or re-download it",
            source=label,
            value=0,
        )
    found = _sniff(header)
    if found is None:
        # What it is, never what it says: a refused file's bytes (a key, a token) must not
        # travel into an agent's tool message or a log.
        what = _content_kind(header)
        raise UnsupportedMediaError(
            f"{label}: not a recognised image, audio or video file (the content looks like "
            f"{what}); supported: JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC; WAV, MP3, AAC, FLAC, "
            "Ogg, AMR, M4A; MP4, MOV, MKV, WebM, AVI, FLV, WMV: convert it to one of these",
            source=label,
            value=what,
        )
    return found
