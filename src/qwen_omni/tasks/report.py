"""What a tool sent and what it cost: the pieces every tool result carries.

Tool results say what went out (each medium: prepared or not, bytes, duration, tokens
estimated) and what came back (usage per modality, the request id) and, where the catalog
knows the model's prices, the cost in CNY. Prices come from :mod:`qwen_omni.catalog` only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qwen_omni.catalog import ModelSpec, get_model
from qwen_omni.response import OmniResponse, Usage

__all__ = [
    "RequestReport",
    "SentMedia",
    "UsageReport",
    "cost_cny",
    "report_for",
    "total_cost",
]

#: Prices are per million tokens.
_PER = 1_000_000


class SentMedia(BaseModel):
    """One medium as it was sent to the model."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="The file or URL as named (URLs without query string).")
    kind: Literal["image", "audio", "video"]
    origin: Literal["url", "local"] = Field(
        description="'url': the model server fetched it; 'local': we read and delivered it."
    )
    prepared: bool = Field(
        default=False, description="True when it was resized, resampled, re-encoded or cut."
    )
    preparation: list[str] = Field(
        default_factory=list, description="What preparation did, one line per step."
    )
    bytes: int | None = Field(default=None, description="Bytes sent (after preparation).")
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    estimated_tokens: int | None = Field(
        default=None, description="Input tokens estimated with the service's formula."
    )


class UsageReport(BaseModel):
    """Token usage of one request, as the service reported it."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    input_text_tokens: int = 0
    input_image_tokens: int = 0
    input_video_tokens: int = 0
    input_audio_tokens: int = 0
    output_text_tokens: int = 0
    output_audio_tokens: int = 0

    @classmethod
    def from_usage(cls, usage: Usage) -> UsageReport:
        return cls(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            input_text_tokens=usage.input_text_tokens,
            input_image_tokens=usage.input_image_tokens,
            input_video_tokens=usage.input_video_tokens,
            input_audio_tokens=usage.input_audio_tokens,
            output_text_tokens=usage.output_text_tokens,
            output_audio_tokens=usage.output_audio_tokens,
        )


class RequestReport(BaseModel):
    """One request: the model, what was sent, what it used and cost."""

    model_config = ConfigDict(frozen=True)

    model: str
    media: list[SentMedia] = Field(default_factory=list)
    estimated_input_tokens: int | None = Field(
        default=None, description="Sum of the media estimates (text not included)."
    )
    usage: UsageReport | None = None
    cost_cny: float | None = Field(
        default=None, description="From the catalog's list prices; None when unknown."
    )
    price_region: str | None = Field(
        default=None, description="Region whose list prices the cost uses."
    )
    request_id: str | None = None
    attempts: int = Field(default=1, description="Requests made (a JSON retry counts).")


def cost_cny(
    usage: Usage, spec: ModelSpec, region: str | None, *, multimodal_input: bool
) -> float | None:
    """Cost of one request in CNY from the catalog's list prices; None without prices.

    Input tokens the service did not attribute to a modality are priced as text. When the
    reply was spoken, only the audio tokens are billed (the transcript is free, §6.4).
    """
    prices = spec.price(region or "beijing")
    if prices is None:
        return None
    media_in = usage.input_image_tokens + usage.input_video_tokens
    text_in = max(0, usage.input_tokens - media_in - usage.input_audio_tokens)
    total = (
        text_in * prices.input_text
        + usage.input_audio_tokens * prices.input_audio
        + media_in * prices.input_image_video
    )
    if usage.output_audio_tokens:
        total += usage.output_audio_tokens * prices.output_audio
    else:
        rate = prices.output_text_multimodal if multimodal_input else prices.output_text
        total += usage.output_tokens * rate
    return round(total / _PER, 6)


def report_for(
    response: OmniResponse,
    *,
    model: str,
    media: list[SentMedia],
    region: str | None,
    attempts: int = 1,
    extra_usage: list[Usage] | None = None,
) -> RequestReport:
    """A :class:`RequestReport` for a response (``extra_usage``: earlier attempts' usage)."""
    spec = get_model(model)
    usages = [*(extra_usage or []), *([response.usage] if response.usage else [])]
    usage = _sum(usages) if usages else None
    cost: float | None = None
    if usage is not None:
        cost = cost_cny(usage, spec, region, multimodal_input=bool(media))
    estimates = [m.estimated_tokens for m in media if m.estimated_tokens is not None]
    return RequestReport(
        model=response.model or model,
        media=media,
        estimated_input_tokens=sum(estimates) if estimates else None,
        usage=UsageReport.from_usage(usage) if usage else None,
        cost_cny=cost,
        price_region=(region or "beijing") if cost is not None else None,
        request_id=response.request_id,
        attempts=attempts,
    )


def _sum(usages: list[Usage]) -> Usage:
    fields = (
        "input_tokens", "output_tokens", "total_tokens", "input_text_tokens",
        "input_image_tokens", "input_video_tokens", "input_audio_tokens", "cached_tokens",
        "output_text_tokens", "output_audio_tokens", "reasoning_tokens",
    )  # fmt: skip
    return Usage(**{f: sum(getattr(u, f) for u in usages) for f in fields})


def total_cost(reports: list[RequestReport]) -> float | None:
    """Sum of the known costs (None when no request had a price)."""
    known = [r.cost_cny for r in reports if r.cost_cny is not None]
    return round(sum(known), 6) if known else None
