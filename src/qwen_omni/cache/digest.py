"""Content digests of media: SHA-256 of the bytes, with a fast path for unchanged files.

One digest names a medium everywhere: the OSS store's content-addressed upload key
(``qwen-omni/<sha256>.<ext>``) and the analysis cache's key use the same function, so an
uploaded file and the answers about it are found by the same name.

Hashing a 2 GB video on every run would cost more than the cache saves, so a file's
``(device, inode, size, mtime_ns)`` maps to its digest (in memory, and in the cache's store
when one is given). A rewrite that keeps the inode, size and mtime is the one change this cannot
see; such a mapping is re-verified lazily, by hashing again once it is older than
``reverify_after_s``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = [
    "DigestMemo",
    "FileFingerprint",
    "bytes_digest",
    "data_uri_digest",
    "digest_in_key",
    "file_digest",
    "fingerprint",
]

_CHUNK = 1 << 20
#: A content-addressed object name: 64 hex digits, then an optional extension.
_DIGEST_NAME = re.compile(r"(?:^|/)([0-9a-f]{64})(?:\.[A-Za-z0-9]{1,8})?$")
#: How long a fingerprint → digest mapping is trusted before it is hashed again.
DEFAULT_REVERIFY_S = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class FileFingerprint:
    """What identifies a file's version cheaply: device, inode, size, modification time."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    def as_key(self) -> str:
        """A compact string form (for stores)."""
        return f"{self.device}:{self.inode}:{self.size}:{self.mtime_ns}"


def fingerprint(path: str | os.PathLike[str]) -> FileFingerprint:
    """The fingerprint of ``path`` (one ``stat`` call)."""
    st = os.stat(path)
    return FileFingerprint(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def bytes_digest(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _hash_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def data_uri_digest(url: str) -> str | None:
    """SHA-256 of the bytes a base64 ``data:`` URI carries (None when it is not base64), so an
    inline medium and the same bytes given as a file share one digest."""
    head, sep, payload = url.partition(",")
    if not sep or not head.lower().endswith(";base64"):
        return None
    try:
        return bytes_digest(base64.b64decode(payload, validate=False))
    except (binascii.Error, ValueError):
        return None


def digest_in_key(key_or_url: str) -> str | None:
    """The SHA-256 named by a content-addressed object key or URL path (``…/<sha256>.mp4``),
    else None. Query strings (signatures) are ignored."""
    path = key_or_url.split("?", 1)[0].split("#", 1)[0]
    match = _DIGEST_NAME.search(path)
    return match.group(1) if match else None


class FingerprintBackend(Protocol):
    """Where fingerprint → digest mappings persist between runs (a cache store)."""

    def get_digest(self, fp: str) -> tuple[str, float] | None:
        """The digest and the time it was verified, for a fingerprint key."""
        ...

    def put_digest(self, fp: str, digest: str, verified_at: float) -> None:
        """Remember a verified mapping."""
        ...


class DigestMemo:
    """Fingerprint → digest, in memory and optionally in a persistent backend.

    Args:
        backend: a store that keeps mappings between runs (``None``: this process only).
        reverify_after_s: a mapping older than this is checked by hashing again.
        clock: wall-clock seconds (tests move it).
    """

    def __init__(
        self,
        backend: FingerprintBackend | None = None,
        *,
        reverify_after_s: float = DEFAULT_REVERIFY_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self.reverify_after_s = reverify_after_s
        self._clock = clock
        self._memory: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.hashed = 0
        """Files hashed (the slow path), for tests and stats."""

    def digest(self, path: str | os.PathLike[str]) -> str:
        """The SHA-256 of the file at ``path``, hashing only when its fingerprint is new or its
        mapping is due for re-verification."""
        fp = fingerprint(path).as_key()
        now = self._clock()
        with self._lock:
            known = self._memory.get(fp)
        if known is None and self.backend is not None:
            known = self.backend.get_digest(fp)
        if known is not None and now - known[1] < self.reverify_after_s:
            return known[0]
        digest = _hash_file(path)
        self.hashed += 1
        # The file may have changed while we read it; then its fingerprint differs and the
        # mapping we store is for the old fingerprint, which nothing will ask for again.
        if fingerprint(path).as_key() == fp:
            with self._lock:
                self._memory[fp] = (digest, now)
            if self.backend is not None:
                self.backend.put_digest(fp, digest, now)
        return digest


_default_memo = DigestMemo()


def file_digest(path: str | os.PathLike[str] | Path, memo: DigestMemo | None = None) -> str:
    """SHA-256 of a file, through ``memo`` (default: one per process, in memory)."""
    return (memo or _default_memo).digest(path)
