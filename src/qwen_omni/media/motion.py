"""How much a video moves: picks the frame-rate preset for ``preset="auto"``.

The score is the mean absolute difference (0–255) between consecutive grey thumbnails taken
``1/sample_fps`` apart, over a few one-second windows spread through the clip. Each window
starts at the keyframe a seek lands on, so measuring costs about ``windows`` seconds of
decoding whatever the clip's length.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from qwen_omni.media.probe import open_container

__all__ = ["ACTION_MOTION_THRESHOLD", "PRESET_FPS", "Preset", "choose_preset", "measure_motion"]

Preset = Literal["static", "action", "auto"]

#: output frame rate of each preset: 4 fps for people talking, 8 for sport and fast cuts (both
#: at or above the 2 fps the service samples, so no sampled moment is lost)
PRESET_FPS: dict[str, float] = {"static": 4.0, "action": 8.0}

#: mean grey-level change between samples 1/8 s apart above which a clip counts as "action".
#: Heuristic: a talking head scores ~1–3, a pan or a sport clip well over 10.
ACTION_MOTION_THRESHOLD = 6.0

_THUMB = (64, 36)


def measure_motion(
    source: Path | str | bytes,
    *,
    windows: int = 3,
    window_s: float = 1.0,
    sample_fps: float = 8.0,
) -> float:
    """The motion score of a video (0: still; 255: every pixel flips), see the module doc."""
    import av
    import numpy as np

    if isinstance(source, str):
        source = Path(source)
    diffs: list[float] = []
    with open_container(source) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = (
            float(stream.duration * stream.time_base)
            if stream.duration and stream.time_base
            else (container.duration or 0) / 1_000_000
        )
        starts = [0.0] if duration <= windows * window_s * 2 else [
            duration * (i + 1) / (windows + 1) for i in range(windows)
        ]  # fmt: skip
        for start in starts:
            if start > 0 and stream.time_base:
                container.seek(int(start / stream.time_base), stream=stream, backward=True)
            previous = None
            first_t: float | None = None
            next_t = 0.0
            try:
                for frame in container.decode(stream):
                    if frame.time is None:
                        continue
                    if first_t is None:
                        first_t = frame.time
                    rel = frame.time - first_t
                    if rel > window_s:
                        break
                    if rel + 1e-6 < next_t:
                        continue
                    next_t = rel + 1.0 / sample_fps
                    thumb = frame.reformat(width=_THUMB[0], height=_THUMB[1], format="gray")
                    grey = thumb.to_ndarray().astype(np.int16)
                    if previous is not None:
                        diffs.append(float(np.abs(grey - previous).mean()))
                    previous = grey
            except av.FFmpegError:
                continue
    return float(np.mean(diffs)) if diffs else 0.0


def choose_preset(source: Path | str | bytes) -> Literal["static", "action"]:
    """``action`` when :func:`measure_motion` is over :data:`ACTION_MOTION_THRESHOLD`."""
    return "action" if measure_motion(source) > ACTION_MOTION_THRESHOLD else "static"
