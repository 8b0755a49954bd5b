"""Token math against the documented estimators, copied here from reference §6.2 and §6.3
with the literal constants of each model (not the catalog's), so both the formulas and the
catalog numbers are checked."""

from __future__ import annotations

import math

import pytest

from qwen_omni.catalog import get_model
from qwen_omni.errors import UnsupportedMediaError
from qwen_omni.media import tokens as T
from qwen_omni.media.tokens import (
    audio_tokens,
    image_tokens,
    smart_resize,
    video_frames_tokens,
    video_sample_frames,
    video_tokens,
)

# --- the documented estimators, verbatim in spirit (§6.2, §6.3) ---------------------------------

DOC = {
    # model: (F, IMG_MIN_TOKENS, IMG_MAX_TOKENS, VIDEO_MIN_PX/F², VIDEO_MAX_PX/F², MIN_FRAMES,
    #         MAX_FRAMES, VIDEO_TOTAL_PX/F²)
    "qwen3.5-omni-plus": (32, 24, 1280, 64, 640, 2, 2048, 180224),
    "qwen3.5-omni-flash": (32, 24, 1280, 64, 640, 2, 2048, 180224),
    "qwen3-omni-flash": (32, 4, 1280, 64, 768, 2, 128, 16384),
    "qwen-omni-turbo": (28, 4, 1280, 64, 768, 4, 80, 16384),
    "qwen2.5-omni-7b": (28, 4, 1280, 64, 768, 4, 80, 16384),
}


def doc_image_tokens(H: int, W: int, model: str) -> int:
    F, MIN_T, MAX_T = DOC[model][:3]
    h_bar = max(F, round(H / F) * F)
    w_bar = max(F, round(W / F) * F)
    min_px = MIN_T * F * F
    max_px = MAX_T * F * F
    if h_bar * w_bar > max_px:
        beta = math.sqrt(H * W / max_px)
        h_bar = math.floor(H / beta / F) * F
        w_bar = math.floor(W / beta / F) * F
    elif h_bar * w_bar < min_px:
        beta = math.sqrt(min_px / (H * W))
        h_bar = math.ceil(H * beta / F) * F
        w_bar = math.ceil(W * beta / F) * F
    return int(h_bar * w_bar / (F * F)) + 2


IMAGE_CASES = [  # (width, height)
    (1920, 1080), (1080, 1920), (3840, 2160), (4032, 3024), (1280, 720), (640, 480),
    (224, 224), (100, 100), (50, 30), (11, 11), (2000, 11), (4000, 20), (12000, 60),
    (800, 600), (1000, 1000), (1023, 769), (513, 257), (7680, 4320), (300, 3000),
]  # fmt: skip


@pytest.mark.parametrize("model", list(DOC))
@pytest.mark.parametrize(("width", "height"), IMAGE_CASES)
def test_image_tokens_match_documented_estimator(model, width, height):
    spec = get_model(model).tokens
    assert image_tokens(width, height, spec) == doc_image_tokens(height, width, model)


# The video estimator is compared with a transcription of the documented code in
# test_tokens_documented.py (random sweep and pinned cases).


def test_worked_example_150s_1080p_flash():
    spec = get_model("qwen3-omni-flash").tokens
    assert video_sample_frames(150, spec, total_frames=4500) == 128
    # 128 frames → per-frame cap 16384·1024/128·2 = 262,144 px → 1080p resized to 672×384
    assert T.video_frame_size(1920, 1080, 128, spec) == (672, 384)
    tokens = video_tokens(1920, 1080, 150, spec, total_frames=4500)
    assert tokens == 64 * (672 // 32) * (384 // 32) + 2 == 16_130
    # the reference's "≈ 16,386" assumes the full 256-patch cap; the exact value is below it
    assert tokens <= 16_386
    assert audio_tokens(150, spec) == 1_875


@pytest.mark.parametrize(
    ("model", "width", "height", "expected"),
    [
        # 1920×1080 → 1504×832 (47·26 = 1222) + 2 on 32-px models, capped at 1280 tokens
        ("qwen3-omni-flash", 1920, 1080, 1224),
        ("qwen3.5-omni-plus", 1920, 1080, 1224),
        # 28-px patches: 1932×1092 = 69·39 > 1280 → β = 1.4375 → 1316×728 = 47·26: the same
        ("qwen-omni-turbo", 1920, 1080, 47 * 26 + 2),
        # 640×480 on 28 px: 644×476 = 23·17 = 391 patches, within bounds
        ("qwen-omni-turbo", 640, 480, 23 * 17 + 2),
        # 100×100 on Qwen3.5 (min 24 tokens): 96×96 = 9 patches < 24 → ceil to 160×160 = 25
        ("qwen3.5-omni-plus", 100, 100, 25 + 2),
        # 100×100 on Flash: 96×96 = 9 patches ≥ 4 → 9 + 2
        ("qwen3-omni-flash", 100, 100, 11),
    ],
)
def test_image_tokens_hand_computed(model, width, height, expected):
    assert image_tokens(width, height, get_model(model).tokens) == expected


def test_image_high_resolution_only_where_supported():
    plus = get_model("qwen3.5-omni-plus").tokens
    flash = get_model("qwen3-omni-flash").tokens
    # 4K on Qwen3.5 with vl_high_resolution_images: 3840×2160 rounds to 3840×2176 = 120·68
    assert image_tokens(3840, 2160, plus, high_resolution=True) == 120 * 68 + 2
    assert image_tokens(3840, 2160, plus) == 1224  # default cap
    # Flash has no such switch: ignored
    assert image_tokens(3840, 2160, flash, high_resolution=True) == image_tokens(3840, 2160, flash)


def test_image_pixel_overrides_are_clamped_to_documented_range():
    plus = get_model("qwen3.5-omni-plus").tokens
    flash = get_model("qwen3-omni-flash").tokens
    # lowering the cap works everywhere: 256 tokens max
    assert image_tokens(1920, 1080, flash, max_pixels=256 * 1024) <= 258
    # raising it above the default only where the service documents it (Qwen3.5: ≤ 16384 tokens)
    assert image_tokens(3840, 2160, plus, max_pixels=16384 * 1024) == 120 * 68 + 2
    assert image_tokens(3840, 2160, flash, max_pixels=16384 * 1024) == 1224
    # min_pixels below the documented minimum is raised to it
    assert image_tokens(100, 100, plus, min_pixels=1) == 27


def test_smart_resize_invariants():
    for h, w in [(1080, 1920), (37, 4000), (999, 1001), (11, 11)]:
        rh, rw = smart_resize(h, w, factor=28, min_pixels=4 * 784, max_pixels=1280 * 784)
        assert rh % 28 == 0
        assert rw % 28 == 0
        assert 4 * 784 <= rh * rw <= 1280 * 784
        assert abs(rw / rh - w / h) / (w / h) < 0.5


@pytest.mark.parametrize(("width", "height"), [(10, 500), (500, 10), (3, 3), (2020, 10)])
def test_side_of_10px_or_less_is_refused(width, height):
    with pytest.raises(UnsupportedMediaError, match="larger than 10 px") as info:
        image_tokens(width, height, get_model("qwen3-omni-flash").tokens)
    assert info.value.limit == 11


def test_aspect_ratio_over_200_is_refused():
    spec = get_model("qwen3-omni-flash").tokens
    assert image_tokens(4000, 20, spec) > 0  # exactly 200:1 is fine
    with pytest.raises(UnsupportedMediaError, match="200:1") as info:
        image_tokens(4020, 20, spec)
    assert info.value.value == pytest.approx(201)
    with pytest.raises(UnsupportedMediaError, match=r"a\.png: .*200:1"):
        T.check_dimensions(5000, 20, source="a.png")


@pytest.mark.parametrize(
    ("model", "duration", "total", "expected"),
    [
        ("qwen3-omni-flash", 150, 4500, 128),  # capped at 128
        ("qwen3-omni-flash", 10, 300, 20),  # 2 fps
        ("qwen3-omni-flash", 0.6, 12, 2),  # at least ceil2(2)
        ("qwen-omni-turbo", 0.6, 12, 4),  # Turbo: at least 4
        ("qwen-omni-turbo", 60, 1800, 80),  # Turbo: at most 80
        ("qwen3.5-omni-plus", 3600, 90_000, 2048),  # Qwen3.5: at most 2048
        ("qwen3-omni-flash", 5.7, 85, 11),  # int(11.4): odd counts are kept
        ("qwen3-omni-flash", 40, 40, 40),  # 1 fps clip: at most its own frames
        ("qwen3-omni-flash", 40, 41, 40),  # floor2(41)
    ],
)
def test_video_sample_frames(model, duration, total, expected):
    assert video_sample_frames(duration, get_model(model).tokens, total_frames=total) == expected


def test_video_sample_frames_without_frame_count_uses_the_model_cap():
    spec = get_model("qwen3-omni-flash").tokens
    assert video_sample_frames(1000, spec) == 128
    assert video_sample_frames(3, spec) == 6


def test_video_with_one_frame_is_refused():
    with pytest.raises(UnsupportedMediaError, match="at least 2"):
        video_sample_frames(1, get_model("qwen3-omni-flash").tokens, total_frames=1)
    with pytest.raises(ValueError, match="duration"):
        video_sample_frames(-1, get_model("qwen3-omni-flash").tokens)


def test_video_pixel_overrides():
    spec = get_model("qwen3.5-omni-plus").tokens
    default = video_tokens(1920, 1080, 10, spec, total_frames=300)
    # 20 frames, per-frame cap 640·1024 → β = 1.7788 → 1056×576 (33·18 = 594) → 10·594 + 2
    assert default == 10 * 33 * 18 + 2
    smaller = video_tokens(1920, 1080, 10, spec, total_frames=300, max_pixels=128 * 1024)
    assert smaller < default
    # total_pixels shares a budget over the frames: 20·64·1024 / 20 · 2 = 131,072 px per frame
    # → 480×256 = 15·8 patches
    tight = video_tokens(1920, 1080, 10, spec, total_frames=300, total_pixels=20 * 64 * 1024)
    assert tight == 10 * 15 * 8 + 2
    # … but never below VIDEO_MIN_PIXELS·1.05 = 68,812 px → 320×192 = 10·6 patches
    floor = video_tokens(1920, 1080, 10, spec, total_frames=300, total_pixels=20 * 16 * 1024)
    assert floor == 10 * 10 * 6 + 2


def test_video_frames_tokens_pads_odd_counts():
    spec = get_model("qwen3-omni-flash").tokens
    # 4 frames of 640×360: per-frame cap min(768, 16384/4·2)·1024 → 640×352 = 20·11 patches
    assert video_frames_tokens(4, 640, 360, spec) == 2 * 20 * 11 + 2
    assert video_frames_tokens(3, 640, 360, spec) == video_frames_tokens(4, 640, 360, spec)
    assert video_frames_tokens(2, 640, 360, spec) == 20 * 11 + 2
    with pytest.raises(ValueError, match="at least one frame"):
        video_frames_tokens(0, 640, 360, spec)


@pytest.mark.parametrize(
    ("model", "seconds", "output", "expected"),
    [
        ("qwen3-omni-flash", 150, False, 1875),
        ("qwen3-omni-flash", 150, True, 1875),
        ("qwen3.5-omni-plus", 150, False, 1050),  # 7 tokens/s in
        ("qwen3.5-omni-plus", 10, True, 125),  # 12.5 tokens/s out
        ("qwen-omni-turbo", 3, False, 75),  # 25 tokens/s
        ("qwen3.5-omni-plus", 0.3, False, 7),  # under 1 s counts as 1 s
        ("qwen3-omni-flash", 0.0, False, 13),  # ceil(12.5)
        ("qwen3-omni-flash", 2.01, False, 26),  # ceil(25.125)
        ("qwen3.5-omni-plus", 2.5, False, 18),  # ceil(17.5)
        ("qwen3-omni-flash", 150.0000001, False, 1875),  # container jitter does not add a token
    ],
)
def test_audio_tokens(model, seconds, output, expected):
    assert audio_tokens(seconds, get_model(model).tokens, output=output) == expected


def test_audio_tokens_rejects_negative():
    with pytest.raises(ValueError, match="duration"):
        audio_tokens(-0.1, get_model("qwen3-omni-flash").tokens)


def test_tokens_module_is_pure():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(T))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert not imported & {"av", "PIL", "numpy", "torch"}
