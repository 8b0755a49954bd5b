"""check_media: typed errors naming the file, the value, the limit and the fix."""

from __future__ import annotations

import pytest

from qwen_omni.catalog import DATA_URI_MAX_BYTES
from qwen_omni.errors import MediaTooLargeError, MediaTooLongError, UnsupportedMediaError
from qwen_omni.media import AudioInfo, ImageInfo, check_media, data_uri_bytes, fits_inline
from qwen_omni.media.probe import VideoInfo

MB = 1024 * 1024


def video(seconds: float, size: int = 1_000_000, w: int = 1280, h: int = 720) -> VideoInfo:
    return VideoInfo(
        source="clip.mp4", container="mp4", mime_type="video/mp4", duration_s=seconds, fps=30.0,
        frame_count=max(1, round(seconds * 30)), frame_count_exact=True, width=w, height=h,
        rotation=0, video_codec="h264", pix_fmt="yuv420p", bit_rate=None, size_bytes=size,
        audio=None,
    )  # fmt: skip


def audio(seconds: float, size: int = 1_000) -> AudioInfo:
    return AudioInfo("talk.mp3", "mp3", "audio/mpeg", "mp3", seconds, 16_000, 1, None, size)


def test_video_too_long_names_file_value_limit_and_fix():
    with pytest.raises(MediaTooLongError) as info:
        check_media(video(212), "qwen3-omni-flash")
    err = info.value
    assert str(err) == (
        "clip.mp4: video is 212 s; qwen3-omni-flash accepts at most 150 s: split it "
        "(qwen_omni.media.split_media, or the summarize_long_video tool) or use qwen3.5-omni-plus"
    )
    assert (err.source, err.value, err.limit) == ("clip.mp4", 212, 150)


def test_limits_per_model():
    check_media(video(150), "qwen3-omni-flash")  # exactly at the limit
    check_media(video(212), "qwen3.5-omni-plus")
    with pytest.raises(MediaTooLongError, match="qwen-omni-turbo accepts at most 40 s"):
        check_media(video(41), "qwen-omni-turbo")
    with pytest.raises(
        MediaTooLongError, match="audio is 1500 s; qwen3-omni-flash accepts at most 1200 s"
    ):
        check_media(audio(1500), "qwen3-omni-flash")
    # models the catalog does not know (or marks unconfirmed) are not held to guesses
    check_media(video(5000), "some-future-omni")
    check_media(video(5000), "qwen3.8-omni-flash")


def test_inline_cap():
    # 7.5 MB raw is 10 MB encoded: one byte over the gateway cap fails
    raw_max = (DATA_URI_MAX_BYTES - len("data:;base64,")) // 4 * 3
    assert fits_inline(raw_max)
    assert not fits_inline(raw_max + 3)
    assert data_uri_bytes(3, "image/png") == len("data:image/png;base64,") + 4
    check_media(video(10, size=raw_max), delivery="inline")
    with pytest.raises(
        MediaTooLargeError, match="at most 10,485,760 bytes per inline item"
    ) as info:
        check_media(video(10, size=raw_max + 3), delivery="inline")
    assert info.value.limit == DATA_URI_MAX_BYTES
    assert "upload it" in str(info.value)


def test_url_size_limits():
    check_media(video(10, size=256 * MB), "qwen3-omni-flash", delivery="url")
    with pytest.raises(MediaTooLargeError, match="fetches at most 256 MB by URL: prepare it"):
        check_media(video(10, size=257 * MB), "qwen3-omni-flash", delivery="url")
    with pytest.raises(MediaTooLargeError, match="10 MB by URL"):
        check_media(audio(10, size=11 * MB), "qwen-omni-turbo", delivery="url")


def test_picture_shapes():
    tiny = ImageInfo("dot.png", "png", "image/png", 8, 8, 1, False, "RGB", 100)
    with pytest.raises(UnsupportedMediaError, match=r"dot\.png: picture is 8×8 px"):
        check_media(tiny)
    strip = ImageInfo("strip.png", "png", "image/png", 5000, 20, 1, False, "RGB", 100)
    with pytest.raises(UnsupportedMediaError, match="250:1"):
        check_media(strip)
    with pytest.raises(UnsupportedMediaError, match="1 frame"):
        check_media(video(0.01))
