"""analyze_video, analyze_image, analyze_audio: one question about one medium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from qwen_omni.tasks.progress import Progress, ProgressCallback, emit
from qwen_omni.tasks.report import RequestReport, report_for
from qwen_omni.tasks.sources import check_duration, resolve_media

if TYPE_CHECKING:
    from qwen_omni.tasks.policy import AccessPolicy
    from qwen_omni.tasks.toolkit import AsyncOmniTasks

__all__ = [
    "AnalyzeAudioInput",
    "AnalyzeImageInput",
    "AnalyzeResult",
    "AnalyzeVideoInput",
    "run_analyze",
]

SOURCE_HELP = (
    "The media to read: a public http(s) URL of the file itself (not a web page), or a path "
    "under the media directory the user allowed (relative paths start there)."
)


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


LONG_HINT = "use summarize_long_video, which splits it, or a model with a higher limit"


async def run_analyze(
    tasks: AsyncOmniTasks,
    inp: _AnalyzeInput,
    kind: Literal["image", "audio", "video"],
    *,
    policy: AccessPolicy | None,
    progress: ProgressCallback | None = None,
    model: str | None = None,
    on_text: Callable[[str], None] | None = None,
) -> AnalyzeResult:
    """Ask ``inp.question`` about the medium at ``inp.source``."""
    spec = tasks.spec(model)
    expect: tuple[Literal["image", "audio", "video"], ...] = (kind,)
    await emit(progress, Progress("prepare", 0, 1, f"checking {inp.source}"))
    with tasks.scratch() as tmp:
        media = await resolve_media(inp.source, expect=expect, policy=policy, spec=spec)
        check_duration(media.sent.source, media.kind, media.duration_s, spec, hint=LONG_HINT)
        media = await tasks.prepare(media, spec, Path(tmp), progress=progress)
        await emit(progress, Progress("request", 0, 1, f"asking {spec.name}"))
        response = await tasks.ask([media.part], inp.question, model=spec.name, on_text=on_text)
    await emit(progress, Progress("request", 1, 1, "answered"))
    report = report_for(response, model=spec.name, media=[media.sent], region=tasks.price_region)
    return AnalyzeResult(answer=response.text.strip(), sent=report)
