"""The generators make what they say, quickly."""

from __future__ import annotations

import pytest

from qwen_omni.media import (
    make_audio,
    make_image,
    make_video,
    measure_motion,
    probe_audio,
    probe_image,
    probe_video,
)


def test_make_video_default_is_as_described(tmp_path):
    path = make_video(tmp_path / "v.mp4")  # 5 s, 640×360, 30 fps, audio
    info = probe_video(path)
    assert (info.width, info.height, info.fps, info.frame_count) == (640, 360, 30, 150)
    assert info.duration_s == pytest.approx(5.0, abs=0.05)
    assert info.audio is not None
    assert info.audio.duration_s == pytest.approx(5.0, abs=0.1)


@pytest.mark.parametrize(
    ("codec", "suffix"), [("hevc", ".mp4"), ("mpeg4", ".mp4"), ("vp9", ".webm")]
)
def test_make_video_codecs(tmp_path, codec, suffix):
    info = probe_video(
        make_video(tmp_path / f"v{suffix}", seconds=0.5, width=96, height=64, codec=codec)
    )
    assert info.video_codec == codec
    assert (info.width, info.height) == (96, 64)


def test_make_video_motion_kinds(clip, clip_static):
    # "moving" scrolls half a frame per second; "static" only blinks a dot
    assert measure_motion(clip) > 8
    assert measure_motion(clip_static) < 1


def test_make_video_rejects_odd_sizes(tmp_path):
    with pytest.raises(ValueError, match="even"):
        make_video(tmp_path / "odd.mp4", width=101, height=50)


@pytest.mark.parametrize(("fmt", "channels"), [("wav", 1), ("mp3", 2), ("flac", 1), ("aac", 2)])
def test_make_audio(tmp_path, fmt, channels):
    info = probe_audio(
        make_audio(
            tmp_path / f"a.{fmt}", seconds=1.5, sample_rate=22_050, channels=channels, format=fmt
        )
    )
    assert info.channels == channels
    assert info.sample_rate == 22_050
    assert info.duration_s == pytest.approx(1.5, abs=0.1)


def test_make_image_with_exif_and_alpha(tmp_path):
    info = probe_image(
        make_image(tmp_path / "i.png", width=200, height=100, alpha=True, exif_orientation=8)
    )
    assert (info.width, info.height, info.orientation, info.has_alpha) == (200, 100, 8, True)
    with pytest.raises(ValueError, match="JPEG has no alpha"):
        make_image(tmp_path / "i.jpg", width=20, height=20, format="jpeg", alpha=True)


def test_bundled_sample_clip():
    from pathlib import Path

    sample = Path(__file__).parents[3] / "examples" / "media" / "sample.mp4"
    info = probe_video(sample)
    assert info.size_bytes < 400_000
    assert (info.width, info.height) == (640, 360)
    assert 24 <= info.fps <= 30
    assert info.duration_s == pytest.approx(6.0, abs=0.1)
    assert info.audio is not None
