"""Turn a video into a list of still frames, for the ``{"type": "video", "video": [...]}`` form.

Frames are picked evenly in time while the video decodes (one pass, one frame in memory at a
time besides the JPEGs already made), scaled, and encoded as JPEG.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from qwen_omni.catalog import ModelSpec, get_model
from qwen_omni.content import VideoFrames, image, video_frames
from qwen_omni.media.image import DEFAULT_IMAGE_MAX_PIXELS
from qwen_omni.media.probe import open_container, probe_video, source_label
from qwen_omni.media.tokens import ceil_by_factor

__all__ = ["Frame", "frame_times", "video_to_frames", "video_to_frames_part"]

#: default frame sampling rate: the service's own (§6.3)
DEFAULT_FRAMES_FPS = 2.0
#: seek rather than decode when the next frame wanted is further ahead than this
SEEK_GAP_S = 10.0
_JPEG_QUALITY = 85


@dataclass(frozen=True)
class Frame:
    """One still taken from a video."""

    time_s: float
    data: bytes
    width: int
    height: int
    mime_type: str = "image/jpeg"


def frame_times(
    duration_s: float, *, fps: float, min_frames: int = 2, max_frames: int | None = None
) -> list[float]:
    """The timestamps to take: every ``1/fps`` s from 0, at least ``min_frames`` and at most
    ``max_frames`` (then spread evenly over the clip). Pure."""
    natural = max(1, int(duration_s * fps))
    n = max(min_frames, natural)
    if max_frames is not None:
        n = min(n, max_frames)
    if n <= 1:
        return [0.0]
    step = 1.0 / fps if n == natural else duration_s / n
    return [round(i * step, 6) for i in range(n)]


def video_to_frames(
    source: Path | str | bytes,
    *,
    fps: float = DEFAULT_FRAMES_FPS,
    min_frames: int = 2,
    max_frames: int | None = None,
    max_pixels: int = DEFAULT_IMAGE_MAX_PIXELS,
    quality: int = _JPEG_QUALITY,
) -> list[Frame]:
    """Take frames from a video at ``fps`` (default 2, the service's rate), as JPEGs.

    At most ``max_frames`` (spread evenly over the whole clip when there would be more), at
    least ``min_frames``; each downscaled to ``max_pixels`` and turned upright (the display
    rotation is applied).

    Raises:
        MediaNotFoundError, UnsupportedMediaError: unreadable, corrupt, or not a video.
    """
    import math

    from PIL import Image

    if isinstance(source, str):
        source = Path(source)
    info = probe_video(source)
    times = frame_times(info.duration_s, fps=fps, min_frames=min_frames, max_frames=max_frames)
    w, h = info.width, info.height
    if w * h > max_pixels:
        scale = math.sqrt(max_pixels / (w * h))
        w, h = max(2, int(w * scale)), max(2, int(h * scale))
    transpose = {90: Image.Transpose.ROTATE_90, -90: Image.Transpose.ROTATE_270,
                 270: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180}  # fmt: skip
    frames: list[Frame] = []
    last = None
    with open_container(source) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = stream.time_base
        origin = float((stream.start_time or 0) * tb) if tb else 0.0
        decoded = container.decode(stream)
        current = None  # the last decoded frame and its time from the start
        current_t = -1.0
        for want in times:
            if current is not None and current_t + 1e-6 >= want:
                pass  # frames sparser than requested: this one serves again
            else:
                if tb and want - max(current_t, 0.0) > SEEK_GAP_S:
                    # far ahead: jump to the keyframe before it instead of decoding the gap
                    container.seek(round((want + origin) / tb), stream=stream, backward=True)
                    decoded = container.decode(stream)
                current = None
                for frame in decoded:
                    if frame.time is None:
                        continue
                    last = frame
                    if frame.time - origin + 1e-6 >= want:
                        current, current_t = frame, frame.time - origin
                        break
                if current is None:
                    break  # the clip ends before its header says
            img = current.reformat(width=w, height=h, format="rgb24").to_image()
            if info.rotation in transpose:
                img = img.transpose(transpose[info.rotation])
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=quality)
            frames.append(Frame(round(current_t, 6), buf.getvalue(), img.width, img.height))
    if frames and len(frames) < min(min_frames, len(times)) and last is not None:
        # a clip shorter than its header says: repeat the last frame (as qwen-vl-utils pads)
        while len(frames) < min_frames:
            frames.append(frames[-1])
    return frames


def video_to_frames_part(
    source: Path | str | bytes,
    model: str | ModelSpec = "qwen3-omni-flash",
    *,
    fps: float = DEFAULT_FRAMES_FPS,
    max_pixels: int = DEFAULT_IMAGE_MAX_PIXELS,
) -> VideoFrames:
    """A :class:`~qwen_omni.content.VideoFrames` part for ``model``: frames at ``fps`` within
    the model's frame range (2–128 on Qwen3-Omni-Flash, 4–80 on Turbo, 2–2048 on Qwen3.5-Omni),
    an even count, JPEG data sources."""
    spec = model if isinstance(model, ModelSpec) else get_model(model)
    max_frames = spec.frames_max - spec.frames_max % 2
    frames = video_to_frames(
        source,
        fps=fps,
        min_frames=ceil_by_factor(spec.frames_min, 2),
        max_frames=max_frames,
        max_pixels=max_pixels,
    )
    if len(frames) % 2:
        frames.append(frames[-1])
    if not frames:  # pragma: no cover - probe_video guarantees a decodable frame
        raise ValueError(f"{source_label(source)}: no frames could be taken")
    # the spacing the model is told about: the requested rate, or the actual one when the
    # frames had to be spread out (or packed in) to fit the model's frame range
    span = frames[-1].time_s - frames[0].time_s
    rate = (len(frames) - 1) / span if span > 0 else fps
    if abs(rate - fps) / fps < 0.01:
        rate = fps
    return video_frames(
        [image(f.data, mime_type=f.mime_type) for f in frames],
        fps=round(min(10.0, max(0.1, rate)), 3),
    )
