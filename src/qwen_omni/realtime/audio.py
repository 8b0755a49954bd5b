"""Input audio for realtime: anything → PCM16 mono 16 kHz in ~100 ms packets.

The service takes ``input_audio_buffer.append`` with base64 PCM16 mono at 16 kHz and
recommends packets of about 100 ms. Files (any container PyAV reads, including a video's audio
track) are decoded and resampled while streaming; raw PCM at another rate or channel count is
resampled with the same FFmpeg resampler, so there is one conversion path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qwen_omni.errors import UnsupportedMediaError
from qwen_omni.media.probe import open_container, source_label

__all__ = [
    "INPUT_SAMPLE_RATE",
    "PACKET_BYTES",
    "PACKET_MS",
    "StreamResampler",
    "packets",
    "pcm_packets",
    "silence",
]

INPUT_SAMPLE_RATE = 16_000
PACKET_MS = 100
#: 100 ms of PCM16 mono at 16 kHz
PACKET_BYTES = INPUT_SAMPLE_RATE * 2 * PACKET_MS // 1000

_CONTAINER_MAGIC = (b"RIFF", b"ID3", b"OggS", b"fLaC", b"\xff\xfb", b"\xff\xf3", b"\x1aE\xdf\xa3")


def silence(ms: int = PACKET_MS) -> bytes:
    """``ms`` of PCM16 mono 16 kHz silence."""
    return b"\x00\x00" * (INPUT_SAMPLE_RATE * ms // 1000)


def _chunk(stream: Iterator[bytes], size: int) -> Iterator[bytes]:
    pending = bytearray()
    for data in stream:
        pending += data
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)


def _looks_like_container(data: bytes) -> bool:
    head = data[:12]
    return any(head.startswith(m) for m in _CONTAINER_MAGIC) or head[4:8] == b"ftyp"


def _resampler() -> Any:
    import av

    return av.AudioResampler(format="s16", layout="mono", rate=INPUT_SAMPLE_RATE)


def _decode(source: Path | bytes) -> Iterator[bytes]:
    label = source_label(source)
    with open_container(source) as container:
        if not container.streams.audio:
            raise UnsupportedMediaError(
                f"{label}: has no audio track; a realtime session needs sound (send the "
                "pictures with send_image)",
                source=label,
            )
        stream = container.streams.audio[0]
        resampler = _resampler()
        for frame in container.decode(stream):
            frame.pts = None
            for out in resampler.resample(frame):
                yield bytes(out.planes[0])[: out.samples * 2]
        for out in resampler.resample(None):
            yield bytes(out.planes[0])[: out.samples * 2]


def _resample_pcm(pcm: bytes, sample_rate: int, channels: int) -> Iterator[bytes]:
    if sample_rate == INPUT_SAMPLE_RATE and channels == 1:
        yield pcm
        return
    import av
    import numpy as np

    frame_bytes = 2 * channels
    usable = len(pcm) - len(pcm) % frame_bytes
    samples = np.frombuffer(pcm[:usable], dtype="<i2").reshape(1, -1)
    layout = "mono" if channels == 1 else "stereo" if channels == 2 else f"{channels}c"
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout=layout)
    frame.sample_rate = sample_rate
    resampler = _resampler()
    for out in [*resampler.resample(frame), *resampler.resample(None)]:
        yield bytes(out.planes[0])[: out.samples * 2]


def pcm_packets(
    source: Path | str | bytes,
    *,
    sample_rate: int | None = None,
    channels: int = 1,
    packet_ms: int = PACKET_MS,
) -> Iterator[bytes]:
    """PCM16 mono 16 kHz packets of ``packet_ms`` (the last may be shorter), streaming.

    ``source`` is a file path (audio, or a video's audio track), a file's bytes (WAV, MP3…),
    or raw little-endian PCM16 bytes, which need ``sample_rate`` (and ``channels`` when not
    mono). Raw PCM already at 16 kHz mono is only cut, never copied through a resampler.

    Raises:
        MediaNotFoundError, UnsupportedMediaError: unreadable file, or no audio track.
        ValueError: raw PCM without ``sample_rate``.
    """
    size = INPUT_SAMPLE_RATE * 2 * packet_ms // 1000
    if isinstance(source, str):
        source = Path(source)
    if isinstance(source, Path):
        if not source.exists():
            from qwen_omni.errors import MediaNotFoundError

            raise MediaNotFoundError(f"{source}: no such file", source=str(source))
        return _chunk(_decode(source), size)
    data = bytes(source)
    if sample_rate is None:
        if _looks_like_container(data):
            return _chunk(_decode(data), size)
        raise ValueError(
            "raw PCM needs its sample_rate (e.g. sample_rate=16000); pass a WAV or a file path "
            "to have it read from the header"
        )
    return _chunk(_resample_pcm(data, sample_rate, channels), size)


def packets(pcm16k: bytes, packet_ms: int = PACKET_MS) -> list[bytes]:
    """Cut PCM16 mono 16 kHz into ``packet_ms`` packets. Pure."""
    size = INPUT_SAMPLE_RATE * 2 * packet_ms // 1000
    return [pcm16k[i : i + size] for i in range(0, len(pcm16k), size)]


class StreamResampler:
    """PCM16 chunks of any rate and channel count → PCM16 mono 16 kHz, across chunk boundaries.

    For live sources (a microphone, a WebRTC track) whose frames arrive one by one: one FFmpeg
    resampler keeps its filter state between chunks, so there is no click at each boundary.
    Already 16 kHz mono input passes through untouched.
    """

    def __init__(self, sample_rate: int, channels: int = 1) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self._passthrough = sample_rate == INPUT_SAMPLE_RATE and channels == 1
        self._resampler = None if self._passthrough else _resampler()
        self._layout = "mono" if channels == 1 else "stereo" if channels == 2 else f"{channels}c"

    def push(self, pcm: bytes) -> bytes:
        """Resample one chunk (whole samples; a trailing partial sample is dropped)."""
        if self._passthrough:
            return pcm
        import av
        import numpy as np

        frame_bytes = 2 * self.channels
        usable = len(pcm) - len(pcm) % frame_bytes
        if not usable:
            return b""
        samples = np.frombuffer(pcm[:usable], dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout=self._layout)
        frame.sample_rate = self.sample_rate
        assert self._resampler is not None
        return b"".join(
            bytes(out.planes[0])[: out.samples * 2] for out in self._resampler.resample(frame)
        )

    def flush(self) -> bytes:
        """The samples the resampler still holds (call at the end of a turn)."""
        if self._resampler is None:
            return b""
        out = b"".join(bytes(f.planes[0])[: f.samples * 2] for f in self._resampler.resample(None))
        self._resampler = _resampler()
        return out
