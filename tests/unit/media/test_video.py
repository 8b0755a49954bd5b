"""prepare_video: size, frame rate, rotation, audio track, and the as-is path."""

from __future__ import annotations

import av
import numpy as np
import pytest

from qwen_omni.media import choose_preset, make_video, prepare_video, probe_video, video_target
from qwen_omni.media.probe import AudioTrack, VideoInfo


def _info(**kw) -> VideoInfo:
    base = dict(
        source="x.mp4", container="mp4", mime_type="video/mp4", duration_s=10.0, fps=30.0,
        frame_count=300, frame_count_exact=True, width=1920, height=1080, rotation=0,
        video_codec="h264", pix_fmt="yuv420p", bit_rate=None, size_bytes=1,
        audio=AudioTrack("aac", 48_000, 2, 10.0, None),
    )  # fmt: skip
    base.update(kw)
    return VideoInfo(**base)


def test_target_is_pure_and_skips_what_fits():
    t = video_target(_info(), fps=4)
    assert (t.width, t.height, t.fps, t.transcode, t.audio) == (1280, 720, 4, True, True)
    assert t.reasons == ("downscale 1920×1080 → 1280×720", "frame rate 30 → 4 fps")
    fits = video_target(_info(width=1280, height=720, fps=4.0), fps=4)
    assert not fits.transcode
    assert fits.reasons == ()
    # portrait: the short side is the width
    portrait = video_target(_info(width=1080, height=1920), fps=8)
    assert (portrait.width, portrait.height) == (720, 1280)
    # never raises the frame rate, never upscales
    slow = video_target(_info(width=640, height=360, fps=2.0), fps=8)
    assert (slow.width, slow.height, slow.fps, slow.transcode) == (640, 360, 2.0, False)
    # rotation and codecs
    rotated = video_target(_info(width=1280, height=720, fps=4.0, rotation=-90), fps=4)
    assert (rotated.width, rotated.height, rotated.rotate) == (720, 1280, -90)
    assert rotated.transcode
    odd = video_target(
        _info(width=640, height=360, fps=4.0, video_codec="hevc", container="mkv"), fps=4
    )
    assert odd.reasons == ("re-encode hevc as H.264", "remux MKV as MP4")


def test_1080p_to_720p_at_4fps_with_mono_audio(clip_1080, tmp_path):
    result = prepare_video(clip_1080, tmp_path / "out.mp4", preset="static")
    info = result.info
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height, info.fps, info.video_codec) == (1280, 720, 4.0, "h264")
    assert info.frame_count == 8  # 2 s at 4 fps
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert info.audio is not None
    assert (info.audio.codec, info.audio.channels, info.audio.sample_rate) == ("aac", 1, 16_000)
    assert info.audio.duration_s == pytest.approx(2.0, abs=0.15)
    assert result.size_bytes < clip_1080.stat().st_size / 4
    assert result.path == tmp_path / "out.mp4"
    assert result.steps[:2] == (
        "downscale 1920×1080 → 1280×720",
        "frame rate 30 → 4 fps (static preset)",
    )


def test_action_preset_and_fps_override(clip, tmp_path):
    assert choose_preset(clip) == "action"
    auto = prepare_video(clip, tmp_path / "auto.mp4")
    assert auto.info.fps == 8.0
    assert auto.info.frame_count == 24
    forced = prepare_video(clip, tmp_path / "forced.mp4", fps=2)
    assert forced.info.fps == 2.0
    assert "(requested)" in forced.steps[0]


def test_static_clip_gets_the_static_preset(clip_static, tmp_path):
    assert choose_preset(clip_static) == "static"
    result = prepare_video(clip_static, tmp_path / "s.mp4")
    assert result.info.fps == 4.0
    assert result.info.audio is None


def _first_frame(path):
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            return f.to_ndarray(format="rgb24")
    raise AssertionError("no frame")


def test_rotated_phone_video_is_turned_upright(clip_rotated, tmp_path):
    stored = _first_frame(clip_rotated)  # 360×640 array of the stored (landscape) pixels
    result = prepare_video(clip_rotated, tmp_path / "up.mp4", fps=4)
    info = result.info
    assert (info.width, info.height, info.rotation) == (360, 640, 0)
    upright = _first_frame(result.path)
    # a 90° counter-clockwise display rotation: the pixels turned CCW (np.rot90 k=1)
    expected = np.rot90(stored, k=1)
    assert upright.shape == expected.shape
    assert np.abs(upright.astype(int) - expected.astype(int)).mean() < 6
    assert np.abs(upright.astype(int) - np.rot90(stored, k=-1).astype(int)).mean() > 20


def test_fitting_video_is_sent_as_is(tmp_path):
    path = make_video(tmp_path / "small.mp4", seconds=1, width=320, height=180, fps=4)
    result = prepare_video(path)
    assert result.steps == ()
    assert result.path == path


def test_drop_audio(clip, tmp_path):
    result = prepare_video(clip, tmp_path / "mute.mp4", fps=4, audio=False)
    assert result.info.audio is None
    assert "drop the audio track" in result.steps


def test_other_codec_is_reencoded(tmp_path):
    src = make_video(tmp_path / "v.webm", seconds=1, width=160, height=90, codec="vp9")
    result = prepare_video(src, tmp_path / "v.mp4", fps=4)
    info = probe_video(result.path)
    assert (info.container, info.video_codec, info.audio.codec) == ("mp4", "h264", "aac")
