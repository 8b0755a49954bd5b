"""Media generated once per test session (PyAV from numpy): small, fast clips."""

from __future__ import annotations

from pathlib import Path

import pytest

from qwen_omni.media import make_audio, make_image, make_video


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip(media_dir) -> Path:
    """3 s, 640×360, 30 fps, moving, AAC mono 16 kHz tone, a keyframe every second."""
    return make_video(media_dir / "clip.mp4", seconds=3, gop=30, preset="ultrafast")


@pytest.fixture(scope="session")
def clip_static(media_dir) -> Path:
    return make_video(
        media_dir / "static.mp4", seconds=3, motion="static", audio=False, preset="ultrafast"
    )


@pytest.fixture(scope="session")
def clip_1080(media_dir) -> Path:
    """2 s of 1920×1080 at 30 fps with audio (the only large clip: used sparingly)."""
    return make_video(media_dir / "hd.mp4", seconds=2, width=1920, height=1080, preset="ultrafast")


@pytest.fixture(scope="session")
def clip_silent(media_dir) -> Path:
    return make_video(media_dir / "silent.mp4", seconds=1, width=320, height=240, audio=False)


@pytest.fixture(scope="session")
def clip_rotated(media_dir) -> Path:
    """A phone video: 640×360 stored, display rotation 90° (shown as 360×640)."""
    return make_video(
        media_dir / "phone.mp4", seconds=1, rotation=90, motion="static", preset="ultrafast"
    )


@pytest.fixture(scope="session")
def clip_long(media_dir) -> Path:
    """20 s, 160×90, keyframes every 2 s: for splitting."""
    return make_video(
        media_dir / "long.mp4",
        seconds=20,
        width=160,
        height=90,
        fps=15,
        gop=30,
        preset="ultrafast",
    )


@pytest.fixture(scope="session")
def wav_stereo(media_dir) -> Path:
    return make_audio(media_dir / "stereo.wav", seconds=2, sample_rate=44_100, channels=2)


@pytest.fixture(scope="session")
def mp3_mono(media_dir) -> Path:
    return make_audio(media_dir / "mono.mp3", seconds=2, format="mp3")


@pytest.fixture(scope="session")
def image_4k(media_dir) -> Path:
    return make_image(media_dir / "4k.jpg", width=3840, height=2160, format="jpeg")
