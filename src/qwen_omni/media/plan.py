"""A plan for sending one file: as-is vs prepared, bytes, tokens, cost, delivery, splitting.

:func:`plan_media` measures the file, works out what preparation would do (without encoding
video or audio: their prepared size is a documented estimate; images are prepared for real,
they are cheap), and prices both variants for a model and region. Nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from qwen_omni.catalog import ModelSpec
from qwen_omni.errors import ConfigurationError
from qwen_omni.media.audio import AUDIO_SAMPLE_RATE, audio_work
from qwen_omni.media.budget import (
    CostEstimate,
    TokenEstimate,
    estimate_cost,
    estimate_tokens,
    resolve_model,
)
from qwen_omni.media.image import DEFAULT_IMAGE_MAX_PIXELS, DEFAULT_IMAGE_MIN_PIXELS, prepare_image
from qwen_omni.media.limits import duration_limit, fits_inline, url_size_limit
from qwen_omni.media.motion import PRESET_FPS, Preset, choose_preset
from qwen_omni.media.probe import AudioInfo, ImageInfo, MediaInfo, VideoInfo, probe
from qwen_omni.media.split import DEFAULT_SEGMENT_S, segment_count, segment_length
from qwen_omni.media.tokens import audio_tokens, check_dimensions, image_tokens, video_tokens
from qwen_omni.media.video import DEFAULT_MAX_SHORT_SIDE, video_target

__all__ = [
    "PREPARED_AUDIO_BYTES_PER_S",
    "PREPARED_VIDEO_BITS_PER_PIXEL",
    "MediaPlan",
    "Variant",
    "plan_media",
]

DeliveryChoice = Literal["inline", "upload", "too_large"]

#: bits per displayed pixel of H.264 at our settings (CRF 26, veryfast) at 4–8 fps: a rough,
#: content-dependent figure (talking heads compress to half, grainy sport to double)
PREPARED_VIDEO_BITS_PER_PIXEL = 0.1
#: AAC mono 48 kbps in a prepared video, MP3 mono 32 kbps for prepared audio (bytes per second)
PREPARED_VIDEO_AUDIO_BYTES_PER_S = 6_000
PREPARED_AUDIO_BYTES_PER_S = 4_000


@dataclass(frozen=True)
class Variant:
    """One way of sending the file."""

    label: Literal["as_is", "prepared"]
    size_bytes: int
    """bytes of the whole file (all segments together when split)"""
    size_estimated: bool
    """True when ``size_bytes`` is an estimate (prepared video and audio are not encoded)"""
    tokens: TokenEstimate
    """input tokens of the whole file (all segments together when split)"""
    request_tokens: TokenEstimate
    """input tokens of the largest single request (one segment when split)"""
    cost: CostEstimate | None
    """input cost of the whole file (None: no prices for the region)"""
    delivery: DeliveryChoice
    """per request: ``inline`` (data URI), ``upload`` (needs a URL) or ``too_large``"""
    description: str


@dataclass(frozen=True)
class MediaPlan:
    """What :func:`plan_media` found; ``summary()`` renders it for people and agents."""

    source: str
    kind: Literal["image", "audio", "video"]
    model: str
    region: str
    info: MediaInfo
    as_is: Variant
    prepared: Variant | None
    """None when the file already fits (nothing to prepare)"""
    reasons: tuple[str, ...]
    """what preparing would do"""
    must_split: bool
    segments: int
    segment_s: float | None
    max_input_tokens: int
    notes: tuple[str, ...]

    @property
    def recommended(self) -> Variant:
        """The variant to send: prepared when there is one, else as-is."""
        return self.prepared or self.as_is

    @property
    def fits_context(self) -> bool:
        """Whether one request of the recommended variant fits the model's input tokens
        (media only; leave room for the prompt)."""
        return self.recommended.request_tokens.total <= self.max_input_tokens

    def summary(self) -> str:
        """A short multi-line report: as-is vs prepared, then splitting and notes."""
        lines = [f"{self.source}: {self.kind} for {self.model} ({self.region})"]
        for v in (self.as_is, self.prepared):
            if v is None:
                continue
            size = f"{'~' if v.size_estimated else ''}{v.size_bytes:,} B"
            cost = f", {v.cost.input_cost:.4f} {v.cost.currency}" if v.cost else ""
            lines.append(
                f"  {v.label:8} {v.description}; {size}; {v.tokens.total:,} tokens{cost}; "
                f"{v.delivery}"
            )
        if self.reasons:
            lines.append("  prepare: " + "; ".join(self.reasons))
        if self.must_split:
            lines.append(
                f"  split: {self.segments} segments of ≤ {self.segment_s:g} s "
                f"(≤ {self.recommended.request_tokens.total:,} tokens each)"
            )
        if not self.fits_context:
            lines.append(
                f"  does not fit: {self.recommended.request_tokens.total:,} tokens > "
                f"{self.max_input_tokens:,} input tokens"
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def _delivery(kind: str, request_bytes: int, mime: str, spec: ModelSpec) -> DeliveryChoice:
    if fits_inline(request_bytes, mime):
        return "inline"
    cap = url_size_limit(kind, spec)
    if cap is not None and spec.known and request_bytes > cap:
        return "too_large"
    return "upload"


def _cost(spec: ModelSpec, region: str, tokens: TokenEstimate) -> CostEstimate | None:
    try:
        return estimate_cost(spec, region, input=tokens)
    except ConfigurationError:
        return None


def _durations(duration_s: float, segment_s: float, n: int) -> list[float]:
    """Segment durations for ``n`` segments of ``segment_s`` (the last one shorter)."""
    if n <= 1:
        return [duration_s]
    return [segment_s] * (n - 1) + [max(0.0, duration_s - segment_s * (n - 1))]


def _video_tokens(
    width: int, height: int, fps: float, durations: list[float], audio: bool, spec: ModelSpec
) -> tuple[TokenEstimate, TokenEstimate]:
    """(total, largest request) for video segments of the given durations."""
    total = TokenEstimate()
    largest = TokenEstimate()
    for d in durations:
        frames = max(2, round(d * fps)) if fps else None
        est = TokenEstimate(
            video=video_tokens(width, height, max(d, 0.01), spec.tokens, total_frames=frames),
            audio=audio_tokens(d, spec.tokens) if audio else 0,
        )
        total = total + est
        largest = est if est.total > largest.total else largest
    return total, largest


def _audio_tokens(durations: list[float], spec: ModelSpec) -> tuple[TokenEstimate, TokenEstimate]:
    parts = [TokenEstimate(audio=audio_tokens(d, spec.tokens)) for d in durations]
    total = TokenEstimate()
    for p in parts:
        total = total + p
    return total, max(parts, key=lambda p: p.total)


def plan_media(
    source: Path | str | bytes,
    model: str | ModelSpec = "qwen3-omni-flash",
    *,
    region: str = "beijing",
    segment_s: float = DEFAULT_SEGMENT_S,
    preset: Preset = "auto",
    max_pixels: int = DEFAULT_IMAGE_MAX_PIXELS,
    min_pixels: int = DEFAULT_IMAGE_MIN_PIXELS,
    max_short_side: int = DEFAULT_MAX_SHORT_SIDE,
    thinking: bool = False,
) -> MediaPlan:
    """Plan how to send one file to ``model``: as-is vs prepared, with bytes, tokens and cost.

    For each variant: bytes (prepared video/audio sizes are estimates, marked
    ``size_estimated``), input tokens (the service's estimator), input cost in the catalog's
    currency for ``region`` (None when the catalog has no prices there), and whether one
    request fits inline (≤ 10 MB as a data URI) or needs an upload (or is too large even by
    URL). Audio and video longer than the model accepts are marked ``must_split`` with the
    number of ``segment_s`` segments (at most the model's limit each).

    Raises:
        MediaNotFoundError, UnsupportedMediaError, MediaTooLargeError: the file cannot be read
            or has a shape the service refuses (see :func:`~qwen_omni.media.probe.probe`).
    """
    if isinstance(source, str):
        source = Path(source)
    spec = resolve_model(model)
    info = probe(source, verify=True)
    notes: list[str] = []
    if not spec.known:
        notes.append(f"{spec.name} is not in the catalog: generic limits, no prices")
    prices = spec.price(region)
    if prices is None and spec.known:
        notes.append(f"no prices for {spec.name} in {region!r}")
    elif prices is not None and not prices.confirmed:
        notes.append(f"prices of {spec.name} in {region} are UNCONFIRMED (docs disagree)")
    max_input = spec.max_input(thinking=thinking)

    if isinstance(info, ImageInfo):
        return _plan_image(source, info, spec, region, max_input, notes, max_pixels, min_pixels)

    limit = duration_limit(info.kind, spec)
    must_split = limit is not None and spec.known and info.duration_s > limit + 1e-3
    seg = segment_length(info.kind, spec, segment_s) if must_split else None
    n = segment_count(info.duration_s, seg) if seg else 1
    durations = _durations(info.duration_s, seg or info.duration_s, n)

    if isinstance(info, VideoInfo):
        return _plan_video(
            info,
            spec,
            region,
            max_input,
            notes,
            preset,
            source,
            max_short_side,
            must_split,
            seg,
            n,
            durations,
        )
    assert isinstance(info, AudioInfo)
    return _plan_audio(info, spec, region, max_input, notes, must_split, seg, n, durations)


def _plan_image(
    source: Path | bytes,
    info: ImageInfo,
    spec: ModelSpec,
    region: str,
    max_input: int,
    notes: list[str],
    max_pixels: int,
    min_pixels: int,
) -> MediaPlan:
    w, h = info.display_size
    check_dimensions(w, h, max_ratio=spec.tokens.max_ratio, source=info.source)
    tokens = TokenEstimate(image=image_tokens(w, h, spec.tokens))
    as_is = Variant(
        "as_is",
        info.size_bytes,
        False,
        tokens,
        tokens,
        _cost(spec, region, tokens),
        _delivery("image", info.size_bytes, info.mime_type, spec),
        f"{info.format.upper()} {w}×{h}",
    )
    prepared = None
    result = prepare_image(source, max_pixels=max_pixels, min_pixels=min_pixels)
    if result.changed:
        out = result.info
        assert isinstance(out, ImageInfo)
        ptokens = TokenEstimate(image=image_tokens(out.width, out.height, spec.tokens))
        prepared = Variant(
            "prepared",
            out.size_bytes,
            False,
            ptokens,
            ptokens,
            _cost(spec, region, ptokens),
            _delivery("image", out.size_bytes, out.mime_type, spec),
            f"{out.format.upper()} {out.width}×{out.height}",
        )
    return MediaPlan(
        info.source,
        "image",
        spec.name,
        region,
        info,
        as_is,
        prepared,
        result.steps,
        False,
        1,
        None,
        max_input,
        tuple(notes),
    )


def _plan_video(
    info: VideoInfo,
    spec: ModelSpec,
    region: str,
    max_input: int,
    notes: list[str],
    preset: Preset,
    source: Path | bytes,
    max_short_side: int,
    must_split: bool,
    seg: float | None,
    n: int,
    durations: list[float],
) -> MediaPlan:
    w, h = info.display_size
    check_dimensions(w, h, max_ratio=spec.tokens.max_ratio, source=info.source)
    has_audio = info.audio is not None
    if n == 1:
        whole = estimate_tokens(info, spec)
        total, largest = whole, whole
    else:
        total, largest = _video_tokens(w, h, info.fps, durations, has_audio, spec)
    per_request_bytes = info.size_bytes // n
    audio_desc = f"/{info.audio.codec}" if info.audio else ", no audio"
    as_is = Variant(
        "as_is",
        info.size_bytes,
        False,
        total,
        largest,
        _cost(spec, region, total),
        _delivery("video", per_request_bytes, "", spec),
        f"{info.container.upper()} {info.video_codec}{audio_desc} {w}×{h} {info.fps:g} fps "
        f"{info.duration_s:.1f} s",
    )

    chosen = choose_preset(source) if preset == "auto" else preset
    target = video_target(info, fps=PRESET_FPS[chosen], max_short_side=max_short_side)
    prepared = None
    if target.transcode:
        ptotal, plargest = _video_tokens(
            target.width, target.height, target.fps, durations, target.audio, spec
        )
        pixels_per_s = target.width * target.height * target.fps
        estimate = info.duration_s * (
            pixels_per_s * PREPARED_VIDEO_BITS_PER_PIXEL / 8
            + (PREPARED_VIDEO_AUDIO_BYTES_PER_S if target.audio else 0)
        )
        # never predict more than the source when only shrinking it
        size = int(min(estimate, info.size_bytes)) if info.video_codec == "h264" else int(estimate)
        prepared = Variant(
            "prepared",
            size,
            True,
            ptotal,
            plargest,
            _cost(spec, region, ptotal),
            _delivery("video", size // n, "", spec),
            f"MP4 h264{'/aac' if target.audio else ', no audio'} {target.width}×{target.height} "
            f"{target.fps:g} fps ({chosen})",
        )
    return MediaPlan(
        info.source,
        "video",
        spec.name,
        region,
        info,
        as_is,
        prepared,
        target.reasons,
        must_split,
        n,
        seg,
        max_input,
        tuple(notes),
    )


def _plan_audio(
    info: AudioInfo,
    spec: ModelSpec,
    region: str,
    max_input: int,
    notes: list[str],
    must_split: bool,
    seg: float | None,
    n: int,
    durations: list[float],
) -> MediaPlan:
    total, largest = _audio_tokens(durations, spec)
    as_is = Variant(
        "as_is",
        info.size_bytes,
        False,
        total,
        largest,
        _cost(spec, region, total),
        _delivery("audio", info.size_bytes // n, "", spec),
        f"{info.format.upper()} {info.codec} {info.channels} ch {info.sample_rate} Hz "
        f"{info.duration_s:.1f} s",
    )
    reasons = audio_work(info)
    prepared = None
    if reasons:
        size = int(info.duration_s * PREPARED_AUDIO_BYTES_PER_S)
        prepared = Variant(
            "prepared",
            size,
            True,
            total,
            largest,
            _cost(spec, region, total),
            _delivery("audio", size // n, "", spec),
            f"MP3 mono {AUDIO_SAMPLE_RATE} Hz",
        )
    return MediaPlan(
        info.source,
        "audio",
        spec.name,
        region,
        info,
        as_is,
        prepared,
        tuple(reasons),
        must_split,
        n,
        seg,
        max_input,
        tuple(notes),
    )
