"""caption_product_video: the structured marketing caption from the field guide, in JSON mode."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from qwen_omni.tasks.context import TaskContext
from qwen_omni.tasks.pipeline import SOURCE_HELP, ask_about
from qwen_omni.tasks.report import RequestReport
from qwen_omni.tasks.tool import SOURCES_NOTE, ToolDef

__all__ = [
    "TOOL",
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
    ctx: TaskContext,
    inp: CaptionProductVideoInput,
    *,
    schema: type[CaptionT],
    model: str | None = None,
) -> CaptionResult[CaptionT]:
    """One JSON-mode request; the answer validated into ``schema``."""
    answer = await ask_about(
        ctx, inp.source, _prompt(schema), expect=("video",), model=model, schema=schema
    )
    return CaptionResult[schema](  # type: ignore[valid-type]
        caption=answer.value, repaired=answer.repaired, sent=answer.report
    )


async def _job(ctx: TaskContext, inp: CaptionProductVideoInput, **options: Any) -> BaseModel:
    options.setdefault("schema", ProductCaption)
    return await run_caption(ctx, inp, **options)


TOOL = ToolDef(
    name="caption_product_video",
    description=(
        "Write a structured marketing caption for a product video: scene_description, "
        "product_features (list), target_audience and music_style." + SOURCES_NOTE
    ),
    input_model=CaptionProductVideoInput,
    result_model=CaptionResult[ProductCaption],
    job=_job,
    order=50,
    cli="caption",
)
