"""Split long video or audio into segments the model accepts, by stream copy where possible.

Cut points are planned from the keyframe times (read from the container's index when it has
one, else from one demux pass without decoding): each segment ends at the last keyframe within
a tolerance before its ``segment_s`` mark (:func:`cut_tolerance`: 10 %, at least 1 s). When
every cut finds such a keyframe, packets are copied into the segment files in one pass: no
decoding, no quality loss, seconds for an hour of video.

When keyframes are too sparse for that (a phone's 10 s GOP, a screen recording's single
keyframe), the video is re-encoded and cut exactly on time (``mode="auto"``), so the segments
are what was asked for — never the 50 s pieces a 30 s request used to give — and never longer
than the model's limit. ``mode="copy"`` keeps keyframe cuts (a segment may then run to the next
keyframe) and raises when that would exceed the limit.

:func:`prepare_segments` cuts and prepares in the same pass (720p, the preset frame rate, and a
bitrate that fits the inline cap when only inline delivery is possible, see
:func:`fit_inline`), yielding each segment as soon as it is written so that a caller can send
it while the next one is encoded.
"""

from __future__ import annotations

import math
import tempfile
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from qwen_omni.catalog import ModelSpec, get_model
from qwen_omni.errors import MediaTooLongError
from qwen_omni.media._pipeline import open_output
from qwen_omni.media.audio import transcode_audio
from qwen_omni.media.probe import AudioInfo, VideoInfo, open_container, probe, source_label
from qwen_omni.media.video import transcode_video, video_target

__all__ = [
    "DEFAULT_SEGMENT_S",
    "MIN_TAIL_S",
    "InlineFit",
    "Segment",
    "SegmentPlan",
    "cut_tolerance",
    "fit_inline",
    "keyframe_times",
    "plan_cuts",
    "plan_segments",
    "prepare_segments",
    "segment_count",
    "segment_length",
    "split_media",
]

#: default segment length, seconds
DEFAULT_SEGMENT_S = 90.0
#: a last segment shorter than this is merged into the previous one when the limit allows
MIN_TAIL_S = 2.0
_EPS = 1e-3

#: output container for each input container (stream copy keeps the codecs)
_COPY_CONTAINER = {"mp4": "mp4", "mov": "mp4", "3gp": "mp4", "mkv": "mkv", "webm": "webm",
                   "mp3": "mp3", "wav": "wav", "aac": "aac", "m4a": "m4a", "flac": "flac",
                   "ogg": "ogg"}  # fmt: skip
_SUFFIX = {"mp4": ".mp4", "mkv": ".mkv", "webm": ".webm", "mp3": ".mp3", "wav": ".wav",
           "aac": ".aac", "m4a": ".m4a", "flac": ".flac", "ogg": ".ogg"}  # fmt: skip


@dataclass(frozen=True)
class Segment:
    """One piece of a split file."""

    index: int
    path: Path
    start_s: float
    """start time in the source, seconds"""
    end_s: float
    copied: bool
    """True: packets copied (no re-encoding); False: re-encoded (or the source itself)"""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def segment_length(
    kind: Literal["audio", "video"],
    model: str | ModelSpec | None = None,
    segment_s: float = DEFAULT_SEGMENT_S,
) -> float:
    """``segment_s``, lowered to the model's duration limit for ``kind`` when it has one."""
    if model is None:
        return segment_s
    spec = model if isinstance(model, ModelSpec) else get_model(model)
    limit = spec.video_max_seconds if kind == "video" else spec.audio_max_seconds
    return min(segment_s, limit) if limit else segment_s


def segment_count(duration_s: float, segment_s: float) -> int:
    """How many segments of at most ``segment_s`` a clip needs (at least 1). Pure."""
    return max(1, math.ceil(round(duration_s / segment_s, 6)))


def keyframe_times(source: Path | str | bytes) -> list[float]:
    """Keyframe timestamps (seconds, from the start) of the first video stream.

    From the container index when there is one (MP4, MOV, MKV cues), else one demux pass
    without decoding. Audio-only files return ``[]`` (every packet can start a segment).
    """
    if isinstance(source, str):
        source = Path(source)
    with open_container(source) as container:
        if not container.streams.video:
            return []
        stream = container.streams.video[0]
        tb = stream.time_base or Fraction(1, 1_000_000)
        start = stream.start_time or 0
        times: list[float] = []
        # only the MOV/MP4 demuxer loads its whole sample table up front; other indexes (MKV
        # cues) fill in as the file is read, so they are not trusted
        if container.format.name.startswith("mov"):
            # Index entries carry DECODE timestamps. With B-frames a frame is shown later than
            # it is decoded (x264: by the reorder delay), so a keyframe shown at 1.0 s is
            # indexed at 0.8 s. The delay is constant for an encoder's keyframes: read it once
            # from the first keyframe packet and shift every entry by it.
            delay = _keyframe_reorder_delay(container, stream)
            entries = stream.index_entries
            for i in range(len(entries)):
                entry = entries[i]
                if entry.is_keyframe:
                    times.append(float((entry.timestamp + delay - start) * tb))
        if not times:
            for packet in container.demux(stream):
                if packet.is_keyframe and packet.pts is not None:
                    times.append(float((packet.pts - start) * tb))
        return sorted(set(round(t, 6) for t in times if t >= -_EPS))


def _keyframe_reorder_delay(container: Any, stream: Any) -> int:
    """``pts - dts`` of the first keyframe packet, in stream time-base units (0 if unknown)."""
    try:
        for packet in container.demux(stream):
            if packet.is_keyframe and packet.pts is not None and packet.dts is not None:
                return int(packet.pts - packet.dts)
            if packet.pts is not None and packet.dts is not None:
                continue
    finally:
        container.seek(0)
    return 0


def cut_tolerance(segment_s: float) -> float:
    """How much shorter than ``segment_s`` a keyframe cut may make a segment: 10 %, ≥ 1 s."""
    return max(1.0, 0.1 * segment_s)


def plan_cuts(
    duration_s: float,
    segment_s: float,
    keyframes: list[float] | None = None,
    *,
    tail_s: float = MIN_TAIL_S,
    limit_s: float | None = None,
    tolerance_s: float | None = None,
) -> list[float]:
    """Segment start times (the first is 0). Pure.

    Without ``keyframes`` (audio; re-encoding) cuts fall every ``segment_s``. With them, each
    segment ends at the last keyframe in ``[start + segment_s − tolerance, start + segment_s]``
    (``tolerance_s`` defaults to :func:`cut_tolerance`); when there is none the cut falls
    exactly on ``start + segment_s`` (not on a keyframe: that segment must be re-encoded). With
    ``tolerance_s=math.inf`` any earlier keyframe will do, and with none the segment runs to
    the first one after (the stream-copy-only plan, which may exceed ``segment_s``). A last
    segment under ``tail_s`` is merged into the one before it if the result stays within
    ``limit_s`` (default ``segment_s``).
    """
    limit = limit_s if limit_s is not None else segment_s
    if duration_s <= segment_s + _EPS:
        return [0.0]
    starts = [0.0]
    if keyframes is None:
        n = segment_count(duration_s, segment_s)
        starts = [round(i * float(segment_s), 6) for i in range(n)]
    else:
        tolerance = cut_tolerance(segment_s) if tolerance_s is None else tolerance_s
        kfs = sorted(k for k in keyframes if _EPS < k < duration_s - _EPS)
        while duration_s - starts[-1] > segment_s + _EPS:
            here = starts[-1]
            target = here + segment_s
            i = bisect_right(kfs, target + _EPS)
            candidates = [k for k in kfs[:i] if k > here + _EPS and k >= target - tolerance - _EPS]
            if candidates:
                starts.append(candidates[-1])
                continue
            if math.isfinite(tolerance):
                starts.append(round(target, 6))  # exact cut: re-encoded
                continue
            later = [k for k in kfs[i:] if k > here + _EPS]
            if not later:
                break
            starts.append(later[0])
    tail_is_short = len(starts) > 1 and duration_s - starts[-1] < tail_s
    if tail_is_short and duration_s - starts[-2] <= limit + _EPS:
        starts.pop()
    return starts


def _segment_ends(starts: list[float], duration_s: float) -> list[tuple[float, float]]:
    return [(s, starts[i + 1] if i + 1 < len(starts) else duration_s) for i, s in enumerate(starts)]


def _copy_split(
    source: Path | bytes, info: VideoInfo | AudioInfo, starts: list[float], out_dir: Path,
    stem: str,
) -> list[Segment]:  # fmt: skip
    """One demux pass: each packet goes to the segment its time falls in, timestamps shifted."""
    fmt = _COPY_CONTAINER.get(info.container if isinstance(info, VideoInfo) else info.format, "mkv")
    suffix = _SUFFIX[fmt]
    bounds = _segment_ends(starts, info.duration_s)
    paths = [out_dir / f"{stem}.part{i:03d}{suffix}" for i in range(len(bounds))]
    outputs: dict[int, Any] = {}
    out_streams: dict[tuple[int, int], Any] = {}
    with open_container(source) as inp:
        streams = [*inp.streams.video[:1], *inp.streams.audio[:1]]
        video_index = inp.streams.video[0].index if inp.streams.video else -1
        # cut points as integer timestamps in each stream's time base: no per-packet fractions
        cuts: dict[int, list[int]] = {}
        shifts: dict[int, list[int]] = {}
        for st in streams:
            tb = st.time_base or Fraction(1, 1_000_000)
            origin = st.start_time or 0
            cuts[st.index] = [origin + round((t - _EPS) / tb) for t in starts]
            shifts[st.index] = [origin + round(t / tb) for t in starts]
        current = {st.index: 0 for st in streams}
        oldest = 0

        def output(k: int) -> Any:
            if k not in outputs:
                outputs[k] = open_output(paths[k], fmt)
                for st in streams:
                    out_streams[(k, st.index)] = outputs[k].add_stream_from_template(st)
            return outputs[k]

        try:
            for packet in inp.demux(*streams):
                dts = packet.dts
                if dts is None:  # the demuxer's final empty packet
                    continue
                index = packet.stream_index
                pts = packet.pts
                k = current[index]
                # video moves to the next segment only at a keyframe; audio at any packet
                if index != video_index or packet.is_keyframe:
                    k = max(k, bisect_right(cuts[index], dts if pts is None else pts) - 1)
                    current[index] = k
                out = output(k)
                shift = shifts[index][k]
                if pts is not None:
                    packet.pts = pts - shift
                packet.dts = dts - shift
                packet.stream = out_streams[(k, index)]
                out.mux(packet)
                if k > oldest:
                    # every stream has moved past a segment: finish its file
                    done = min(current.values())
                    for j in [j for j in outputs if j < done]:
                        outputs.pop(j).close()
                    oldest = done
        finally:
            for out in outputs.values():
                out.close()
    return [
        Segment(i, paths[i], round(float(a), 6), round(float(b), 6), True)
        for i, (a, b) in enumerate(bounds)
        if paths[i].exists()
    ]


def split_media(
    source: Path | str | bytes,
    dest_dir: Path | str | None = None,
    *,
    segment_s: float = DEFAULT_SEGMENT_S,
    model: str | ModelSpec | None = None,
    mode: Literal["auto", "copy", "reencode"] = "auto",
) -> list[Segment]:
    """Cut a long video or audio file into segments of about ``segment_s`` (default 90 s).

    Stream-copy cuts fall on keyframes at or before each ``segment_s`` mark, so a segment may
    be shorter; a last piece under ``MIN_TAIL_S`` is merged into the one before it when the
    result stays within the model's limit, so the last segment may be a little longer.

    With ``model``, ``segment_s`` is lowered to the model's duration limit (150 s video on
    Qwen3-Omni-Flash, 40 s on Turbo…) and no segment may exceed that limit. ``copy`` cuts at
    keyframes without re-encoding; ``reencode`` cuts exactly on time (H.264/AAC MP4 for video,
    MP3 for audio); ``auto`` copies unless keyframes are too sparse for the limit.

    A file that already fits comes back as one segment pointing at the source (copied=False).
    ``dest_dir`` defaults to a new temporary directory.

    Raises:
        MediaNotFoundError, UnsupportedMediaError: unreadable, corrupt, or an image.
        MediaTooLongError: ``mode="copy"`` and the keyframes are too far apart for the limit.
    """
    if isinstance(source, str):
        source = Path(source)
    info = probe(source)
    label = source_label(source)
    if isinstance(info, (VideoInfo, AudioInfo)):
        kind: Literal["audio", "video"] = info.kind
    else:
        from qwen_omni.errors import UnsupportedMediaError

        raise UnsupportedMediaError(
            f"{label}: is an image; only audio and video can be split", source=label
        )
    seg = segment_length(kind, model, segment_s)
    limit = segment_length(kind, model, math.inf) if model is not None else seg
    if not math.isfinite(limit):
        limit = seg
    if info.duration_s <= seg + _EPS:
        if isinstance(source, bytes):
            out_dir = Path(dest_dir) if dest_dir else Path(tempfile.mkdtemp(prefix="qwen-omni-"))
            out_dir.mkdir(parents=True, exist_ok=True)
            fmt = info.container if isinstance(info, VideoInfo) else info.format
            path = out_dir / f"media{_SUFFIX.get(fmt, '.bin')}"
            path.write_bytes(source)
        else:
            path = source
        return [Segment(0, path, 0.0, round(info.duration_s, 6), False)]

    out_dir = Path(dest_dir) if dest_dir else Path(tempfile.mkdtemp(prefix="qwen-omni-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(label).stem if not label.startswith("<") else "media"

    if mode != "reencode":
        keyframes = keyframe_times(source) if kind == "video" else None
        tolerance = math.inf if mode == "copy" else None
        starts = plan_cuts(info.duration_s, seg, keyframes, limit_s=limit, tolerance_s=tolerance)
        longest = max(b - a for a, b in _segment_ends(starts, info.duration_s))
        on_keyframes = keyframes is None or all(
            any(abs(s - k) <= _EPS for k in keyframes) for s in starts[1:]
        )
        if longest <= limit + _EPS and on_keyframes:
            return _copy_split(source, info, starts, out_dir, stem)
        if mode == "copy":
            raise MediaTooLongError(
                f"{label}: keyframes are too far apart to cut segments of at most {limit:g} s "
                f"by stream copy (one would be {longest:.1f} s): use mode='reencode'",
                source=label,
                value=longest,
                limit=limit,
            )

    # keyframes too sparse to cut near the marks: re-encode, cutting exactly on time
    starts = plan_cuts(info.duration_s, seg, None, limit_s=limit)
    segments = []
    for i, (a, b) in enumerate(_segment_ends(starts, info.duration_s)):
        if isinstance(info, VideoInfo):
            target = video_target(info, fps=info.fps or 30.0, max_short_side=10**6)
            path = out_dir / f"{stem}.part{i:03d}.mp4"
            transcode_video(source, path, target, start_s=a, end_s=b)
        else:
            path = out_dir / f"{stem}.part{i:03d}.mp3"
            transcode_audio(source, path, format="mp3", start_s=a, end_s=b)
        segments.append(Segment(i, path, round(float(a), 6), round(float(b), 6), False))
    return segments


# --- cut and prepare in one pass (long-video summaries) ------------------------------------------

#: bits/s of a prepared segment's audio track (AAC mono 16 kHz, ``_pipeline.add_audio``)
_AUDIO_BPS = 48_000
#: share of the inline budget a segment is planned to use (MP4 overhead, VBV overshoot)
_SIZE_SLACK = 0.88
#: bits per pixel per frame below which an H.264 picture falls apart: the least a segment's
#: video is given before its frame rate, then its length, are traded for size
MIN_BITS_PER_PIXEL = 0.04
#: the service samples 2 frames per second (§6.3): a lower rate would lose sampled moments
MIN_FPS = 2.0


@dataclass(frozen=True)
class InlineFit:
    """How prepared segments fit the inline cap: the trades, in the order they are made."""

    segment_s: float
    fps: float
    max_bitrate: int
    """video bits/s (x264 VBV cap)"""
    trades: tuple[str, ...]


def _raw_budget(max_bytes: int) -> float:
    """File bytes whose data URI (base64 + prefix) fits ``max_bytes``, with slack."""
    return (max_bytes - 64) * 3 / 4 * _SIZE_SLACK


def fit_inline(
    *,
    segment_s: float,
    width: int,
    height: int,
    fps: float,
    audio: bool,
    max_bytes: int,
) -> InlineFit:
    """Bitrate, then frame rate, then segment length, so each segment's data URI fits. Pure.

    In that order of preference: (1) cap the video bitrate so ``segment_s`` seconds fit
    ``max_bytes`` as a data URI, as long as that leaves at least :data:`MIN_BITS_PER_PIXEL`;
    (2) lower the frame rate towards 2 fps (what the service samples) to keep that quality;
    (3) shorten the segments. Each trade is described in ``trades``.

    Example: 90 s of 1280×720 at 4 fps with sound into 10,485,760 bytes → ~6.9 MB of file →
    615 kbit/s, 567 kbit/s of it for the video (0.15 bit/pixel): only the bitrate is capped.
    """
    raw = _raw_budget(max_bytes)
    sound = _AUDIO_BPS if audio else 0
    pixels = width * height

    def video_bps(seconds: float) -> float:
        return raw * 8 / seconds - sound

    cap = f"the {max_bytes:,}-byte inline cap"
    bps = video_bps(segment_s)
    if bps >= pixels * fps * MIN_BITS_PER_PIXEL:
        return InlineFit(
            segment_s,
            fps,
            int(bps),
            (f"video bitrate capped at {bps / 1000:.0f} kbit/s so each {segment_s:g} s "
             f"segment fits {cap}",),
        )  # fmt: skip
    low = min(fps, MIN_FPS)
    if bps >= pixels * low * MIN_BITS_PER_PIXEL:
        new_fps = max(low, math.floor(bps / (pixels * MIN_BITS_PER_PIXEL) * 2) / 2)
        return InlineFit(
            segment_s,
            new_fps,
            int(bps),
            (f"video bitrate capped at {bps / 1000:.0f} kbit/s and frame rate lowered "
             f"{fps:g} → {new_fps:g} fps so each {segment_s:g} s segment fits {cap}",),
        )  # fmt: skip
    need = pixels * low * MIN_BITS_PER_PIXEL + sound
    seconds = max(1.0, math.floor(raw * 8 / need))
    bps = video_bps(seconds)
    return InlineFit(
        seconds,
        low,
        int(bps),
        (f"segments shortened {segment_s:g} → {seconds:g} s at {low:g} fps and "
         f"{bps / 1000:.0f} kbit/s so each fits {cap}",),
    )  # fmt: skip


@dataclass(frozen=True)
class SegmentPlan:
    """What :func:`prepare_segments` will write: exact time ranges and one encoding."""

    ranges: tuple[tuple[float, float], ...]
    target: Any  # VideoTarget
    max_bitrate: int | None
    trades: tuple[str, ...]

    @property
    def segment_s(self) -> float:
        return max(b - a for a, b in self.ranges)


def plan_segments(
    info: VideoInfo,
    segment_s: float,
    *,
    fps: float,
    model: str | ModelSpec | None = None,
    inline_max_bytes: int | None = None,
    max_short_side: int = 720,
) -> SegmentPlan:
    """Exact segment ranges of at most ``segment_s`` (and the model's limit) and the encoding
    that prepares them (720p, ``fps``), fitted to ``inline_max_bytes`` when given (only
    inline delivery is possible): see :func:`fit_inline`. Pure (a probed ``info``)."""
    seg = segment_length("video", model, segment_s)
    target = video_target(info, fps=fps, max_short_side=max_short_side)
    max_bitrate: int | None = None
    trades: tuple[str, ...] = ()
    if inline_max_bytes is not None:
        fit = fit_inline(
            segment_s=min(seg, max(info.duration_s, 1.0)),
            width=target.width,
            height=target.height,
            fps=target.fps,
            audio=target.audio,
            max_bytes=inline_max_bytes,
        )
        seg, max_bitrate, trades = min(seg, fit.segment_s), fit.max_bitrate, fit.trades
        if fit.fps < target.fps:
            target = video_target(info, fps=fit.fps, max_short_side=max_short_side)
    starts = plan_cuts(info.duration_s, seg, None)
    return SegmentPlan(tuple(_segment_ends(starts, info.duration_s)), target, max_bitrate, trades)


def prepare_segments(
    source: Path | str,
    plan: SegmentPlan,
    dest_dir: Path | str,
    *,
    max_bytes: int | None = None,
) -> Iterator[Segment]:
    """Cut and prepare each range of ``plan`` (one decode + encode per segment, exact times),
    yielding every segment as soon as its file is closed, so that it can be sent while the
    next one is encoded.

    With ``max_bytes`` (the inline cap), a segment whose data URI still came out too large is
    encoded again at a lower bitrate (twice at most), so no segment is lost to the cap.
    """
    source = Path(source)
    out_dir = Path(dest_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = source.stem or "media"
    for i, (a, b) in enumerate(plan.ranges):
        path = out_dir / f"{stem}.seg{i:03d}.mp4"
        bitrate = plan.max_bitrate
        for _ in range(3):
            transcode_video(source, path, plan.target, start_s=a, end_s=b, max_bitrate=bitrate)
            size = path.stat().st_size
            if max_bytes is None or bitrate is None or (size + 2) // 3 * 4 + 64 <= max_bytes:
                break
            bitrate = int(bitrate * _raw_budget(max_bytes) / size * 0.9)
        yield Segment(i, path, round(float(a), 6), round(float(b), 6), False)
