"""Pure: the ``data:`` URI rules of the service and their size arithmetic, in one place.

Reference §3/§4.1: images go as ``data:image/<type>;base64,…``; audio and video as
``data:;base64,…`` (empty MIME type, as the official samples do); only base64 URIs are read;
one item may be at most 10,485,760 bytes ENCODED (``catalog.DATA_URI_MAX_BYTES``).

Used by the inline store, the media limits, delivery (decoding a given data URI), format
sniffing, the token estimate and the LangChain converter: none of them spells these rules again.
"""

from __future__ import annotations

import base64
import binascii

__all__ = [
    "build",
    "decode",
    "encoded_size",
    "head_bytes",
    "is_base64",
    "mime_of",
    "prefix",
]


def prefix(kind: str, mime_type: str | None = None) -> str:
    """The head the service expects for ``kind``: ``data:image/png;base64,`` or ``data:;base64,``.

    ``mime_type`` is used for images only (``image/png`` or just ``png``); audio and video
    always get the empty MIME type (their format travels on the part).
    """
    if kind == "image":
        subtype = (mime_type or "png").split("/")[-1]
        return f"data:image/{subtype};base64,"
    return "data:;base64,"


def encoded_size(raw_size: int, head: str) -> int:
    """Length of the data URI that holds ``raw_size`` bytes after ``head`` (base64 adds 4/3)."""
    return len(head) + 4 * ((raw_size + 2) // 3)


def build(payload_b64: str, kind: str, mime_type: str | None = None) -> str:
    """A data URI around base64 text that is already encoded (nothing is decoded)."""
    return prefix(kind, mime_type) + payload_b64


def _header(url: str) -> str:
    return url[: min(len(url), 256)].split(",", 1)[0]


def is_base64(url: str) -> bool:
    """Whether a ``data:`` URI declares ``;base64`` (the only form the service reads)."""
    return ";base64" in _header(url).lower()


def mime_of(url: str) -> str:
    """The MIME type of a data URI, lower-case (``""`` for ``data:;base64,``)."""
    return _header(url)[5:].split(";", 1)[0].strip().lower()


def decode(url: str) -> bytes:
    """The bytes of a base64 data URI; ``ValueError`` when it is not valid base64."""
    _, _, payload = url.partition(",")
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64: {exc}") from exc


def head_bytes(url: str, n: int = 72) -> bytes:
    """The first ~``n`` decoded bytes of a base64 data URI (to sniff a format), or ``b""``."""
    if not is_base64(url):
        return b""
    _, _, payload = url.partition(",")
    chunk = payload[: 4 * ((n + 2) // 3)]
    try:
        return base64.b64decode(chunk + "=" * (-len(chunk) % 4))
    except (binascii.Error, ValueError):
        return b""
