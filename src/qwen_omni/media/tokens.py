"""Token math for images, video and audio: pure functions, no av, PIL or torch.

These are the service's documented estimators (``reference/dashscope_api.md`` §6), written the
way qwen-vl-utils writes them (§10) but with the per-model constants taken from
:class:`qwen_omni.catalog.TokenConstants` instead of module globals or environment variables.

In short, with ``F`` the patch side (32 px for Qwen3.x-Omni, 28 px for Turbo / Qwen2.5-Omni):

- **image**: resize to multiples of ``F`` inside ``[min_tokens·F², max_tokens·F²]`` pixels
  (:func:`smart_resize`), one token per ``F×F`` patch, ``+2`` for the vision start/end markers;
- **video file**: sample ``nframes`` frames at the service's fps (2), clamped to the model's frame
  range (:func:`video_sample_frames`); cap the per-frame pixels so that all frames fit the
  total pixel budget; two consecutive frames merge into one temporal step:
  ``ceil(nframes / FPS) · (h/F) · (w/F) + 2``;
- **image-list video**: the same, with every given frame used (padded to an even count);
- **audio**: a fixed rate per second (7, 12.5 or 25 tokens/s); anything under 1 s counts as 1 s.

Every function raises :class:`~qwen_omni.errors.UnsupportedMediaError` for shapes the service
refuses (a side of 10 px or less, an aspect ratio over 200:1) and ``ValueError`` for arguments
that are not media at all (negative durations, zero frames).
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
    "floor_by_factor",
    "image_pixel_bounds",
    "image_size",
    "image_tokens",
    "round_by_factor",
    "smart_resize",
    "video_frame_size",
    "video_frames_tokens",
    "video_max_pixels",
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
    min_pixels: int,
    max_pixels: int,
    max_ratio: int = 200,
) -> tuple[int, int]:
    """The ``(height, width)`` the service resizes a picture to before it counts tokens.

    The result satisfies three invariants (as in qwen-vl-utils):

    1. both sides are multiples of ``factor`` (and at least ``factor``);
    2. the pixel count ``h·w`` lies in ``[min_pixels, max_pixels]`` (up to the rounding of
       one side to ``factor``);
    3. the aspect ratio is kept as closely as the rounding allows.

    Each side is first rounded to the nearest multiple of ``factor``; when that is over
    ``max_pixels`` both sides are scaled by ``sqrt(h·w / max_pixels)`` and floored, when under
    ``min_pixels`` they are scaled up by ``sqrt(min_pixels / (h·w))`` and ceiled.

    Raises:
        UnsupportedMediaError: a side is 10 px or less, or the aspect ratio exceeds
            ``max_ratio`` (qwen-vl-utils raises ``ValueError`` for the ratio; we raise the typed
            media error so callers see one kind of failure for "the service will refuse this").
    """
    check_dimensions(width, height, max_ratio=max_ratio)
    h_bar = max(factor, round_by_factor(height, factor))
    w_bar = max(factor, round_by_factor(width, factor))
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, floor_by_factor(height / beta, factor))
        w_bar = max(factor, floor_by_factor(width / beta, factor))
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = ceil_by_factor(height * beta, factor)
        w_bar = ceil_by_factor(width * beta, factor)
    return h_bar, w_bar


# --- images ------------------------------------------------------------------------------------


def image_pixel_bounds(
    spec: TokenConstants,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    high_resolution: bool = False,
) -> tuple[int, int]:
    """The ``(min_pixels, max_pixels)`` the service applies to one image.

    Defaults: ``image_min_tokens·F²`` and ``image_max_tokens·F²`` (1280 tokens), or
    ``image_max_tokens_hires·F²`` with ``high_resolution`` (``vl_high_resolution_images``) on a
    model that has the switch; elsewhere the switch is ignored, as the service ignores it.

    Per-request ``min_pixels``/``max_pixels`` override the defaults, clamped to what the service
    documents (APIREF, Qwen3.5-Omni): the floor is the default minimum, the ceiling the
    high-resolution maximum. For Flash and Turbo the override range is UNCONFIRMED; we let it
    lower the cap but never raise it above the default, so estimates stay upper bounds.
    """
    f2 = spec.image_patch * spec.image_patch
    floor = spec.image_min_tokens * f2
    ceiling = (spec.image_max_tokens_hires or spec.image_max_tokens) * f2
    default_max = spec.image_max_tokens * f2
    if high_resolution and spec.image_max_tokens_hires is not None:
        default_max = spec.image_max_tokens_hires * f2
    lo = floor if min_pixels is None else max(floor, min_pixels)
    hi = default_max if max_pixels is None else max(floor, min(ceiling, max_pixels))
    return min(lo, hi), hi


def _patch_grid_size(
    width: int, height: int, spec: TokenConstants, min_pixels: int, max_pixels: int
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

    Example: a 1920×1080 image on Qwen3-Omni-Flash (32 px patches, at most 1280 tokens) is
    resized to 1504×832 → 47·26 = 1222 patches → 1224 tokens.
    """
    w, h = image_size(
        width,
        height,
        spec,
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        high_resolution=high_resolution,
    )
    f = spec.image_patch
    return (h // f) * (w // f) + VISION_MARKER_TOKENS


# --- video -------------------------------------------------------------------------------------


def video_sample_frames(
    duration_s: float, spec: TokenConstants, *, total_frames: int | None = None
) -> int:
    """How many frames the service samples from a video file (``nframes``, §6.3).

    ``nframes = clamp(duration·FPS, ceil2(min_frames), floor2(min(max_frames, total_frames)))``,
    truncated to an integer (the official estimator's ``int(...)``; an odd count still costs a
    full temporal step in :func:`video_tokens`). FPS is the service's sampling rate
    (``spec.video_fps``, 2 per second); ``total_frames`` (the file's frame count, when known)
    caps the result so that a short, low-fps clip is not over-sampled.

    Raises:
        ValueError: a negative duration.
        UnsupportedMediaError: fewer than 2 frames could be sampled (a clip of one frame).
    """
    if duration_s < 0 or math.isnan(duration_s):
        raise ValueError(f"duration must be ≥ 0 s, got {duration_s}")
    factor = spec.frame_factor
    lo = ceil_by_factor(spec.video_min_frames, factor)
    cap = spec.video_max_frames
    if total_frames is not None:
        cap = min(cap, total_frames)
    hi = floor_by_factor(cap, factor)
    nframes = int(min(max(duration_s * spec.video_fps, lo), hi))
    if nframes < factor:
        raise UnsupportedMediaError(
            f"video has {total_frames} frame(s); the service needs at least {factor}: "
            "send it as an image instead",
            value=total_frames,
            limit=factor,
        )
    return nframes


def video_max_pixels(
    nframes: int,
    spec: TokenConstants,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
) -> tuple[int, int]:
    """The per-frame ``(min_pixels, max_pixels)`` for ``nframes`` sampled frames (§6.3).

    ``max = max(min(VIDEO_MAX_PIXELS, VIDEO_TOTAL_PIXELS / nframes · FRAME_FACTOR),
    int(VIDEO_MIN_PIXELS · 1.05))``: the more frames, the smaller each one, until the floor.
    Per-request ``min_pixels``/``max_pixels``/``total_pixels`` replace the model's defaults as
    given (the service documents them for Qwen3.5-Omni; for Flash and Turbo whether it honours
    them is UNCONFIRMED).
    """
    lo = spec.video_min_pixels if min_pixels is None else min_pixels
    per_frame = spec.video_max_pixels if max_pixels is None else max_pixels
    total = spec.video_total_pixels if total_pixels is None else total_pixels
    hi = max(min(per_frame, total / nframes * spec.frame_factor), int(lo * VIDEO_MIN_PIXELS_SLACK))
    return lo, int(hi)


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
    steps = math.ceil(nframes / spec.video_fps)
    return steps * (h // f) * (w // f) + VISION_MARKER_TOKENS


def video_tokens(
    width: int,
    height: int,
    duration_s: float,
    spec: TokenConstants,
    *,
    total_frames: int | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
) -> int:
    """Input tokens of the visual track of a video file (the audio track is counted apart).

    ``ceil(nframes / FPS) · (h/F) · (w/F) + 2`` with ``nframes`` from
    :func:`video_sample_frames` and ``(w, h)`` from :func:`video_frame_size`.

    Example: 150 s of 1080p on Qwen3-Omni-Flash samples 128 frames, each resized to 672×384
    (21·12 = 252 patches), so 64·252 + 2 = 16,130 tokens. (The reference's worked example
    rounds this up to 64·256 + 2 = 16,386 by assuming the full 262,144-pixel cap is used.)
    """
    nframes = video_sample_frames(duration_s, spec, total_frames=total_frames)
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
    which the ``ceil`` of the temporal step count accounts for. Whether the count is allowed
    (2–128 frames on Flash…) is the model's rule (``ModelSpec.frames_min``/``frames_max``),
    checked by the planner, not here.
    """
    if n_frames < 1:
        raise ValueError(f"an image-list video needs at least one frame, got {n_frames}")
    padded = ceil_by_factor(n_frames, spec.frame_factor)
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
