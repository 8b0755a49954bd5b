"""analyze_video, analyze_image, analyze_audio: one question about one medium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qwen_omni.tasks.context import TaskContext
from qwen_omni.tasks.pipeline import LONG_HINT, SOURCE_HELP, ask_about
from qwen_omni.tasks.report import RequestReport
from qwen_omni.tasks.tool import SOURCES_NOTE, ToolDef

__all__ = [
    "LONG_HINT",
    "SOURCE_HELP",
    "TOOLS",
    "AnalyzeAudioInput",
    "AnalyzeImageInput",
    "AnalyzeResult",
    "AnalyzeVideoInput",
    "run_analyze",
]


class _AnalyzeInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=4096, description=SOURCE_HELP)
    question: str = Field(
        min_length=1,
        max_length=4000,
        description="What to find out, as a complete question or instruction.",
    )


class AnalyzeVideoInput(_AnalyzeInput):
    """Arguments of analyze_video."""


class AnalyzeImageInput(_AnalyzeInput):
    """Arguments of analyze_image."""


class AnalyzeAudioInput(_AnalyzeInput):
    """Arguments of analyze_audio."""


class AnalyzeResult(BaseModel):
    """The model's answer and what was sent to get it."""

    answer: str = Field(description="The model's answer to the question.")
    sent: RequestReport = Field(description="Model, media sent, tokens and cost.")

    def to_text(self) -> str:
        media = ", ".join(
            f"{m.kind} {m.source}" + (f" ({m.duration_s:.0f} s)" if m.duration_s else "")
            for m in self.sent.media
        )
        cost = f", ~{self.sent.cost_cny:.4f} CNY" if self.sent.cost_cny is not None else ""
        return f"{self.answer}\n\n[{self.sent.model}; {media}{cost}]"


async def run_analyze(
    ctx: TaskContext,
    inp: _AnalyzeInput,
    kind: Literal["image", "audio", "video"],
    *,
    model: str | None = None,
    on_text: Callable[[str], None] | None = None,
) -> AnalyzeResult:
    """Ask ``inp.question`` about the medium at ``inp.source``."""
    answer = await ask_about(
        ctx, inp.source, inp.question, expect=(kind,), model=model, on_text=on_text
    )
    return AnalyzeResult(answer=answer.text, sent=answer.report)


def _job(kind: Literal["image", "audio", "video"]) -> Any:
    async def job(ctx: TaskContext, inp: _AnalyzeInput, **options: Any) -> AnalyzeResult:
        return await run_analyze(ctx, inp, kind, **options)

    return job


TOOLS = [
    ToolDef(
        name="analyze_video",
        description=(
            "Watch and listen to a video and answer a question about it (what happens, who "
            "says what, what is shown). For videos longer than the model accepts (a few "
            "minutes at most), use summarize_long_video instead." + SOURCES_NOTE
        ),
        input_model=AnalyzeVideoInput,
        result_model=AnalyzeResult,
        job=_job("video"),
        order=10,
        cli=False,  # `qwen-omni analyze` serves all three (it sniffs the kind)
    ),
    ToolDef(
        name="analyze_image",
        description="Look at an image and answer a question about it." + SOURCES_NOTE,
        input_model=AnalyzeImageInput,
        result_model=AnalyzeResult,
        job=_job("image"),
        order=20,
        cli=False,
    ),
    ToolDef(
        name="analyze_audio",
        description=(
            "Listen to an audio recording and answer a question about it (content, tone, "
            "speakers, sounds). For a plain transcript use transcribe." + SOURCES_NOTE
        ),
        input_model=AnalyzeAudioInput,
        result_model=AnalyzeResult,
        job=_job("audio"),
        order=30,
        cli=False,
    ),
]
