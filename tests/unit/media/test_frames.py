"""A video as a list of frames."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from qwen_omni.content import VideoFrames
from qwen_omni.media import video_to_frames, video_to_frames_part
from qwen_omni.media.frames import frame_times


def test_frame_times():
    assert frame_times(3, fps=2) == [0, 0.5, 1, 1.5, 2, 2.5]
    assert frame_times(100, fps=2, max_frames=4) == [0, 25, 50, 75]
    assert frame_times(0.5, fps=2, min_frames=4) == [0, 0.125, 0.25, 0.375]


def test_frames_at_2fps(clip):
    frames = video_to_frames(clip)
    assert [f.time_s for f in frames] == pytest.approx([0, 0.5, 1, 1.5, 2, 2.5], abs=0.034)
    img = Image.open(io.BytesIO(frames[0].data))
    assert (img.format, img.size) == ("JPEG", (640, 360))
    # the clip moves: consecutive frames differ
    assert frames[0].data != frames[1].data


def test_frames_are_downscaled_and_upright(clip_1080, clip_rotated):
    big = video_to_frames(clip_1080, max_frames=2)
    assert (big[0].width, big[0].height) == (1280, 720)
    assert len(big) == 2
    phone = video_to_frames(clip_rotated)
    assert (phone[0].width, phone[0].height) == (360, 640)


def test_frames_part_respects_model_range(clip):
    part = video_to_frames_part(clip, "qwen-omni-turbo")  # Turbo: 4–80 frames, even
    assert isinstance(part, VideoFrames)
    assert len(part.frames) == 6
    assert part.fps == 2.0
    assert part.frames[0].mime_type == "image/jpeg"
    few = video_to_frames_part(clip, "qwen3-omni-flash", fps=0.5)
    assert len(few.frames) == 2  # 1.5 frames → at least 2
