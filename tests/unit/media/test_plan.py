"""plan_media: as-is vs prepared, delivery, splitting, cost."""

from __future__ import annotations

import pytest

from qwen_omni.catalog import get_model
from qwen_omni.errors import UnsupportedMediaError
from qwen_omni.media import make_audio, make_image, plan_media
from qwen_omni.media.tokens import video_tokens


def test_plan_4k_image(image_4k):
    plan = plan_media(image_4k, "qwen3-omni-flash")
    assert plan.kind == "image"
    assert plan.as_is.tokens.image == 1224  # capped at 1280 patches
    assert plan.prepared is not None
    assert plan.prepared.tokens.image == 22 * 40 + 2  # 1280×720 → 1280×704 → 40·22
    assert not plan.prepared.size_estimated
    assert plan.prepared.size_bytes < plan.as_is.size_bytes
    assert plan.recommended is plan.prepared
    assert plan.prepared.cost is not None
    assert plan.prepared.cost.input_cost == pytest.approx(882 * 3.3 / 1e6)
    assert plan.as_is.delivery == plan.prepared.delivery == "inline"
    assert not plan.must_split
    assert "4k.jpg: image for qwen3-omni-flash" in plan.summary()


def test_plan_fitting_image_has_no_prepared_variant(tmp_path):
    plan = plan_media(make_image(tmp_path / "s.png", width=320, height=240), "qwen3-omni-flash")
    assert plan.prepared is None
    assert plan.recommended is plan.as_is
    assert plan.reasons == ()


def test_plan_1080p_clip_keeps_the_token_estimate(clip_1080):
    plan = plan_media(clip_1080, "qwen3-omni-flash", preset="static")
    spec = get_model("qwen3-omni-flash").tokens
    assert plan.as_is.tokens.video == video_tokens(1920, 1080, 2.0, spec, total_frames=60)
    assert plan.as_is.tokens.audio == 25
    assert plan.prepared is not None
    # 720p at 4 fps: the service would sample the same frames at the same size
    assert plan.prepared.tokens == plan.as_is.tokens
    assert plan.prepared.size_estimated
    assert plan.reasons == ("downscale 1920×1080 → 1280×720", "frame rate 30 → 4 fps")
    assert plan.fits_context


def test_plan_within_limits_is_one_segment(clip_long):
    plan = plan_media(clip_long, "qwen-omni-turbo", segment_s=5)
    # 20 s fits Turbo's 40 s: segment_s only matters when a file is over the limit
    assert not plan.must_split
    assert plan.segments == 1
    assert plan.segment_s is None


def test_plan_split_counts(tmp_path):
    from qwen_omni.media import make_video

    path = make_video(
        tmp_path / "l.mp4", seconds=45, width=64, height=64, fps=5, preset="ultrafast"
    )
    plan = plan_media(path, "qwen-omni-turbo", segment_s=90)
    assert plan.must_split
    assert plan.segment_s == 40  # the model's limit
    assert plan.segments == 2
    # tokens: one 40 s request and one 5 s request
    spec = get_model("qwen-omni-turbo").tokens
    first = video_tokens(64, 64, 40, spec, total_frames=200) + 40 * 25
    assert plan.as_is.request_tokens.total == first
    assert "split: 2 segments" in plan.summary()


def test_plan_notes_unconfirmed_prices(clip):
    plan = plan_media(clip, "qwen3.5-omni-plus")
    assert any("UNCONFIRMED" in n for n in plan.notes)
    assert plan.as_is.cost is not None
    assert not plan.as_is.cost.confirmed
    nothing = plan_media(clip, "qwen3.8-omni-flash")
    assert nothing.as_is.cost is None


def test_plan_large_file_needs_upload(tmp_path):
    # 8 MB of stereo 48 kHz WAV: too big inline as-is, small once prepared
    path = make_audio(tmp_path / "big.wav", seconds=44, sample_rate=48_000, channels=2)
    plan = plan_media(path, "qwen3-omni-flash")
    assert plan.as_is.delivery == "upload"
    assert plan.prepared is not None
    assert plan.prepared.delivery == "inline"
    assert plan_media(path, "qwen-omni-turbo").as_is.delivery == "upload"


def test_plan_bad_input(tmp_path):
    with pytest.raises(UnsupportedMediaError, match="larger than 10 px"):
        plan_media(make_image(tmp_path / "tiny.png", width=8, height=300))
