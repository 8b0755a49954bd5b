"""Spoken replies: PCM16, 24 kHz, mono, as the service streams them (§5, §11).

The emulator does not speak; it synthesises a quiet tone whose length follows the transcript
(``SECONDS_PER_CHAR``) and whose pitch follows the voice, so that tests can check the audio is
real PCM of the right rate and a plausible duration. Deterministic.
"""

from __future__ import annotations

import math
import zlib
from array import array

__all__ = [
    "BYTES_PER_SECOND",
    "SAMPLE_RATE",
    "SECONDS_PER_CHAR",
    "pcm_chunks",
    "synthesize",
]

SAMPLE_RATE = 24_000
BYTES_PER_SECOND = SAMPLE_RATE * 2
#: speaking rate of the synthetic voice (about 12 characters per second)
SECONDS_PER_CHAR = 0.08
MIN_SECONDS = 0.5
MAX_SECONDS = 60.0


def synthesize(transcript: str, voice: str | None) -> bytes:
    """Raw little-endian PCM16 mono at 24 kHz for ``transcript`` spoken by ``voice``."""
    seconds = min(MAX_SECONDS, max(MIN_SECONDS, len(transcript) * SECONDS_PER_CHAR))
    n = int(seconds * SAMPLE_RATE)
    pitch = 180.0 + (zlib.crc32((voice or "").encode()) % 160)
    step = 2.0 * math.pi * pitch / SAMPLE_RATE
    # One period, repeated: exact, and fast enough for a minute of audio.
    period = max(1, round(SAMPLE_RATE / pitch))
    one = array("h", (int(3000 * math.sin(step * i)) for i in range(period)))
    samples = (one * (n // period + 1))[:n]
    if samples.itemsize != 2:  # pragma: no cover - array('h') is 16-bit on every platform we run
        raise RuntimeError("array('h') is not 16-bit here")
    data = samples.tobytes()
    return data if array("h", [1]).tobytes() == b"\x01\x00" else _swap(data)


def _swap(data: bytes) -> bytes:  # pragma: no cover - big-endian hosts only
    samples = array("h", data)
    samples.byteswap()
    return samples.tobytes()


def pcm_chunks(pcm: bytes, parts: int) -> list[bytes]:
    """Split ``pcm`` into ``parts`` pieces of whole samples (the last takes the rest)."""
    parts = max(1, parts)
    samples = len(pcm) // 2
    size = max(1, math.ceil(samples / parts)) * 2
    return [pcm[i : i + size] for i in range(0, len(pcm), size)] or [b""]
