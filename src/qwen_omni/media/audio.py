"""Prepare audio for the service (MP3 or WAV, mono, 16 kHz) and extract a video's audio track.

The model's audio encoder works on 16 kHz mono (the open-source preprocessing loads every clip
with ``librosa.load(sr=16000)``), so more channels or a higher rate are bytes it never hears.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from qwen_omni.errors import UnsupportedMediaError
from qwen_omni.media._pipeline import add_audio, open_output
from qwen_omni.media.prepared import PreparedMedia, default_output_path
from qwen_omni.media.probe import AudioInfo, open_container, probe, probe_audio, source_label

__all__ = [
    "AUDIO_SAMPLE_RATE",
    "SENDABLE_AUDIO_FORMATS",
    "AudioFormat",
    "audio_work",
    "extract_audio",
    "inline_size",
    "prepare_audio",
    "transcode_audio",
]

#: the sample rate of prepared audio
AUDIO_SAMPLE_RATE = 16_000
#: ``input_audio.format`` values the service documents ("AMR, WAV, 3GP, 3GPP, AAC, MP3", §4.1)
SENDABLE_AUDIO_FORMATS = ("mp3", "wav", "aac", "amr", "3gp")

AudioFormat = Literal["mp3", "wav"]

_ENCODERS = {"mp3": "libmp3lame", "wav": "pcm_s16le"}
#: bytes per second of prepared MP3 (32 kbps mono, see ``_pipeline.add_audio``), with slack
_MP3_BYTES_PER_S = 32_000 / 8 * 1.05


def inline_size(size_bytes: int) -> int:
    """Bytes of a file sent as a data URI: base64 (4/3) plus the ``data:…;base64,`` prefix."""
    return (size_bytes + 2) // 3 * 4 + 32


def _over_inline_cap(info: AudioInfo) -> bool:
    """True when ``info`` is too big to inline but its MP3 would be smaller."""
    from qwen_omni.catalog import DATA_URI_MAX_BYTES

    if inline_size(info.size_bytes) <= DATA_URI_MAX_BYTES:
        return False
    return info.duration_s * _MP3_BYTES_PER_S < info.size_bytes


#: codecs that can be copied into a container of the same name without re-encoding
_COPYABLE = {"aac": "aac", "mp3": "mp3"}


def audio_work(
    info: AudioInfo,
    *,
    sample_rate: int = AUDIO_SAMPLE_RATE,
    mono: bool = True,
    fit_inline: bool = True,
) -> list[str]:
    """Why ``info`` needs converting, one reason per step; empty when it can be sent as-is.

    Reasons: a format outside the documented list (AMR, WAV, 3GP, 3GPP, AAC, MP3 — so M4A,
    FLAC, OGG… are converted), more than one channel, a rate above ``sample_rate``, and, with
    ``fit_inline``, a file over the 10 MB data-URI cap whose MP3 would be smaller (a 16 kHz
    mono WAV passes the cap after ~4 minutes; its 32 kbps MP3 fits for ~30). Pure (used by
    :func:`prepare_audio` and the planner).
    """
    reasons = []
    if info.format not in SENDABLE_AUDIO_FORMATS:
        reasons.append(f"convert {info.format.upper()} ({info.codec}) to a supported format")
    elif fit_inline and _over_inline_cap(info):
        reasons.append(
            f"re-encode {info.format.upper()} ({info.size_bytes:,} bytes, over the inline cap) "
            "as MP3"
        )
    if mono and info.channels > 1:
        reasons.append(f"mix {info.channels} channels down to mono")
    if info.sample_rate > sample_rate:
        reasons.append(f"resample {info.sample_rate} Hz → {sample_rate} Hz")
    return reasons


def transcode_audio(
    source: Path | str | bytes,
    dest: Path | str,
    *,
    format: AudioFormat = "mp3",
    sample_rate: int = AUDIO_SAMPLE_RATE,
    mono: bool = True,
    start_s: float | None = None,
    end_s: float | None = None,
) -> Path:
    """Decode the first audio stream of ``source`` (audio or video) into ``dest``, streaming."""
    if isinstance(source, str):
        source = Path(source)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    label = source_label(source)
    with open_container(source) as inp:
        if not inp.streams.audio:
            raise UnsupportedMediaError(
                f"{label}: has no audio track: send the video without audio, or another file",
                source=label,
            )
        ain = inp.streams.audio[0]
        with open_output(dest, format) as out:
            aout = add_audio(out, codec=_ENCODERS[format], sample_rate=sample_rate, mono=mono)
            if start_s and ain.time_base:
                inp.seek(int(start_s / ain.time_base), stream=ain, backward=True)
            for frame in inp.decode(ain):
                t = frame.time
                if t is not None and start_s and t + frame.samples / frame.sample_rate <= start_s:
                    continue
                if t is not None and end_s is not None and t >= end_s:
                    break
                frame.pts = None  # the encoder numbers samples from zero
                out.mux(aout.encode(frame))
            out.mux(aout.encode(None))
    return dest


def prepare_audio(
    source: Path | str | bytes,
    dest: Path | str | None = None,
    *,
    format: AudioFormat = "mp3",
    sample_rate: int = AUDIO_SAMPLE_RATE,
    mono: bool = True,
) -> PreparedMedia:
    """Convert audio to a supported format, mono, resampled — only when needed.

    A file that is already MP3/WAV/AAC/AMR/3GP, mono and at most ``sample_rate`` Hz is returned
    as-is (``steps == ()``). Otherwise it is decoded and encoded to ``format`` (``mp3``: 32 kbps
    mono; ``wav``: 16-bit PCM) at ``sample_rate``, streaming. ``dest`` defaults to a new
    temporary directory.

    Raises:
        MediaNotFoundError, UnsupportedMediaError: unreadable, corrupt, or not audio.
    """
    if isinstance(source, str):
        source = Path(source)
    info = probe_audio(source)
    reasons = audio_work(info, sample_rate=sample_rate, mono=mono)
    if not reasons:
        if isinstance(source, bytes):
            return PreparedMedia(info, info, None, source, ())
        return PreparedMedia(info, info, source, None, ())
    out_path = (
        Path(dest) if dest is not None else default_output_path(source_label(source), f".{format}")
    )
    transcode_audio(source, out_path, format=format, sample_rate=sample_rate, mono=mono)
    out_info = probe(out_path)
    steps = [*reasons, f"encode {format.upper()} ({out_info.size_bytes:,} bytes)"]
    return PreparedMedia(info, out_info, out_path, None, tuple(steps))


def extract_audio(
    source: Path | str | bytes,
    dest: Path | str | None = None,
    *,
    format: Literal["auto", "copy", "mp3", "wav"] = "auto",
    sample_rate: int = AUDIO_SAMPLE_RATE,
    mono: bool = True,
) -> PreparedMedia:
    """Write the audio track of a video as an audio file the service accepts.

    ``copy`` keeps the compressed packets (AAC → ``.aac`` ADTS, MP3 → ``.mp3``): instant and
    lossless. ``auto`` copies when the track is already AAC/MP3, mono and at most
    ``sample_rate`` Hz, and otherwise encodes MP3 mono at ``sample_rate``; ``mp3``/``wav``
    always encode.

    Raises:
        UnsupportedMediaError: the video has no audio track (or ``copy`` of a codec that cannot
            be copied into an audio-only file).
    """
    if isinstance(source, str):
        source = Path(source)
    info = probe(source)
    label = source_label(source)
    track = info.audio if info.kind == "video" else None
    if info.kind == "audio":
        return prepare_audio(source, dest, format="mp3" if format == "auto" else format)  # type: ignore[arg-type]
    if info.kind != "video" or track is None:
        raise UnsupportedMediaError(
            f"{label}: has no audio track to extract: ask about the pictures only, or pass "
            "a file with sound",
            source=label,
        )
    copy_fmt = _COPYABLE.get(track.codec)
    fits = copy_fmt is not None and (not mono or track.channels == 1)
    fits = fits and track.sample_rate <= sample_rate
    if format == "copy" and copy_fmt is None:
        raise UnsupportedMediaError(
            f"{label}: its {track.codec} audio cannot be copied into an audio file: use "
            "format='mp3' or 'wav'",
            source=label,
            value=track.codec,
        )
    if format == "copy" or (format == "auto" and fits):
        assert copy_fmt is not None
        out_path = Path(dest) if dest is not None else default_output_path(label, f".{copy_fmt}")
        _copy_audio(source, out_path, copy_fmt)
        out_info = probe(out_path)
        return PreparedMedia(info, out_info, out_path, None, (f"copy the {track.codec} track",))
    enc: AudioFormat = "wav" if format == "wav" else "mp3"
    out_path = Path(dest) if dest is not None else default_output_path(label, f".{enc}")
    transcode_audio(source, out_path, format=enc, sample_rate=sample_rate, mono=mono)
    out_info = probe(out_path)
    steps = (
        f"extract the {track.codec} track",
        f"encode {enc.upper()} {'mono' if mono else ''} {sample_rate} Hz "
        f"({out_info.size_bytes:,} bytes)".replace("  ", " "),
    )
    return PreparedMedia(info, out_info, out_path, None, steps)


def _copy_audio(source: Path | bytes, dest: Path, fmt: str) -> None:
    """Remux the first audio stream's packets into ``dest`` (no decoding)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open_container(source) as inp, open_output(dest, fmt) as out:
        ain = inp.streams.audio[0]
        aout = out.add_stream_from_template(ain)
        for packet in inp.demux(ain):
            if packet.dts is None:  # the demuxer's final empty packet
                continue
            packet.stream = aout
            out.mux(packet)
