"""Token and cost estimates for measured media, per model and region.

Tokens come from the service's estimators (:mod:`qwen_omni.media.tokens`) applied to what
:func:`~qwen_omni.media.probe.probe` measured; prices come from the catalog
(``ModelSpec.price(region)``, CNY per million tokens). Everything here is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qwen_omni.catalog import ModelSpec, get_model
from qwen_omni.errors import ConfigurationError
from qwen_omni.media.probe import AudioInfo, ImageInfo, MediaInfo, VideoInfo
from qwen_omni.media.tokens import audio_tokens, image_tokens, video_frames_tokens, video_tokens

__all__ = [
    "RequestEstimate",
    "estimate_request",
    "CostEstimate",
    "TokenEstimate",
    "estimate_cost",
    "estimate_frames_tokens",
    "estimate_tokens",
    "resolve_model",
]

_PER = 1_000_000


def resolve_model(model: str | ModelSpec) -> ModelSpec:
    """A :class:`ModelSpec` from a name or a spec (unknown names get the generic rules)."""
    return model if isinstance(model, ModelSpec) else get_model(model)


@dataclass(frozen=True)
class TokenEstimate:
    """Input tokens by kind, as the service bills them (a video's sound counts as audio)."""

    text: int = 0
    image: int = 0
    video: int = 0
    audio: int = 0

    @property
    def total(self) -> int:
        return self.text + self.image + self.video + self.audio

    @property
    def multimodal(self) -> bool:
        """True when the input holds image, audio or video (output text is priced higher)."""
        return bool(self.image or self.video or self.audio)

    def __add__(self, other: TokenEstimate) -> TokenEstimate:
        return TokenEstimate(
            self.text + other.text,
            self.image + other.image,
            self.video + other.video,
            self.audio + other.audio,
        )


def estimate_tokens(
    info: MediaInfo,
    model: str | ModelSpec = "qwen3-omni-flash",
    *,
    audio_in_video: bool = True,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
    high_resolution: bool = False,
) -> TokenEstimate:
    """Input tokens of one image, audio or video file for ``model``.

    Images and videos are counted at their displayed size (after EXIF or display rotation).
    A video's audio track is counted as audio tokens when ``audio_in_video`` (the service
    listens to it). The pixel arguments are the per-request bounds sent with the part.
    """
    spec = resolve_model(model).tokens
    if isinstance(info, ImageInfo):
        w, h = info.display_size
        return TokenEstimate(
            image=image_tokens(
                w,
                h,
                spec,
                min_pixels=min_pixels,
                max_pixels=max_pixels,
                high_resolution=high_resolution,
            )
        )
    if isinstance(info, AudioInfo):
        return TokenEstimate(audio=audio_tokens(info.duration_s, spec))
    assert isinstance(info, VideoInfo)
    w, h = info.display_size
    visual = video_tokens(
        w,
        h,
        info.duration_s,
        spec,
        total_frames=info.frame_count,
        video_fps=info.fps or None,
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        total_pixels=total_pixels,
    )
    sound = 0
    if audio_in_video and info.audio is not None:
        sound = audio_tokens(info.audio.duration_s or info.duration_s, spec)
    return TokenEstimate(video=visual, audio=sound)


def estimate_frames_tokens(
    n_frames: int,
    width: int,
    height: int,
    model: str | ModelSpec = "qwen3-omni-flash",
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    total_pixels: int | None = None,
) -> TokenEstimate:
    """Input tokens of a video sent as ``n_frames`` images of ``width×height`` px."""
    spec = resolve_model(model).tokens
    return TokenEstimate(
        video=video_frames_tokens(
            n_frames,
            width,
            height,
            spec,
            min_pixels=min_pixels,
            max_pixels=max_pixels,
            total_pixels=total_pixels,
        )
    )


@dataclass(frozen=True)
class CostEstimate:
    """The price of one request in CNY (or the catalog's currency)."""

    model: str
    region: str
    currency: str
    input_cost: float
    output_cost: float
    confirmed: bool
    """False when the catalog marks these prices UNCONFIRMED (conflicting documentation)"""
    breakdown: dict[str, float] = field(default_factory=dict, compare=False)
    """cost per line: ``input_text``, ``input_audio``, ``input_image_video``, ``output_text``,
    ``output_audio``"""

    @property
    def total(self) -> float:
        return self.input_cost + self.output_cost

    def __str__(self) -> str:
        flag = "" if self.confirmed else " (prices UNCONFIRMED)"
        return (
            f"{self.total:.4f} {self.currency} = input {self.input_cost:.4f} + output "
            f"{self.output_cost:.4f} on {self.model} ({self.region}){flag}"
        )


def estimate_cost(
    model: str | ModelSpec,
    region: str = "beijing",
    *,
    input: TokenEstimate,
    output_text_tokens: int = 0,
    output_audio_tokens: int = 0,
) -> CostEstimate:
    """Cost of a request from its input tokens and expected output tokens.

    Rules (§6.4): input text, audio (including a video's sound) and image/video tokens each
    have a price; output text costs more when the input held media; when the reply is spoken,
    only its audio tokens are billed (its text is free). For spoken output, estimate the tokens
    with ``audio_tokens(seconds, spec, output=True)``.

    Raises:
        ConfigurationError: the catalog has no prices for this model in ``region``.
    """
    spec = resolve_model(model)
    prices = spec.price(region)
    if prices is None:
        known = ", ".join(sorted(spec.prices)) or "none"
        raise ConfigurationError(
            f"no prices for {spec.name} in region {region!r} (catalog regions with prices: "
            f"{known}): pick one of those regions, or pass the cost yourself"
        )
    lines = {
        "input_text": input.text * prices.input_text / _PER,
        "input_audio": input.audio * prices.input_audio / _PER,
        "input_image_video": (input.image + input.video) * prices.input_image_video / _PER,
    }
    if output_audio_tokens:
        lines["output_audio"] = output_audio_tokens * prices.output_audio / _PER
        lines["output_text"] = 0.0  # the text of a spoken reply is free
    else:
        rate = prices.output_text_multimodal if input.multimodal else prices.output_text
        lines["output_text"] = output_text_tokens * rate / _PER
    input_cost = lines["input_text"] + lines["input_audio"] + lines["input_image_video"]
    output_cost = lines["output_text"] + lines.get("output_audio", 0.0)
    return CostEstimate(
        model=spec.name,
        region=region,
        currency=prices.currency,
        input_cost=input_cost,
        output_cost=output_cost,
        confirmed=prices.confirmed,
        breakdown=lines,
    )


@dataclass(frozen=True)
class RequestEstimate:
    """What a request would cost, worked out before sending it.

    Attributes:
        model, region: what was priced.
        tokens: input tokens by kind (media measured locally; text estimated).
        unmeasured: media given as URLs, which are not fetched to be measured (not counted).
        output_tokens: the output tokens assumed for ``cost``.
        cost: input plus that output, or None when the catalog has no prices there.
    """

    model: str
    region: str
    tokens: TokenEstimate
    unmeasured: tuple[str, ...]
    output_tokens: int
    cost: CostEstimate | None
    original: RequestEstimate | None = None
    """the estimate of the media as given, when preparation changed what is sent"""
    unconfirmed: tuple[str, ...] = ()
    """why the figures may be off: the model's limits or prices are not documented"""

    def summary(self) -> str:
        """One line for people (and agents)."""
        t = self.tokens
        parts = [
            f"{self.model}: ~{t.total:,} input tokens (text {t.text:,}, image {t.image:,}, "
            f"video {t.video:,}, audio {t.audio:,})"
            + (" as sent, after preparation" if self.original is not None else "")
        ]
        if self.original is not None:
            parts.append(
                f"as given: ~{self.original.tokens.total:,} tokens"
                + (f" ({self.original.cost})" if self.original.cost is not None else "")
            )
        if self.cost is not None:
            parts.append(
                f"{self.cost}"
                + (f" with {self.output_tokens:,} output tokens" if self.output_tokens else "")
            )
        else:
            parts.append(f"no prices for {self.model} in {self.region}")
        if self.unmeasured:
            parts.append(f"not counted (URLs): {', '.join(self.unmeasured)}")
        if self.unconfirmed:
            parts.append(f"UNCONFIRMED: {'; '.join(self.unconfirmed)}")
        return "; ".join(parts)


def _local_source(part: Any) -> Any:
    """The path or bytes of a local media part, or the bytes of its data URI."""
    if part.url is not None:
        from qwen_omni import data_uri

        return data_uri.decode(part.url)
    return part.path if part.path is not None else part.data


def estimate_request(
    messages: list[Any],
    model: str | ModelSpec,
    *,
    region: str = "beijing",
    output_tokens: int = 0,
    spoken: bool = False,
    tools: Any = None,
    high_resolution: bool = False,
) -> RequestEstimate:
    """Tokens and cost of a request's messages, measuring local media (nothing is sent).

    ``messages`` are :class:`qwen_omni.content.Message` objects. Local media is probed and
    counted with the service's estimators (per-part pixel bounds honoured); text is estimated
    (:func:`~qwen_omni.media.tokens.text_tokens`); base64 data URIs are decoded and measured;
    media given as remote URLs is listed in ``unmeasured``. ``output_tokens`` are priced as
    speech when ``spoken``. ``high_resolution`` is the request's ``vl_high_resolution_images``
    (images only).
    """
    import json

    from qwen_omni.content import Audio, Image, Text, Video, VideoFrames
    from qwen_omni.media.probe import probe
    from qwen_omni.media.tokens import text_tokens

    spec = resolve_model(model)
    total = TokenEstimate(text=text_tokens(json.dumps(tools)) if tools else 0)
    unmeasured: list[str] = []
    for message in messages:
        for part in message.parts:
            if isinstance(part, Text):
                total = total + TokenEstimate(text=text_tokens(part.text))
                continue
            items = part.frames if isinstance(part, VideoFrames) else (part,)
            if any(i.url is not None and not i.url.startswith("data:") for i in items):
                unmeasured.append(
                    part.source_label
                    if not isinstance(part, VideoFrames)
                    else f"{len(items)} frames"
                )
                continue
            if isinstance(part, VideoFrames):
                first = probe(_local_source(items[0]))
                assert isinstance(first, ImageInfo)
                w, h = first.display_size
                total = total + estimate_frames_tokens(
                    len(items),
                    w,
                    h,
                    spec,
                    min_pixels=part.min_pixels,
                    max_pixels=part.max_pixels,
                    total_pixels=part.total_pixels,
                )
                continue
            assert isinstance(part, (Image, Audio, Video))
            info = probe(_local_source(part))
            knobs = {
                k: getattr(part, k)
                for k in ("min_pixels", "max_pixels", "total_pixels")
                if getattr(part, k, None) is not None
            }
            if isinstance(part, Image):
                knobs["high_resolution"] = high_resolution
            total = total + estimate_tokens(info, spec, **knobs)
    try:
        cost: CostEstimate | None = estimate_cost(
            spec,
            region,
            input=total,
            output_text_tokens=0 if spoken else output_tokens,
            output_audio_tokens=output_tokens if spoken else 0,
        )
    except ConfigurationError:
        cost = None
    unconfirmed: list[str] = []
    if spec.known and not spec.tokens_confirmed:
        unconfirmed.append(
            f"{spec.name}'s token constants are not documented (a related model's are used)"
        )
    if cost is None:
        unconfirmed.append(f"no documented prices for {spec.name} in {region}")
    elif not cost.confirmed:
        unconfirmed.append(f"{spec.name}'s prices conflict between documentation revisions")
    return RequestEstimate(
        spec.name,
        region,
        total,
        tuple(unmeasured),
        output_tokens,
        cost,
        unconfirmed=tuple(unconfirmed),
    )
