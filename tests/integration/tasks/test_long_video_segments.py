"""Long-video summaries on real video (issues 17, 18): a 720p30 clip with sound, prepared
segments that fit the inline cap when nothing else can deliver them, segment_seconds honoured
whatever the keyframes, and requests in flight while later segments are encoded."""

from __future__ import annotations

import pytest

from qwen_omni.delivery import MediaDelivery
from qwen_omni.media import make_video, probe, split_media

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clip_720p(tmp_path_factory):
    # a real 720p30 clip with sound (small media says nothing: it is never prepared)
    root = tmp_path_factory.mktemp("hd")
    return make_video(root / "talk.mp4", seconds=12, width=1280, height=720, fps=30)


def _sent_video_sizes(emu, result):
    """(data-URI bytes, file bytes) of each segment sent; every one went inline."""
    for call in emu.requests.chat():
        content = call.body["messages"][0]["content"]
        for part in content if isinstance(content, list) else ():
            if part["type"] == "video_url":
                assert part["video_url"]["url"].startswith("data:")
    files = [s.sent.media[0].bytes for s in result.segments]
    return [((size + 2) // 3 * 4 + len("data:;base64,"), size) for size in files]


async def _summarize(emu, clip, cap):
    """summarize_long_video of ``clip`` in 10 s segments when only inline delivery works (a
    custom endpoint, no OSS) and the data-URI cap is ``cap`` bytes."""
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks

    tasks = AsyncOmniTasks(
        base_url=emu.base_url,
        api_key=emu.api_key,
        policy=AccessPolicy(roots=(clip.parent,)),
        max_retries=0,
        delivery=MediaDelivery(inline_max_bytes=cap, use_env=False),
    )
    try:
        return await tasks.summarize_long_video(str(clip), segment_seconds=10)
    finally:
        await tasks.aclose()


async def test_segments_fit_the_inline_cap_by_bitrate(emu, clip_720p):
    cap = 1_000_000
    result = await _summarize(emu, clip_720p, cap)
    assert result.complete, result.missing
    assert [(s.start_s, s.end_s) for s in result.segments] == [(0, 10), (10, 12)]
    sizes = _sent_video_sizes(emu, result)
    assert len(sizes) == 2 and all(uri <= cap for uri, _ in sizes)
    # 1,000,000-byte URIs → 660 kB of file for 10 s → ~480 kbit/s of video: only the bitrate
    assert len(result.trades) == 1 and "bitrate capped" in result.trades[0]
    # the segments were prepared (720p kept, frame rate lowered to the motion preset)
    seg = result.segments[0].sent.media[0]
    assert seg.prepared and "prepared" in " ".join(seg.preparation)


async def test_segments_are_shortened_when_bitrate_and_fps_are_not_enough(emu, clip_720p):
    cap = 150_000
    result = await _summarize(emu, clip_720p, cap)
    # 150,000 → 99 kB of file; at 2 fps 1280×720 needs ≥ 73.7 kbit/s of video + 48 of sound
    # → at most 6 s per segment: (0, 6), (6, 12); nothing lost
    assert result.complete, result.missing
    assert [(s.start_s, s.end_s) for s in result.segments] == [(0, 6), (6, 12)]
    assert all(uri <= cap for uri, _ in _sent_video_sizes(emu, result))
    assert "shortened 10 → 6 s at 2 fps" in result.trades[0]


def test_segment_seconds_is_honoured_with_sparse_keyframes(tmp_path):
    # keyframes every 50 s: cutting on them gave 50 s segments when 20 were asked
    clip = make_video(
        tmp_path / "sparse.mp4", seconds=60, width=96, height=64, fps=10, gop=500, audio=False
    )
    segments = split_media(clip, tmp_path / "parts", segment_s=20, model="qwen3-omni-flash")
    assert [(s.start_s, s.end_s) for s in segments] == [(0, 20), (20, 40), (40, 60)]
    for s in segments:
        assert probe(s.path).duration_s == pytest.approx(20, abs=0.2)
    # a keyframe within the tolerance is used, and the cut is then a stream copy
    dense = make_video(tmp_path / "dense.mp4", seconds=30, width=96, height=64, fps=10, gop=19)
    parts = split_media(dense, tmp_path / "dense", segment_s=10)
    assert all(s.copied for s in parts)
    assert all(9.0 <= s.duration_s <= 10.0 for s in parts[:-1])
