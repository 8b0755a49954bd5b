"""Token and cost estimates per model and region (pure: infos built by hand)."""

from __future__ import annotations

import pytest

from qwen_omni.catalog import get_model
from qwen_omni.errors import ConfigurationError
from qwen_omni.media import (
    AudioInfo,
    ImageInfo,
    TokenEstimate,
    VideoInfo,
    estimate_cost,
    estimate_frames_tokens,
    estimate_tokens,
)
from qwen_omni.media.probe import AudioTrack


def video(seconds=150.0, w=1920, h=1080, fps=30.0, audio=True, rotation=0) -> VideoInfo:
    return VideoInfo(
        source="v.mp4", container="mp4", mime_type="video/mp4", duration_s=seconds, fps=fps,
        frame_count=round(seconds * fps), frame_count_exact=True, width=w, height=h,
        rotation=rotation, video_codec="h264", pix_fmt="yuv420p", bit_rate=None, size_bytes=1,
        audio=AudioTrack("aac", 16_000, 1, seconds, None) if audio else None,
    )  # fmt: skip


def test_video_tokens_worked_example():
    est = estimate_tokens(video(), "qwen3-omni-flash")
    assert est == TokenEstimate(video=16_130, audio=1_875)
    assert est.total == 18_005
    assert estimate_tokens(video(), "qwen3-omni-flash", audio_in_video=False).audio == 0
    assert estimate_tokens(video(audio=False), "qwen3-omni-flash").audio == 0


def test_rotated_video_is_counted_as_displayed():
    # 640×360 stored, shown 360×640: the same patches, transposed
    flat = estimate_tokens(video(10, 640, 360), "qwen3-omni-flash")
    tall = estimate_tokens(video(10, 640, 360, rotation=90), "qwen3-omni-flash")
    assert flat == tall


def test_image_and_audio_tokens():
    img = ImageInfo("p.jpg", "jpeg", "image/jpeg", 3024, 4032, 6, False, "RGB", 1)
    # shown 4032×3024: over 1280 patches → β = 3.05 → 1312×960 = 41·30
    assert estimate_tokens(img, "qwen3.5-omni-plus").image == 41 * 30 + 2
    assert estimate_tokens(img, "qwen3.5-omni-plus", high_resolution=True).image > 1280
    wav = AudioInfo("a.wav", "wav", "audio/wav", "pcm_s16le", 60.0, 16_000, 1, None, 1)
    assert estimate_tokens(wav, "qwen3.5-omni-plus") == TokenEstimate(audio=420)
    assert estimate_tokens(wav, "qwen-omni-turbo") == TokenEstimate(audio=1500)


def test_frames_tokens():
    assert estimate_frames_tokens(4, 640, 360, "qwen3-omni-flash") == TokenEstimate(video=442)


def test_cost_flash_beijing_hand_computed():
    tokens = TokenEstimate(text=1_000, video=16_130, audio=1_875)
    cost = estimate_cost("qwen3-omni-flash", "beijing", input=tokens, output_text_tokens=500)
    # 1000·1.8 + 1875·15.8 + 16130·3.3 per million; output 500·12.7 (multimodal input)
    assert cost.input_cost == pytest.approx((1_000 * 1.8 + 1_875 * 15.8 + 16_130 * 3.3) / 1e6)
    assert cost.output_cost == pytest.approx(500 * 12.7 / 1e6)
    assert cost.total == pytest.approx(cost.input_cost + cost.output_cost)
    assert cost.currency == "CNY"
    assert cost.confirmed
    assert "CNY" in str(cost)


def test_cost_text_only_and_spoken_output():
    text_only = estimate_cost(
        "qwen3-omni-flash", input=TokenEstimate(text=1000), output_text_tokens=1000
    )
    assert text_only.output_cost == pytest.approx(1000 * 6.9 / 1e6)
    spoken = estimate_cost(
        "qwen3-omni-flash", input=TokenEstimate(text=1000), output_text_tokens=1000,
        output_audio_tokens=125,
    )  # fmt: skip
    # the reply's text is free when it is spoken; only its audio tokens are billed
    assert spoken.output_cost == pytest.approx(125 * 62.6 / 1e6)
    assert spoken.breakdown["output_text"] == 0


def test_cost_singapore_and_unconfirmed_prices():
    sg = estimate_cost("qwen3-omni-flash", "singapore", input=TokenEstimate(video=1_000_000))
    assert sg.input_cost == pytest.approx(5.725)
    plus = estimate_cost("qwen3.5-omni-plus", "beijing", input=TokenEstimate(audio=1_000_000))
    assert plus.input_cost == pytest.approx(53.0)
    assert not plus.confirmed
    assert "UNCONFIRMED" in str(plus)


def test_cost_unknown_region():
    with pytest.raises(
        ConfigurationError, match=r"no prices for qwen3\.8-omni-flash in region 'singapore'"
    ):
        estimate_cost(get_model("qwen3.8-omni-flash"), "singapore", input=TokenEstimate(text=1))
