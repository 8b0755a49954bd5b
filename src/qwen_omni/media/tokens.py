"""Token math for images, video and audio: pure functions, no av, PIL or torch.

These are the service's documented estimators (``reference/dashscope_api.md`` §6), written the
way qwen-vl-utils writes them (§10) but with the per-model constants taken from
:class:`qwen_omni.catalog.TokenConstants` instead of module globals or environment variables.

In short, with ``F`` the patch side (32 px for Qwen3.x-Omni, 28 px for Turbo / Qwen2.5-Omni):

- **image**: resize to multiples of ``F`` inside ``[min_tokens·F², max_tokens·F²]`` pixels
  (:func:`smart_resize`), one token per ``F×F`` patch, ``+2`` for the vision start/end markers;
- **video file**: sample ``nframes`` frames at the service's fps (2) over the duration counted
  in whole seconds unless its fraction is above 0.5 s, clamped to the model's frame range
  (:func:`documented_nframes`); cap the per-frame pixels (a real number) so that all frames
  fit the total pixel budget; two consecutive frames merge into one temporal step:
  ``int(ceil(nframes / FPS) · h/F · w/F) + 2``;
- **image-list video**: the same, with every given frame used (padded to an even count);
- **audio**: a fixed rate per second (7, 12.5 or 25 tokens/s); anything under 1 s counts as 1 s.

The image and video functions are line-for-line transcriptions of the estimator code published
on the Qwen-Omni page (OMNI-35, "音频、图片与视频转换为Token数的规则"), including its
rounding: Python's ``round`` (ties to even) for the patch grid, a real-valued per-frame pixel
cap, ``int(...)`` truncations where the documented code has them. A test keeps a straight copy
of that code and compares it with these functions on thousands of random cases.

Every function raises :class:`~qwen_omni.errors.UnsupportedMediaError` for shapes the service
refuses (a side of 10 px or less, an aspect ratio over 200:1, a video clip of 0.5 s or less)
and ``ValueError`` for arguments that are not media at all (negative durations, zero frames).
"""

from __future__ import annotations

import math
import re

from qwen_omni.catalog import TokenConstants
from qwen_omni.errors import UnsupportedMediaError

__all__ = [
    "MIN_SIDE_PX",
    "VIDEO_MIN_PIXELS_SLACK",
    "VISION_MARKER_TOKENS",
    "audio_tokens",
    "ceil_by_factor",
    "check_dimensions",
    "documented_nframes",
    "floor_by_factor",
    "image_pixel_bounds",
    "image_size",
    "image_tokens",
    "round_by_factor",
    "smart_resize",
    "text_tokens",
    "video_frame_size",
    "video_frames_tokens",
    "video_max_pixels",
    "video_pixel_bounds",
    "video_sample_frames",
    "video_tokens",
]

#: Smallest side the service accepts: "width and height > 10 px" (§4.1), i.e. at least 11 px.
MIN_SIDE_PX = 11
#: vision start and end marker tokens around every image or video (§6.2, §6.3)
VISION_MARKER_TOKENS = 2
#: the estimator keeps the per-frame pixel cap at least 5 % above the floor (§6.3, §10.1)
VIDEO_MIN_PIXELS_SLACK = 1.05


# --- rounding helpers (qwen-vl-utils names) ----------------------------------------------------


def round_by_factor(number: float, factor: int) -> int:
    """The multiple of ``factor`` closest to ``number`` (Python's round: ties to even)."""
    return round(number / factor) * factor


def ceil_by_factor(number: float, factor: int) -> int:
    """The smallest multiple of ``factor`` that is ≥ ``number``."""
    return math.ceil(number / factor) * factor


def floor_by_factor(number: float, factor: int) -> int:
    """The largest multiple of ``factor`` that is ≤ ``number``."""
    return math.floor(number / factor) * factor


# --- shape rules --------------------------------------------------------------------------------


def check_dimensions(
    width: int, height: int, *, max_ratio: int = 200, source: str | None = None
) -> None:
    """Raise :class:`UnsupportedMediaError` when the service would refuse this picture size.

    The rules (§4.1): each side must be more than 10 px and the aspect ratio at most
    ``max_ratio``:1 (200:1). ``source`` names the file in the message.
    """
    where = f"{source}: " if source else ""
    if width < MIN_SIDE_PX or height < MIN_SIDE_PX:
        raise UnsupportedMediaError(
            f"{where}picture is {width}×{height} px; the service needs both sides larger than "
            f"10 px: upscale or pad it to at least {MIN_SIDE_PX}×{MIN_SIDE_PX} px",
            source=source,
            value=(width, height),
            limit=MIN_SIDE_PX,
        )
    ratio = max(width, height) / min(width, height)
    if ratio > max_ratio:
        raise UnsupportedMediaError(
            f"{where}picture is {width}×{height} px, an aspect ratio of {ratio:.0f}:1; the "
            f"service accepts at most {max_ratio}:1: crop it or cut it into tiles",
            source=source,
            value=ratio,
            limit=max_ratio,
        )


def smart_resize(
    height: int,
    width: int,
    *,
    factor: int,
    min_pixels: float,
    max_pixels: float,
    max_ratio: int = 200,
) -> tuple[int, int]:
    """The ``(height, width)`` the service resizes a picture to before it counts tokens.

    A line-for-line transcription of the documented estimator's ``smart_resize`` (OMNI-35, the
    image and the video snippets share it; reference §6.2/§6.3):

    - each side is rounded to the nearest multiple of ``factor`` with Python's ``round`` (ties
      to even: 16 px on a 32-px grid rounds to 0, 48 px to 64), and is at least ``factor``;
    - when that area exceeds ``max_pixels``: ``beta = sqrt(H·W / max_pixels)`` and each side is
      ``floor(side / beta / factor) · factor``;
    - else when it is under ``min_pixels``: ``beta = sqrt(min_pixels / (H·W))`` and each side is
      ``ceil(side · beta / factor) · factor``.

    ``max_pixels`` may be a real number (the video cap ``total / nframes · 2`` is not rounded
    in the documentation). The documented code does not re-apply the ``factor`` floor after
    the ``floor`` step; neither do we, so a very elongated picture under a tight cap can lose a
    side (0 patches), exactly as the documented estimator counts it.

    Raises:
        UnsupportedMediaError: a side is 10 px or less, or the aspect ratio exceeds
            ``max_ratio`` (the service refuses both, §4.1; the documented video snippet raises
            ``ValueError`` for the ratio, we raise the typed media error).
    """
    check_dimensions(width, height, max_ratio=max_ratio)
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


def _patch_tokens(h: int, w: int, factor: int) -> int:
    """Patches of a resized picture, as the documented code computes them (``int(h·w/F²)``)."""
    return int(h * w / (factor * factor))


# --- images ------------------------------------------------------------------------------------


def image_pixel_bounds(
    spec: TokenConstants,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    high_resolution: bool = False,
) -> tuple[int, int]:
    """The ``(min_pixels, max_pixels)`` the service applies to one image.

    Defaults (OMNI-35 image snippet): ``MIN_TOKENS·F²`` and ``1280·F²``; with
    ``vl_high_resolution_images`` on a model that has the switch (Qwen3.5-Omni) the cap is
    ``16384·F²`` and a per-request ``max_pixels`` is **ignored**, as the service ignores it
    (APIREF). On a model without the switch ``high_resolution`` changes nothing here: the
    request rules refuse or drop the flag (:func:`qwen_omni.rules.check_request`).

    Per-request ``min_pixels``/``max_pixels`` replace the defaults within what APIREF
    documents for Qwen3.5-Omni: ``min_pixels`` is at least the default minimum (24,576) and
    ``max_pixels`` at most 16,777,216. For Flash and Turbo the range is UNCONFIRMED: we let
    ``max_pixels`` lower the cap but never raise it above the default (estimates stay upper
    bounds), and the minimum never below the default.
    """
    f2 = spec.image_patch * spec.image_patch
    floor = spec.image_min_tokens * f2
    ceiling = (spec.image_max_tokens_hires or spec.image_max_tokens) * f2
    hires = high_resolution and spec.image_max_tokens_hires is not None
    if hires:
        hi = ceiling  # max_pixels is ignored in high-resolution mode (APIREF)
    elif max_pixels is None:
        hi = spec.image_max_tokens * f2
    else:
        hi = max(floor, min(ceiling, max_pixels))
    lo = floor if min_pixels is None else max(floor, min_pixels)
    return min(lo, hi), hi


def _patch_grid_size(
    width: int, height: int, spec: TokenConstants, min_pixels: float, max_pixels: float
) -> tuple[int, int]:
    """``(width, height)`` after :func:`smart_resize` to the model's patch, within the bounds."""
    h, w = smart_resize(
        height,
        width,
        factor=spec.image_patch,
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        max_ratio=spec.max_ratio,
    )
    return w, h


def image_size(
    width: int,
    height: int,
    spec: TokenConstants,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    high_resolution: bool = False,
) -> tuple[int, int]:
    """The ``(width, height)`` the service will see for an image (multiples of the patch)."""
    lo, hi = image_pixel_bounds(
        spec, min_pixels=min_pixels, max_pixels=max_pixels, high_resolution=high_resolution
    )
    return _patch_grid_size(width, height, spec, lo, hi)


def image_tokens(
    width: int,
    height: int,
    spec: TokenConstants,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    high_resolution: bool = False,
) -> int:
    """Input tokens of one image of ``width×height`` px, including the 2 marker tokens.

    ``int(h·w / F²) + 2`` after :func:`smart_resize` within :func:`image_pixel_bounds`.

    Examples (F = 32): 1920×1080 with the default 1280-token cap → 1504×832 → 1224 tokens;
    with the field guide's ``max_pixels=1280·720`` → 1280×704 → 882; 4000×3000 on
    Qwen3.5-Omni with ``vl_high_resolution_images`` → 4000×3008 → 11,752.
    """
    w, h = image_size(
        width,
        height,
        spec,
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        high_resolution=high_resolution,
    )
    return _patch_tokens(h, w, spec.image_patch) + VISION_MARKER_TOKENS


# --- video -------------------------------------------------------------------------------------


def _frame_bounds(spec: TokenConstants) -> tuple[int, int]:
    """``(min_frames, max_frames)`` before the clip's own frame count: ceil2 / floor2."""
    factor = spec.frame_factor
    return (
        math.ceil(spec.video_min_frames / factor) * factor,
        spec.video_max_frames // factor * factor,
    )


def documented_nframes(total_frames: int, video_fps: float, spec: TokenConstants) -> int:
    """``smart_nframes`` of the documented video estimator (OMNI-35), line for line.

    From the file's frame count and average frame rate (what OpenCV's ``CAP_PROP_FRAME_COUNT``
    and ``CAP_PROP_FPS`` report)::

        min_frames = ceil(FPS_MIN_FRAMES / 2) · 2
        max_frames = min(FPS_MAX_FRAMES, total_frames) // 2 · 2
        duration   = total_frames / video_fps
        # whole seconds unless the fraction is ABOVE 1/FPS = 0.5 s (2.5 s counts as 2 s)
        frames     = ceil(duration · fps) if duration − int(duration) > 0.5
                     else ceil(int(duration) · fps)
        nframes    = int(min(max(frames / fps · FPS, min_frames), max_frames, frames))

    ``nframes`` may be odd (``int(7.4) = 7``): the token count takes ``ceil(nframes / FPS)``.

    Raises:
        UnsupportedMediaError: the documented estimator finds fewer than ``FRAME_FACTOR`` (2)
            frames to sample — a clip of 0.5 s or less (it rounds down to 0 s), a frame rate
            of 0, or a single frame — which the service cannot take as a video.
        ValueError: a negative frame count or frame rate.
    """
    if total_frames < 0 or video_fps < 0 or math.isnan(video_fps):
        raise ValueError(f"frame count and fps must be ≥ 0, got {total_frames} at {video_fps}")
    fps = spec.video_fps
    factor = spec.frame_factor
    min_frames = math.ceil(spec.video_min_frames / factor) * factor
    max_frames = min(spec.video_max_frames, total_frames) // factor * factor
    duration = total_frames / video_fps if video_fps else 0.0
    nframes = frames = 0
    if video_fps:  # the documented code divides by the frame rate: 0 fps is not a video
        if duration - int(duration) > (1 / fps):
            frames = math.ceil(duration * video_fps)
        else:
            frames = math.ceil(int(duration) * video_fps)
        nframes = int(min(max(frames / video_fps * fps, min_frames), max_frames, frames))
    if not (spec.frame_factor <= nframes <= frames):
        raise UnsupportedMediaError(
            f"video of {total_frames} frame(s) at {video_fps:g} fps ({duration:.3g} s) gives "
            f"{nframes} sampled frame(s); the service needs at least {spec.frame_factor} (it "
            "counts whole seconds unless the fraction is above 0.5 s, so a clip must last "
            "more than 0.5 s and hold 2 frames): send a longer clip, or a still as an image",
            value=total_frames,
            limit=spec.frame_factor,
        )
    return nframes


def video_sample_frames(
    duration_s: float,
    spec: TokenConstants,
    *,
    total_frames: int | None = None,
    video_fps: float | None = None,
) -> int:
    """How many frames the service samples from a video file (``nframes``, §6.3).

    With the file's frame count (and its frame rate, else ``total_frames / duration_s``) this
    is :func:`documented_nframes`. Without a frame count the same rule is applied to the
    duration alone: whole seconds unless the fraction is above 0.5 s, 2 frames per second,
    clamped to the model's frame range.

    Raises:
        ValueError: a negative duration.
        UnsupportedMediaError: fewer than 2 frames could be sampled (0.5 s or less, 1 frame).
    """
    if duration_s < 0 or math.isnan(duration_s):
        raise ValueError(f"duration must be ≥ 0 s, got {duration_s}")
    if total_frames is not None:
        fps = (
            video_fps
            if video_fps is not None
            else (total_frames / duration_s if duration_s > 0 else 0.0)
        )
        return documented_nframes(total_frames, fps, spec)
    min_frames, max_frames = _frame_bounds(spec)
    whole = duration_s if duration_s - int(duration_s) > 1 / spec.video_fps else int(duration_s)
    nframes = int(min(max(whole * spec.video_fps, min_frames), max_frames)) if whole else 0
    if nframes < spec.frame_factor:
        raise UnsupportedMediaError(
            f"video lasts {duration_s:.3g} s; the service counts whole seconds unless the "
            "fraction is above 0.5 s and needs at least 2 frames, so a clip must last more "
            "than 0.5 s: send a longer clip, or a still as an image",
            value=duration_s,
            limit=0.5,
        )
    return nframes


def video_pixel_bounds(
    spec: TokenConstants,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
) -> tuple[int, int, int]:
    """The ``(VIDEO_MIN_PIXELS, VIDEO_MAX_PIXELS, VIDEO_TOTAL_PIXELS)`` for one video part.

    The model's documented constants, replaced by per-request values within the documented
    ranges (APIREF, Qwen3.5-Omni: ``min_pixels`` ≥ 4,096, ``max_pixels`` ≤ 2,048,000). Where
    the range is UNCONFIRMED (Flash, Turbo) a request may lower ``max_pixels`` but not raise it
    above the model's constant, nor lower ``min_pixels`` below it.
    """
    floor = spec.video_min_pixels_limit or spec.video_min_pixels
    ceiling = spec.video_max_pixels_limit or spec.video_max_pixels
    lo = spec.video_min_pixels if min_pixels is None else max(floor, min_pixels)
    hi = spec.video_max_pixels if max_pixels is None else min(ceiling, max_pixels)
    total = spec.video_total_pixels if total_pixels is None else total_pixels
    return lo, hi, total


def video_max_pixels(
    nframes: int,
    spec: TokenConstants,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
) -> tuple[int, float]:
    """The per-frame ``(min_pixels, max_pixels)`` for ``nframes`` sampled frames (§6.3).

    ``max = max(min(VIDEO_MAX_PIXELS, VIDEO_TOTAL_PIXELS / nframes · FRAME_FACTOR),
    int(VIDEO_MIN_PIXELS · 1.05))`` — a **real number**, as in the documented code (truncating
    it to an int loses a row of patches: 36 s of 16:9 on Flash is 16,130 tokens, not 15,122).
    """
    lo, per_frame, total = video_pixel_bounds(
        spec, min_pixels=min_pixels, max_pixels=max_pixels, total_pixels=total_pixels
    )
    hi = max(min(per_frame, total / nframes * spec.frame_factor), int(lo * VIDEO_MIN_PIXELS_SLACK))
    return lo, hi


def video_frame_size(
    width: int,
    height: int,
    nframes: int,
    spec: TokenConstants,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
) -> tuple[int, int]:
    """The ``(width, height)`` each sampled frame is resized to by the service."""
    lo, hi = video_max_pixels(
        nframes, spec, min_pixels=min_pixels, max_pixels=max_pixels, total_pixels=total_pixels
    )
    return _patch_grid_size(width, height, spec, lo, hi)


def _video_grid_tokens(
    nframes: int,
    width: int,
    height: int,
    spec: TokenConstants,
    *,
    min_pixels: int | None,
    max_pixels: int | None,
    total_pixels: int | None,
) -> int:
    w, h = video_frame_size(
        width,
        height,
        nframes,
        spec,
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        total_pixels=total_pixels,
    )
    f = spec.image_patch
    # the documented expression, evaluated in the same order
    return int(math.ceil(nframes / spec.video_fps) * h / f * w / f) + VISION_MARKER_TOKENS


def video_tokens(
    width: int,
    height: int,
    duration_s: float,
    spec: TokenConstants,
    *,
    total_frames: int | None = None,
    video_fps: float | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
) -> int:
    """Input tokens of the visual track of a video file (the audio track is counted apart).

    ``int(ceil(nframes / FPS) · h/F · w/F) + 2`` with ``nframes`` from
    :func:`video_sample_frames` and ``(w, h)`` from :func:`video_frame_size`.

    Examples: 150 s of 1080p on Qwen3-Omni-Flash samples 128 frames, each resized to 672×384
    (21·12 = 252 patches), so 64·252 + 2 = 16,130 tokens; so does 36 s (72 frames, cap
    466,033.8 px → 896×512 = 28·16 patches, 36·448 + 2). A 2.5 s 640×480 clip counts as 2 s:
    4 frames → 2·300 + 2 = 602 tokens.
    """
    nframes = video_sample_frames(duration_s, spec, total_frames=total_frames, video_fps=video_fps)
    return _video_grid_tokens(
        nframes,
        width,
        height,
        spec,
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        total_pixels=total_pixels,
    )


def video_frames_tokens(
    n_frames: int,
    width: int,
    height: int,
    spec: TokenConstants,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
) -> int:
    """Input tokens of a video given as ``n_frames`` images of ``width×height`` px.

    Every frame is used; an odd count is padded with a copy of the last frame (qwen-vl-utils),
    which the ``ceil`` of the temporal step count accounts for. The documentation gives no
    separate estimator for image lists; this applies the video-file one to the padded count.
    Whether the count is allowed (2–128 frames on Flash…) is the model's rule
    (``ModelSpec.frames_min``/``frames_max``), checked by the planner, not here.
    """
    if n_frames < 1:
        raise ValueError(f"an image-list video needs at least one frame, got {n_frames}")
    padded = math.ceil(n_frames / spec.frame_factor) * spec.frame_factor
    return _video_grid_tokens(
        padded,
        width,
        height,
        spec,
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        total_pixels=total_pixels,
    )


# --- audio -------------------------------------------------------------------------------------


def audio_tokens(duration_s: float, spec: TokenConstants, *, output: bool = False) -> int:
    """Tokens of ``duration_s`` seconds of audio, input (default) or spoken output.

    ``ceil(max(duration, 1 s) · rate)``, the rate being ``spec.audio_in_tokens_per_s`` or
    ``spec.audio_out_tokens_per_s``. Anything under 1 s counts as 1 s (§6.1); a partial token
    at the end is rounded up (the encoder emits one token per started frame). The duration is
    rounded to the microsecond first so container jitter (150.0000001 s) does not add a token.

    Example: 150 s on Qwen3-Omni-Flash → 1,875 tokens; 0.3 s on Qwen3.5-Omni → 7 tokens.
    """
    if duration_s < 0 or math.isnan(duration_s):
        raise ValueError(f"duration must be ≥ 0 s, got {duration_s}")
    rate = spec.audio_out_tokens_per_s if output else spec.audio_in_tokens_per_s
    seconds = max(round(duration_s, 6), 1.0)
    return math.ceil(round(seconds * rate, 6))


#: CJK ideographs, kana and hangul: about one token each
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def text_tokens(text: str) -> int:
    """A deterministic estimate of text tokens: one per CJK character, one per 4 others.

    The service's tokenizer is not public; this is close enough for budgets and stable for
    tests (the emulator bills text with it).
    """
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)
