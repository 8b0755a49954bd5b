"""Splitting long media into segments."""

from __future__ import annotations

import math

import pytest

from qwen_omni.errors import MediaTooLongError
from qwen_omni.media import keyframe_times, make_audio, make_video, probe, split_media
from qwen_omni.media.split import plan_cuts, segment_count, segment_length


def test_plan_cuts_pure():
    assert plan_cuts(20, 7, None) == [0, 7, 14]
    kfs = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert plan_cuts(20, 7, kfs) == [0, 6, 12, 18]
    assert plan_cuts(20, 25, kfs) == [0]
    # sparse keyframes: no keyframe within 1 s before a mark → exact cuts (re-encoded); the
    # keyframe at 20 is within 1 s of the 21 s mark, so that cut uses it
    assert plan_cuts(30, 7, [0, 10, 20]) == [0, 7, 14, 20, 27]
    # a keyframe within the tolerance (10 %, at least 1 s) is used: 30 s asked, cut at 28
    assert plan_cuts(100, 30, [0, 28, 50, 88]) == [0, 28, 58, 88]
    # stream-copy only (tolerance ∞): the segment runs to the next keyframe
    assert plan_cuts(30, 7, [0, 10, 20], tolerance_s=math.inf) == [0, 10, 20]
    # a tail under 2 s is merged when the limit allows
    assert plan_cuts(15, 7, [0, 7, 14], limit_s=10) == [0, 7]
    assert plan_cuts(15, 7, [0, 7, 14], limit_s=7) == [0, 7, 14]


def test_segment_length_and_count():
    assert segment_length("video", "qwen-omni-turbo") == 40  # the model's limit wins
    assert segment_length("video", "qwen3-omni-flash") == 90
    assert segment_length("audio", None, 30) == 30
    assert segment_count(212, 90) == 3
    assert segment_count(180, 90) == 2
    assert segment_count(5, 90) == 1


def test_keyframes_from_index(clip_long):
    assert keyframe_times(clip_long) == pytest.approx([0, 2, 4, 6, 8, 10, 12, 14, 16, 18])


def test_copy_split_at_keyframes(clip_long, tmp_path):
    segments = split_media(clip_long, tmp_path, segment_s=7)
    assert [(s.start_s, s.end_s) for s in segments] == [(0, 6), (6, 12), (12, 18), (18, 20)]
    assert all(s.copied for s in segments)
    total_frames = 0
    for seg in segments:
        info = probe(seg.path)
        assert info.duration_s == pytest.approx(seg.duration_s, abs=0.1)
        assert info.audio is not None
        assert info.audio.duration_s == pytest.approx(seg.duration_s, abs=0.15)
        total_frames += info.frame_count
    assert total_frames == 300  # nothing lost, nothing duplicated


def test_reencode_split_cuts_on_time(clip_long, tmp_path):
    segments = split_media(clip_long, tmp_path, segment_s=7, mode="reencode")
    assert [(s.start_s, s.end_s) for s in segments] == [(0, 7), (7, 14), (14, 20)]
    assert not any(s.copied for s in segments)
    assert probe(segments[1].path).frame_count == 105  # 7 s × 15 fps


def test_sparse_keyframes(tmp_path):
    path = make_video(
        tmp_path / "sparse.mp4", seconds=12, width=96, height=64, fps=10, gop=120, audio=False
    )
    with pytest.raises(MediaTooLongError, match="keyframes are too far apart") as info:
        split_media(path, tmp_path / "a", segment_s=5, mode="copy")
    assert info.value.limit == 5
    segments = split_media(path, tmp_path / "b", segment_s=5)  # auto falls back to re-encoding
    assert [(s.start_s, s.end_s) for s in segments] == [(0, 5), (5, 10), (10, 12)]


def test_audio_split_by_copy(tmp_path):
    path = make_audio(tmp_path / "talk.mp3", seconds=25, format="mp3")
    segments = split_media(path, tmp_path / "parts", segment_s=10)
    assert [(s.start_s, s.end_s) for s in segments] == [(0, 10), (10, 20), (20, 25)]
    durations = [probe(s.path).duration_s for s in segments]
    assert durations == pytest.approx([10, 10, 5], abs=0.3)


def test_file_that_fits_is_one_segment(clip):
    (only,) = split_media(clip, segment_s=90)
    assert only.path == clip
    assert not only.copied
    assert only.end_s == pytest.approx(3.0, abs=0.05)


def test_model_limit_caps_segments(clip_long, tmp_path):
    # Turbo accepts 40 s; asking for 60 s segments still gives ≤ 40 s (here: the whole 20 s)
    (seg,) = split_media(clip_long, tmp_path, segment_s=60, model="qwen-omni-turbo")
    assert seg.end_s == pytest.approx(20, abs=0.05)


def test_keyframe_times_are_presentation_times_with_b_frames(tmp_path):
    """MP4 index entries hold decode times; with B-frames the keyframes show later."""
    import av

    from qwen_omni.media import keyframe_times, make_video

    clip = make_video(tmp_path / "b.mp4", seconds=5, width=160, height=120, fps=10, gop=10)
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        shown = [
            float(p.pts * stream.time_base)
            for p in container.demux(stream)
            if p.is_keyframe and p.pts is not None
        ]
    assert keyframe_times(clip) == pytest.approx(shown)
    assert keyframe_times(clip)[:3] == pytest.approx([0.0, 1.0, 2.0])
