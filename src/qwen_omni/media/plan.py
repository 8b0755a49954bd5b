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


@dataclass(frozen=True)
class _Context:
    """What every branch of the planner needs."""

    spec: ModelSpec
    region: str
    segments: int
    durations: tuple[float, ...]
    """duration of each request (one per segment)"""

    def delivery(self, kind: str, size_bytes: int, mime: str = "") -> DeliveryChoice:
        """How one request's worth of ``size_bytes`` reaches the service."""
        per_request = size_bytes // self.segments
        if fits_inline(per_request, mime):
            return "inline"
        cap = url_size_limit(kind, self.spec)
        if cap is not None and self.spec.known and per_request > cap:
            return "too_large"
        return "upload"

    def cost(self, tokens: TokenEstimate) -> CostEstimate | None:
        try:
            return estimate_cost(self.spec, self.region, input=tokens)
        except ConfigurationError:
            return None

    def variant(
        self,
        label: Literal["as_is", "prepared"],
        kind: str,
        *,
        size_bytes: int,
        estimated: bool,
        tokens: tuple[TokenEstimate, TokenEstimate],
        description: str,
        mime: str = "",
    ) -> Variant:
        total, largest = tokens
        return Variant(
            label=label,
            size_bytes=size_bytes,
            size_estimated=estimated,
            tokens=total,
            request_tokens=largest,
            cost=self.cost(total),
            delivery=self.delivery(kind, size_bytes, mime),
            description=description,
        )


def _sum(parts: list[TokenEstimate]) -> tuple[TokenEstimate, TokenEstimate]:
    """(total, largest) of per-request estimates."""
    total = TokenEstimate()
    for part in parts:
        total = total + part
    return total, max(parts, key=lambda p: p.total)


def _video_tokens(
    ctx: _Context, width: int, height: int, fps: float, info: VideoInfo, audio: bool
) -> tuple[TokenEstimate, TokenEstimate]:
    """(total, largest request) for the segments of a video of the given shape."""
    tokens = ctx.spec.tokens
    # the sound track may run a little longer or shorter than the pictures
    sound = info.audio.duration_s / info.duration_s if info.audio and info.duration_s else 1.0
    return _sum(
        [
            TokenEstimate(
                video=video_tokens(
                    width,
                    height,
                    max(d, 0.01),
                    tokens,
                    total_frames=max(2, round(d * fps)) if fps else None,
                    video_fps=fps or None,
                ),
                audio=audio_tokens(d * sound, tokens) if audio else 0,
            )
            for d in ctx.durations
        ]
    )


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
    number of ``segment_s`` segments (at most the model's limit each). ``summary()`` renders
    the plan as text.

    Raises:
        MediaNotFoundError, UnsupportedMediaError, MediaTooLargeError: the file cannot be read
            or has a shape the service refuses (see :func:`~qwen_omni.media.probe.probe`).
    """
    if isinstance(source, str):
        source = Path(source)
    spec = resolve_model(model)
    info = probe(source, verify=True)
    if isinstance(info, (ImageInfo, VideoInfo)):
        check_dimensions(*info.display_size, max_ratio=spec.tokens.max_ratio, source=info.source)

    notes: list[str] = []
    if not spec.known:
        notes.append(f"{spec.name} is not in the catalog: generic limits, no prices")
    elif not spec.confirmed:
        notes.append(f"{spec.name}'s media limits are UNCONFIRMED: not enforced")
    prices = spec.price(region)
    if prices is None and spec.known:
        notes.append(f"no prices for {spec.name} in {region!r}")
    elif prices is not None and not prices.confirmed:
        notes.append(f"prices of {spec.name} in {region} are UNCONFIRMED (docs disagree)")

    must_split, seg, n = False, None, 1
    if not isinstance(info, ImageInfo):
        limit = duration_limit(info.kind, spec)
        enforce = spec.known and spec.confirmed
        must_split = enforce and limit is not None and info.duration_s > limit + 1e-3
        if must_split:
            seg = segment_length(info.kind, spec, segment_s)
            n = segment_count(info.duration_s, seg)
    total_s = info.duration_s if isinstance(info, (AudioInfo, VideoInfo)) else 0.0
    durations: tuple[float, ...] = (total_s,)
    if seg is not None:
        durations = tuple(min(seg, total_s - i * seg) for i in range(n))
    ctx = _Context(spec, region, n, durations)

    if isinstance(info, ImageInfo):
        as_is, prepared, reasons = _image_variants(ctx, source, info, max_pixels, min_pixels)
    elif isinstance(info, VideoInfo):
        as_is, prepared, reasons = _video_variants(ctx, source, info, preset, max_short_side)
    else:
        as_is, prepared, reasons = _audio_variants(ctx, info)
    return MediaPlan(
        source=info.source,
        kind=info.kind,
        model=spec.name,
        region=region,
        info=info,
        as_is=as_is,
        prepared=prepared,
        reasons=tuple(reasons),
        must_split=must_split,
        segments=n,
        segment_s=seg,
        max_input_tokens=spec.max_input(thinking=thinking),
        notes=tuple(notes),
    )


_Variants = tuple[Variant, "Variant | None", "tuple[str, ...] | list[str]"]


def _image_variants(
    ctx: _Context, source: Path | bytes, info: ImageInfo, max_pixels: int, min_pixels: int
) -> _Variants:
    w, h = info.display_size
    tokens = TokenEstimate(image=image_tokens(w, h, ctx.spec.tokens))
    as_is = ctx.variant(
        "as_is", "image", size_bytes=info.size_bytes, estimated=False, tokens=(tokens, tokens),
        description=f"{info.format.upper()} {w}×{h}", mime=info.mime_type,
    )  # fmt: skip
    result = prepare_image(source, max_pixels=max_pixels, min_pixels=min_pixels)
    if not result.changed:
        return as_is, None, ()
    out = result.info
    assert isinstance(out, ImageInfo)
    ptokens = TokenEstimate(image=image_tokens(out.width, out.height, ctx.spec.tokens))
    prepared = ctx.variant(
        "prepared", "image", size_bytes=out.size_bytes, estimated=False,
        tokens=(ptokens, ptokens), description=f"{out.format.upper()} {out.width}×{out.height}",
        mime=out.mime_type,
    )  # fmt: skip
    return as_is, prepared, result.steps


def _video_variants(
    ctx: _Context, source: Path | bytes, info: VideoInfo, preset: Preset, max_short_side: int
) -> _Variants:
    w, h = info.display_size
    if ctx.segments == 1:
        whole = estimate_tokens(info, ctx.spec)
        tokens = (whole, whole)
    else:
        tokens = _video_tokens(ctx, w, h, info.fps, info, info.audio is not None)
    sound = f"/{info.audio.codec}" if info.audio else ", no audio"
    as_is = ctx.variant(
        "as_is", "video", size_bytes=info.size_bytes, estimated=False, tokens=tokens,
        description=f"{info.container.upper()} {info.video_codec}{sound} {w}×{h} "
        f"{info.fps:g} fps {info.duration_s:.1f} s",
    )  # fmt: skip

    chosen = choose_preset(source) if preset == "auto" else preset
    target = video_target(info, fps=PRESET_FPS[chosen], max_short_side=max_short_side)
    if not target.transcode:
        return as_is, None, ()
    pixels_per_s = target.width * target.height * target.fps
    estimate = info.duration_s * (
        pixels_per_s * PREPARED_VIDEO_BITS_PER_PIXEL / 8
        + (PREPARED_VIDEO_AUDIO_BYTES_PER_S if target.audio else 0)
    )
    # shrinking an H.264 file never makes it bigger
    size = int(min(estimate, info.size_bytes) if info.video_codec == "h264" else estimate)
    prepared = ctx.variant(
        "prepared", "video", size_bytes=size, estimated=True,
        tokens=_video_tokens(ctx, target.width, target.height, target.fps, info, target.audio),
        description=f"MP4 h264{'/aac' if target.audio else ', no audio'} "
        f"{target.width}×{target.height} {target.fps:g} fps ({chosen})",
    )  # fmt: skip
    return as_is, prepared, target.reasons


def _audio_variants(ctx: _Context, info: AudioInfo) -> _Variants:
    tokens = _sum([TokenEstimate(audio=audio_tokens(d, ctx.spec.tokens)) for d in ctx.durations])
    as_is = ctx.variant(
        "as_is", "audio", size_bytes=info.size_bytes, estimated=False, tokens=tokens,
        description=f"{info.format.upper()} {info.codec} {info.channels} ch "
        f"{info.sample_rate} Hz {info.duration_s:.1f} s",
    )  # fmt: skip
    reasons = audio_work(info)
    if not reasons:
        return as_is, None, ()
    prepared = ctx.variant(
        "prepared", "audio", size_bytes=int(info.duration_s * PREPARED_AUDIO_BYTES_PER_S),
        estimated=True, tokens=tokens, description=f"MP3 mono {AUDIO_SAMPLE_RATE} Hz",
    )  # fmt: skip
    return as_is, prepared, reasons
