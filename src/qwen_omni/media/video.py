"""Prepare a video for the service: at most 720p, a preset frame rate, upright, H.264/AAC MP4.

The service samples 2 frames per second and shrinks each to a few hundred thousand pixels
(§6.3), so a 1080p30 phone clip carries mostly bytes it never looks at. Preparing keeps what it
does look at: the short side down to 720 px, 4 fps (``static``: people talking) or 8 fps
(``action``: sport, fast cuts), the display rotation baked into the pixels, the audio track
mono at 16 kHz. Frames stream from the (threaded) decoder through one filter graph
(fps → scale → transpose) into the encoder, which runs on a worker thread behind a bounded
queue, so decoding and encoding overlap and memory does not grow with the clip's length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qwen_omni.media._pipeline import (
    EncodeWorker,
    add_audio,
    add_h264,
    drain,
    even,
    open_output,
    video_graph,
)
from qwen_omni.media.motion import PRESET_FPS, Preset, choose_preset
from qwen_omni.media.prepared import PreparedMedia, default_output_path
from qwen_omni.media.probe import VideoInfo, open_container, probe, probe_video, source_label

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame

__all__ = [
    "DEFAULT_MAX_SHORT_SIDE",
    "SENDABLE_AUDIO_CODECS_IN_VIDEO",
    "SENDABLE_VIDEO_CODECS",
    "SENDABLE_VIDEO_CONTAINERS",
    "VIDEO_AUDIO_SAMPLE_RATE",
    "VideoTarget",
    "prepare_video",
    "transcode_video",
    "video_target",
]

#: "720p": the short side of a prepared video, in pixels
DEFAULT_MAX_SHORT_SIDE = 720
#: the audio track of a prepared video: mono at the rate the model's audio encoder uses
VIDEO_AUDIO_SAMPLE_RATE = 16_000
SENDABLE_VIDEO_CONTAINERS = ("mp4", "mov")
SENDABLE_VIDEO_CODECS = ("h264",)
SENDABLE_AUDIO_CODECS_IN_VIDEO = ("aac", "mp3")
#: a source within 1 % of the target rate is not resampled
_FPS_TOLERANCE = 1.01
DEFAULT_CRF = 26
DEFAULT_X264_PRESET = "veryfast"


@dataclass(frozen=True)
class VideoTarget:
    """What :func:`prepare_video` will produce from a given source (pure decision)."""

    width: int
    """output width as displayed (after the rotation is baked in)"""
    height: int
    fps: float
    rotate: int
    """display rotation to bake into the pixels (degrees, CCW); 0: none"""
    transcode: bool
    """False: the source already fits and is sent as it is"""
    audio: bool
    """the output keeps an audio track"""
    reasons: tuple[str, ...] = field(default=())


def video_target(
    info: VideoInfo,
    *,
    fps: float,
    max_short_side: int = DEFAULT_MAX_SHORT_SIDE,
    audio: bool = True,
) -> VideoTarget:
    """Decide the output size, frame rate and rotation for ``info``; pure (used by the planner).

    Never upscales and never raises the frame rate. The source is kept as-is when it is already
    an H.264 MP4/MOV with AAC/MP3 (or no) audio, at most ``max_short_side`` on the short side,
    at most ``fps``, and upright.
    """
    reasons: list[str] = []
    dw, dh = info.display_size
    short = min(dw, dh)
    if short > max_short_side:
        scale = max_short_side / short
        tw, th = even(dw * scale), even(dh * scale)
        reasons.append(f"downscale {dw}×{dh} → {tw}×{th}")
    else:
        tw, th = even(dw), even(dh)
    out_fps = fps
    if info.fps and info.fps <= fps * _FPS_TOLERANCE:
        out_fps = info.fps
    else:
        reasons.append(f"frame rate {info.fps:g} → {fps:g} fps")
    if info.rotation:
        reasons.append(f"rotate {info.rotation}° into the pixels (the display flag may be ignored)")
    if info.video_codec not in SENDABLE_VIDEO_CODECS:
        reasons.append(f"re-encode {info.video_codec} as H.264")
    if info.container not in SENDABLE_VIDEO_CONTAINERS:
        reasons.append(f"remux {info.container.upper()} as MP4")
    keep_audio = audio and info.audio is not None
    audio_codec = info.audio.codec if info.audio is not None else None
    if keep_audio and audio_codec not in SENDABLE_AUDIO_CODECS_IN_VIDEO:
        reasons.append(f"re-encode {audio_codec} audio as AAC")
    if not audio and info.audio is not None:
        reasons.append("drop the audio track")
    return VideoTarget(
        width=tw,
        height=th,
        fps=out_fps,
        rotate=info.rotation,
        transcode=bool(reasons),
        audio=keep_audio,
        reasons=tuple(reasons),
    )


def _stored_size(target: VideoTarget) -> tuple[int, int]:
    """The output size before the transpose (scaling runs on stored pixels)."""
    if abs(target.rotate) % 180 == 90:
        return target.height, target.width
    return target.width, target.height


def transcode_video(
    source: Path | str | bytes,
    dest: Path | str,
    target: VideoTarget,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    audio_sample_rate: int = VIDEO_AUDIO_SAMPLE_RATE,
    crf: int = DEFAULT_CRF,
    x264_preset: str = DEFAULT_X264_PRESET,
    max_bitrate: int | None = None,
) -> Path:
    """Decode ``source`` and encode ``target`` into ``dest`` (MP4, H.264 + AAC mono), streaming.

    ``start_s``/``end_s`` cut a window (frame-accurate, for re-encoded splits);
    ``max_bitrate`` caps the video bitrate (bits/s, see ``add_h264``).
    """

    if isinstance(source, str):
        source = Path(source)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open_container(source) as inp, open_output(dest, "mp4") as out:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        ain = inp.streams.audio[0] if target.audio and inp.streams.audio else None
        rate = Fraction(target.fps).limit_denominator(1001)
        graph = video_graph(vin, fps=rate, size=_stored_size(target), rotation=target.rotate)
        vout = add_h264(
            out,
            width=target.width,
            height=target.height,
            fps=rate,
            crf=crf,
            preset=x264_preset,
            max_bitrate=max_bitrate,
        )
        aout = (
            add_audio(out, codec="aac", sample_rate=audio_sample_rate, mono=True)
            if ain is not None
            else None
        )
        start = start_s or 0.0
        if start > 0 and vin.time_base:
            inp.seek(int(start / vin.time_base), stream=vin, backward=True)
        start_pts = round(start / vin.time_base) if vin.time_base else 0
        audio_end = end_s if end_s is not None else math.inf
        if ain is not None and ain.duration and ain.time_base:
            audio_end = min(
                audio_end, float(((ain.start_time or 0) + ain.duration) * ain.time_base)
            )
        streams: list[Any] = [vin] if ain is None else [vin, ain]
        worker = EncodeWorker(out)
        try:
            video_done = False
            audio_done = ain is None
            for packet in inp.demux(*streams):
                if video_done and audio_done:
                    break
                if packet.stream is vin:
                    if video_done:
                        continue
                    for frame in packet.decode():
                        t = frame.time
                        if t is None:
                            continue
                        if t < start - 1e-6:
                            continue
                        if end_s is not None and t >= end_s - 1e-6:
                            video_done = True
                            break
                        if frame.pts is not None and start_pts:
                            frame.pts -= start_pts
                        graph.vpush(frame)
                        for out_frame in drain(graph):
                            worker.submit(vout, out_frame)
                elif aout is not None and not audio_done:
                    for aframe in packet.decode():
                        t = aframe.time
                        sr = aframe.sample_rate or 1
                        if t is not None and t + aframe.samples / sr <= start:
                            continue
                        if t is not None and t >= audio_end - 1e-6:
                            audio_done = True
                            break
                        if t is not None and t + aframe.samples / sr > audio_end:
                            # the decoder returns the encoder's padding too: stop where the
                            # source track (or the window) ends, so durations stay exact
                            aframe = _head(aframe, round((audio_end - t) * sr))
                        if aframe.pts is not None and aframe.time_base is not None:
                            # keep the source's timing, counted from the start of the window
                            aframe.pts -= round(start / aframe.time_base)
                        worker.submit(aout, aframe)
            graph.vpush(None)
            for out_frame in drain(graph):
                worker.submit(vout, out_frame)
        except BaseException:
            worker.abort()
            raise
        worker.close(vout, *([aout] if aout is not None else []))
    return dest


def _head(frame: AudioFrame, samples: int) -> AudioFrame:
    """The first ``samples`` samples of an audio frame."""
    import av

    data = frame.to_ndarray()
    # planar formats are (channels, samples); packed ones interleave into (1, samples·channels)
    width = samples if frame.format.is_planar else samples * len(frame.layout.channels)
    head = av.AudioFrame.from_ndarray(
        data[:, : max(0, width)].copy(), format=frame.format.name, layout=frame.layout.name
    )
    head.sample_rate = frame.sample_rate
    head.pts = frame.pts
    head.time_base = frame.time_base
    return head


def prepare_video(
    source: Path | str | bytes,
    dest: Path | str | None = None,
    *,
    preset: Preset = "auto",
    fps: float | None = None,
    max_short_side: int = DEFAULT_MAX_SHORT_SIDE,
    audio: bool = True,
    audio_sample_rate: int = VIDEO_AUDIO_SAMPLE_RATE,
    crf: int = DEFAULT_CRF,
    x264_preset: str = DEFAULT_X264_PRESET,
) -> PreparedMedia:
    """Shrink a video to what the model uses; returns a :class:`PreparedMedia` with ``path``.

    Steps, each skipped when the source already fits: downscale so the short side is at most
    ``max_short_side`` (720), lower the frame rate to the preset (``static`` 4 fps, ``action``
    8 fps, ``auto`` picks from the measured motion; ``fps`` overrides), bake the display
    rotation into the pixels, keep the audio track as AAC mono at ``audio_sample_rate``
    (``audio=False`` drops it), write H.264 MP4. A video that already fits is returned as-is
    (``steps == ()``, ``path`` the source).

    ``dest`` defaults to a new temporary directory (the caller may delete it after sending).

    Raises:
        MediaNotFoundError, UnsupportedMediaError: unreadable, corrupt, or not a video.
    """
    if isinstance(source, str):
        source = Path(source)
    info = probe_video(source)
    if fps is None:
        chosen = choose_preset(source) if preset == "auto" else preset
        fps = PRESET_FPS[chosen]
        fps_label = f"{chosen} preset"
    else:
        fps_label = "requested"
    target = video_target(info, fps=fps, max_short_side=max_short_side, audio=audio)
    if not target.transcode:
        if isinstance(source, bytes):
            return PreparedMedia(info, info, None, source, ())
        return PreparedMedia(info, info, source, None, ())
    out_path = Path(dest) if dest is not None else default_output_path(source_label(source), ".mp4")
    transcode_video(
        source,
        out_path,
        target,
        audio_sample_rate=audio_sample_rate,
        crf=crf,
        x264_preset=x264_preset,
    )
    out_info = probe(out_path)
    steps = [r if not r.startswith("frame rate") else f"{r} ({fps_label})" for r in target.reasons]
    steps.append(f"encode H.264/AAC MP4 ({out_info.size_bytes:,} bytes)")
    return PreparedMedia(info, out_info, out_path, None, tuple(steps))
