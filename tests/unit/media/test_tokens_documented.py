"""The token estimators against the service's own published estimator code (OMNI-35).

``doc_*`` below are straight transcriptions of the two snippets on the Qwen-Omni page
("音频、图片与视频转换为Token数的规则", reference §6.2/§6.3), with the module globals turned into
arguments and the per-model constants written out literally (not read from our catalog), so the
formulas and the catalog are both checked. Pinned examples are derived by hand, the arithmetic
in the comments; a seeded random sweep compares thousands of cases.
"""

from __future__ import annotations

import math
import random

import pytest

from qwen_omni.catalog import get_model
from qwen_omni.errors import UnsupportedMediaError
from qwen_omni.media.tokens import (
    audio_tokens,
    documented_nframes,
    image_tokens,
    video_max_pixels,
    video_sample_frames,
    video_tokens,
)

# model: (IMAGE_FACTOR, MIN_TOKENS, VIDEO_MAX_PIXELS/F², FPS_MIN_FRAMES, FPS_MAX_FRAMES,
#         VIDEO_TOTAL_PIXELS/F², supports vl_high_resolution_images) — from the snippets' comments
DOC = {
    "qwen3.5-omni-plus": (32, 24, 640, 2, 2048, 180224, True),
    "qwen3.5-omni-flash": (32, 24, 640, 2, 2048, 180224, True),
    "qwen3-omni-flash": (32, 4, 768, 2, 128, 16384, False),
    "qwen-omni-turbo": (28, 4, 768, 4, 80, 16384, False),
}


# --- transcription of the image snippet --------------------------------------------------------


def doc_image_tokens(height, width, model, vl_high_resolution_images=False):
    IMAGE_FACTOR, MIN_TOKENS = DOC[model][:2]
    MIN_PIXELS = MIN_TOKENS * IMAGE_FACTOR * IMAGE_FACTOR
    MAX_PIXELS = (16384 if vl_high_resolution_images else 1280) * IMAGE_FACTOR * IMAGE_FACTOR

    def smart_resize(height, width, factor=IMAGE_FACTOR, min_pixels=MIN_PIXELS,
                     max_pixels=MAX_PIXELS):  # fmt: skip
        h_bar = max(factor, round(height / factor) * factor)
        w_bar = max(factor, round(width / factor) * factor)
        if h_bar * w_bar > max_pixels:
            beta = math.sqrt((height * width) / max_pixels)
            h_bar = math.floor(height / beta / factor) * factor
            w_bar = math.floor(width / beta / factor) * factor
        elif h_bar * w_bar < min_pixels:
            beta = math.sqrt(min_pixels / (height * width))
            h_bar = math.ceil(height * beta / factor) * factor
            w_bar = math.ceil(width * beta / factor) * factor
        return h_bar, w_bar

    resized_h, resized_w = smart_resize(height, width)
    return int(resized_h * resized_w / (IMAGE_FACTOR * IMAGE_FACTOR)) + 2


# --- transcription of the video snippet --------------------------------------------------------


def doc_video_tokens(height, width, total_frames, video_fps, model):
    IMAGE_FACTOR, _, VMAX, FPS_MIN_FRAMES, FPS_MAX_FRAMES, TOTAL, _ = DOC[model]
    FRAME_FACTOR = 2
    FPS = 2
    MAX_RATIO = 200
    VIDEO_MIN_PIXELS = 64 * IMAGE_FACTOR * IMAGE_FACTOR
    VIDEO_MAX_PIXELS = VMAX * IMAGE_FACTOR * IMAGE_FACTOR
    VIDEO_TOTAL_PIXELS = TOTAL * IMAGE_FACTOR * IMAGE_FACTOR

    def smart_nframes(total_frames, video_fps):
        min_frames = math.ceil(FPS_MIN_FRAMES / FRAME_FACTOR) * FRAME_FACTOR
        max_frames = min(FPS_MAX_FRAMES, total_frames) // FRAME_FACTOR * FRAME_FACTOR
        duration = total_frames / video_fps if video_fps else 0
        if duration - int(duration) > (1 / FPS):
            total_frames = math.ceil(duration * video_fps)
        else:
            total_frames = math.ceil(int(duration) * video_fps)
        nframes = total_frames / video_fps * FPS
        nframes = int(min(max(nframes, min_frames), max_frames, total_frames))
        if not (FRAME_FACTOR <= nframes <= total_frames):
            raise ValueError(f"nframes should in [{FRAME_FACTOR}, {total_frames}], got {nframes}")
        return nframes

    def smart_resize(height, width, nframes, factor=IMAGE_FACTOR):
        max_pixels = max(
            min(VIDEO_MAX_PIXELS, VIDEO_TOTAL_PIXELS / nframes * FRAME_FACTOR),
            int(VIDEO_MIN_PIXELS * 1.05),
        )
        if max(height, width) / min(height, width) > MAX_RATIO:
            raise ValueError(f"aspect ratio exceeds {MAX_RATIO}")
        h_bar = max(factor, round(height / factor) * factor)
        w_bar = max(factor, round(width / factor) * factor)
        if h_bar * w_bar > max_pixels:
            beta = math.sqrt((height * width) / max_pixels)
            h_bar = math.floor(height / beta / factor) * factor
            w_bar = math.floor(width / beta / factor) * factor
        elif h_bar * w_bar < VIDEO_MIN_PIXELS:
            beta = math.sqrt(VIDEO_MIN_PIXELS / (height * width))
            h_bar = math.ceil(height * beta / factor) * factor
            w_bar = math.ceil(width * beta / factor) * factor
        return h_bar, w_bar

    nframes = smart_nframes(total_frames, video_fps)
    resized_h, resized_w = smart_resize(height, width, nframes)
    return int(math.ceil(nframes / FPS) * resized_h / IMAGE_FACTOR * resized_w / IMAGE_FACTOR) + 2


# --- the numbers, by hand ---------------------------------------------------------------


def test_2_5_s_counts_as_2_s():
    # 640×480 at 30 fps, 75 frames: duration 2.5, fraction 0.5 is not > 0.5 → 2 s → 60 frames
    # → nframes = 60/30·2 = 4 → ceil(4/2) = 2 steps; 640×480 on 32 px = 20·15 = 300 patches
    # (cap 655,360 ≥ 307,200) → 2·300 + 2 = 602 (not 3·300 + 2 = 902)
    spec = get_model("qwen3.5-omni-plus").tokens
    assert documented_nframes(75, 30.0, spec) == 4
    assert video_tokens(640, 480, 2.5, spec, total_frames=75, video_fps=30.0) == 602
    # 2.6 s: fraction 0.6 > 0.5 → ceil(2.6·30) = 78 frames → 5.2 → int 5 → ceil(5/2) = 3 steps
    assert video_tokens(640, 480, 2.6, spec, total_frames=78, video_fps=30.0) == 902
    # 3.5 s also rounds down (no banker's rounding here): 3 s → 6 frames → 3 steps
    assert documented_nframes(105, 30.0, spec) == 6


@pytest.mark.parametrize("model", ["qwen3-omni-flash", "qwen-omni-turbo"])
def test_real_valued_frame_cap_16_9_36_s(model):
    spec = get_model(model).tokens
    # 36 s at 30 fps → 72 frames. Flash: cap = 16384·1024/72·2 = 466,033.78 px (not 466,033);
    # 1920×1080 → β = sqrt(2,073,600/466,033.78) = 2.109375 exactly → 1080/β/32 = 16.0 → 16
    # rows, 1920/β/32 = 28.44 → 28 columns → 36·16·28 + 2 = 16,130.
    # Turbo: cap 16384·784/72·2 = 356,807.1; β = 2.41071… → 1080/β/28 = 16.0 → 16, 1920/β/28
    # = 28.44 → 28 → 36·448 + 2 = 16,130 as well. Truncating the cap gives 15 rows: 15,122.
    assert video_tokens(1920, 1080, 36, spec, total_frames=1080, video_fps=30.0) == 16_130
    _lo, hi = video_max_pixels(72, spec)
    assert hi != int(hi)


def test_vl_high_resolution_4000x3000_on_plus():
    # cap 16384·1024 = 16,777,216 px; 3000/32 = 93.75 → 94 → 3008; 4000/32 = 125 → 4000;
    # 3008·4000 = 12,032,000 < cap → 94·125 = 11,750 + 2 = 11,752
    spec = get_model("qwen3.5-omni-plus").tokens
    assert image_tokens(4000, 3000, spec, high_resolution=True) == 11_752
    # max_pixels is ignored in that mode
    assert image_tokens(4000, 3000, spec, high_resolution=True, max_pixels=1280 * 720) == 11_752
    # without it: cap 1,310,720 → β = sqrt(12,000,000/1,310,720) = 3.0257 → 3000/β/32 = 30.98
    # → 30 rows, 4000/β/32 = 41.31 → 41 columns → 1,230 + 2 = 1,232 (today's figure)
    assert image_tokens(4000, 3000, spec) == 30 * 41 + 2


def test_field_guide_budget_1920x1080():
    # max 921,600, min 307,200: 1088×1920 > cap → β = sqrt(2,073,600/921,600) = 1.5 →
    # 1080/1.5/32 = 22.5 → 22 rows, 1920/1.5/32 = 40 → 40 columns → 880 + 2 = 882
    spec = get_model("qwen3.5-omni-plus").tokens
    assert image_tokens(1920, 1080, spec, max_pixels=1280 * 720, min_pixels=640 * 480) == 882
    # with no budget the default cap 1280·1024 gives 26·47 + 2 = 1,224
    assert image_tokens(1920, 1080, spec) == 1_224


# --- edge rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("frames", "fps"), [(15, 30.0), (12, 24.0), (1, 1.0), (30, 0.0)])
def test_clips_of_half_a_second_or_less_are_refused(frames, fps):
    # 15 frames at 30 fps = 0.5 s → 0 whole seconds → 0 frames: the documented code raises
    spec = get_model("qwen3.5-omni-plus").tokens
    with pytest.raises(UnsupportedMediaError, match=r"0\.5 s"):
        documented_nframes(frames, fps, spec)
    with pytest.raises(UnsupportedMediaError):
        video_sample_frames(0.5, spec)


def test_clip_just_over_half_a_second():
    # 16 frames at 30 fps = 0.533 s: fraction > 0.5 → ceil(16) = 16 frames → 1.07 → max(·, 2)
    # = 2 → 1 step of 300 patches (640×480) + 2
    spec = get_model("qwen3.5-omni-plus").tokens
    assert video_tokens(640, 480, 16 / 30, spec, total_frames=16, video_fps=30.0) == 302


def test_side_of_10_px_is_refused_for_video():
    spec = get_model("qwen3-omni-flash").tokens
    with pytest.raises(UnsupportedMediaError, match="10 px"):
        video_tokens(10, 480, 10, spec, total_frames=300, video_fps=30.0)


def test_video_max_pixels_request_capped_at_documented_maximum():
    spec = get_model("qwen3.5-omni-plus").tokens
    # 4 frames: VIDEO_TOTAL/4·2 is huge, so the per-frame cap is max_pixels, at most 2,048,000
    assert video_max_pixels(4, spec, max_pixels=10_000_000)[1] == 2_048_000
    assert video_max_pixels(4, spec, max_pixels=1_000_000)[1] == 1_000_000
    # Flash: UNCONFIRMED range → never above its own 768·1024
    flash = get_model("qwen3-omni-flash").tokens
    assert video_max_pixels(4, flash, max_pixels=10_000_000)[1] == 768 * 1024


def test_audio_rates():
    # 7 tokens/s in on Qwen3.5-Omni, 12.5 on Flash, 25 on Turbo; under 1 s counts as 1 s
    assert audio_tokens(60, get_model("qwen3.5-omni-plus").tokens) == 420
    assert audio_tokens(60, get_model("qwen3-omni-flash").tokens) == 750
    assert audio_tokens(60, get_model("qwen-omni-turbo").tokens) == 1500
    assert audio_tokens(0.2, get_model("qwen-omni-turbo").tokens) == 25


# --- random sweep against the transcription -----------------------------------------------------


def _outcome(fn):
    try:
        return fn()
    except (ValueError, UnsupportedMediaError) as exc:
        return type(exc).__name__


def test_images_agree_with_documented_code_on_random_cases():
    rng = random.Random(17)
    for _ in range(4000):
        model = rng.choice(list(DOC))
        hires = DOC[model][6] and rng.random() < 0.3
        w = rng.randint(11, 9000)
        h = rng.randint(max(11, math.ceil(w / 200)), min(9000, w * 200))
        ours = image_tokens(w, h, get_model(model).tokens, high_resolution=hires)
        assert ours == doc_image_tokens(h, w, model, hires), (model, w, h, hires)


def test_videos_agree_with_documented_code_on_random_cases():
    rng = random.Random(18)
    rates = [23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0, 1.0, 2.0, 7.5, 15.0]
    for _ in range(4000):
        model = rng.choice(list(DOC))
        fps = rng.choice(rates) if rng.random() < 0.8 else round(rng.uniform(0.5, 120), 3)
        seconds = rng.choice([rng.uniform(0, 5), rng.uniform(0, 200), rng.uniform(0, 4000)])
        total = max(0, round(seconds * fps))
        w = rng.randint(11, 4000)
        h = rng.randint(max(11, math.ceil(w / 200)), min(4000, w * 200))
        spec = get_model(model).tokens
        duration = total / fps
        ours = _outcome(
            lambda: video_tokens(w, h, duration, spec, total_frames=total, video_fps=fps)
        )
        doc = _outcome(lambda: doc_video_tokens(h, w, total, fps, model))
        if doc == "ValueError":
            assert ours == "UnsupportedMediaError", (model, w, h, total, fps)
        else:
            assert ours == doc, (model, w, h, total, fps)
