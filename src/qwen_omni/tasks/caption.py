"""caption_product_video: the structured marketing caption from the field guide, in JSON mode."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from qwen_omni.tasks.analyze import LONG_HINT, SOURCE_HELP
from qwen_omni.tasks.progress import Progress, ProgressCallback, emit
from qwen_omni.tasks.report import RequestReport, report_for
from qwen_omni.tasks.sources import check_duration, resolve_media

if TYPE_CHECKING:
    from qwen_omni.tasks.policy import AccessPolicy
    from qwen_omni.tasks.toolkit import AsyncOmniTasks

__all__ = [
    "CaptionProductVideoInput",
    "CaptionResult",
    "ProductCaption",
    "run_caption",
]

CaptionT = TypeVar("CaptionT", bound=BaseModel)


class CaptionProductVideoInput(BaseModel):
    """Arguments of caption_product_video."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=4096, description=SOURCE_HELP)


class ProductCaption(BaseModel):
    """The caption a creative team wants for a product video (field guide)."""

    scene_description: str = Field(min_length=1, description="What is shown, scene by scene.")
    product_features: list[str] = Field(
        min_length=1, description="Key product features visible or said in the video."
    )
    target_audience: str = Field(min_length=1, description="Who the video seems aimed at.")
    music_style: str = Field(
        min_length=1, description="The music style that would fit (or that is heard)."
    )


class CaptionResult(BaseModel, Generic[CaptionT]):
    """The validated caption and what was sent."""

    caption: CaptionT
    repaired: bool = Field(
        default=False, description="True when the model's JSON had to be repaired or re-asked."
    )
    sent: RequestReport

    def to_text(self) -> str:
        lines = []
        for name, value in self.caption.model_dump().items():
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            lines.append(f"{name}: {value}")
        return "\n".join(lines)


def _prompt(schema: type[BaseModel]) -> str:
    fields = ", ".join(schema.model_fields)
    return (
        "You write structured captions for product marketing videos. Watch and listen to the "
        f"whole video, then describe it as a JSON object with the fields {fields}."
    )


async def run_caption(
    tasks: AsyncOmniTasks,
    inp: CaptionProductVideoInput,
    *,
    schema: type[CaptionT],
    policy: AccessPolicy | None,
    progress: ProgressCallback | None = None,
    model: str | None = None,
) -> CaptionResult[CaptionT]:
    """One JSON-mode request; the answer validated into ``schema``."""
    spec = tasks.spec(model)
    await emit(progress, Progress("prepare", 0, 1, f"checking {inp.source}"))
    with tasks.scratch() as tmp:
        media = await resolve_media(inp.source, expect=("video",), policy=policy, spec=spec)
        check_duration(media.sent.source, media.kind, media.duration_s, spec, hint=LONG_HINT)
        media = await tasks.prepare(media, spec, Path(tmp), progress=progress)
        await emit(progress, Progress("request", 0, 1, f"asking {spec.name}"))
        outcome = await tasks.ask_json([media.part], _prompt(schema), schema, model=spec.name)
    await emit(progress, Progress("request", 1, 1, "answered"))
    report = report_for(
        outcome.response,
        model=spec.name,
        media=[media.sent],
        region=tasks.price_region,
        attempts=outcome.attempts,
        extra_usage=outcome.earlier_usage,
    )
    return CaptionResult[schema](  # type: ignore[valid-type]
        caption=outcome.value, repaired=outcome.repaired, sent=report
    )
