"""summarize_long_video: split, summarize the segments concurrently, summarize the summaries.

The field guide's pattern for anything over a few minutes: 90-second chunks, one summary each
(Qwen-Omni, sees and hears the chunk), then the summary of summaries with a text model
(``qwen-plus`` by default). Segments run concurrently, at most ``max_concurrency`` at once.
A failed segment is tried once more; if it fails again the result names the missing time
range (``complete=False``, ``missing``) and the final summary is told not to fill the gap.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qwen_omni.catalog import ModelSpec
from qwen_omni.errors import (
    AuthenticationError,
    ConfigurationError,
    PermissionDeniedError,
    QwenOmniError,
)
from qwen_omni.tasks.context import TaskContext
from qwen_omni.tasks.pipeline import SOURCE_HELP, ask, localize, prepare, segment_stream
from qwen_omni.tasks.refusal import TaskFailed
from qwen_omni.tasks.report import RequestReport, report_for, total_cost
from qwen_omni.tasks.sources import ResolvedMedia, resolve_media
from qwen_omni.tasks.tool import SOURCES_NOTE, ToolDef

__all__ = [
    "TOOL",
    "NoSegmentAnalysed",
    "SegmentSummary",
    "SummarizeLongVideoInput",
    "SummaryResult",
    "TimeRange",
    "run_summarize",
]

#: errors the operator must fix: retrying a segment or summarising around them is pointless
_FATAL = (ConfigurationError, AuthenticationError, PermissionDeniedError)
MIN_SEGMENT_S = 10.0


class NoSegmentAnalysed(TaskFailed):
    """Every segment of a long video failed twice; ``errors`` holds each segment's error."""

    def __init__(self, message: str, *, errors: list[str]) -> None:
        super().__init__(message)
        self.errors = errors


class SummarizeLongVideoInput(BaseModel):
    """Arguments of summarize_long_video."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=4096, description=SOURCE_HELP)
    focus: str | None = Field(
        default=None,
        max_length=2000,
        description="Optional: what the summary should concentrate on (a question or theme).",
    )
    segment_seconds: float | None = Field(
        default=None,
        ge=MIN_SEGMENT_S,
        le=3600,
        description="Optional segment length in seconds (default 90; capped at the model's limit).",
    )


class TimeRange(BaseModel):
    """A stretch of the video, in seconds from the start."""

    start_s: float
    end_s: float

    def label(self) -> str:
        return f"{_clock(self.start_s)}–{_clock(self.end_s)}"


class SegmentSummary(BaseModel):
    """One segment: its time range and summary, or why it is missing."""

    index: int
    start_s: float
    end_s: float
    status: Literal["ok", "failed"]
    summary: str | None = None
    error: str | None = None
    attempts: int = 1
    sent: RequestReport | None = None


class SummaryResult(BaseModel):
    """The summary of a long video, with each segment's time range and summary."""

    summary: str = Field(description="The summary of the whole video (of the parts analysed).")
    complete: bool = Field(description="False when some segment could not be analysed.")
    missing: list[TimeRange] = Field(
        default_factory=list, description="Time ranges the summary does not cover."
    )
    segments: list[SegmentSummary]
    duration_s: float | None = None
    model: str = Field(description="The model that analysed the segments.")
    summary_model: str | None = Field(
        default=None,
        description="The text model that wrote the final summary (None: one "
        "segment, no final pass).",
    )
    final: RequestReport | None = None
    final_error: str | None = Field(
        default=None,
        description="Set when the final summary failed; the summary is then the segment list.",
    )
    total_cost_cny: float | None = None
    elapsed_s: float = 0.0
    trades: list[str] = Field(
        default_factory=list,
        description="What segment preparation gave up so that every segment could be sent "
        "(e.g. a bitrate cap to fit the inline limit when no upload store is configured).",
    )

    def to_text(self) -> str:
        head = self.summary
        if not self.complete:
            gaps = ", ".join(r.label() for r in self.missing)
            head += f"\n\n[INCOMPLETE: could not analyse {gaps}]"
        parts = "\n".join(
            f"- {_clock(s.start_s)}–{_clock(s.end_s)}: " + (s.summary or f"(missing: {s.error})")
            for s in self.segments
        )
        return f"{head}\n\nSegments:\n{parts}"


def _clock(seconds: float) -> str:
    s = round(seconds)
    return (
        f"{s // 60}:{s % 60:02d}" if s < 3600 else f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    )


def _segment_prompt(index: int, total: int, start: float, end: float, focus: str | None) -> str:
    focus_line = f" Pay particular attention to: {focus}." if focus else ""
    return (
        f"This is part {index + 1} of {total} of a longer video, from {_clock(start)} to "
        f"{_clock(end)}. Summarize what happens and what is said in this part in a short "
        f"paragraph; mention times relative to the whole video where useful.{focus_line}"
    )


def _final_prompt(segments: list[SegmentSummary], focus: str | None) -> str:
    lines = []
    for s in segments:
        span = f"{_clock(s.start_s)}–{_clock(s.end_s)}"
        if s.status == "ok":
            lines.append(f"[{span}] {s.summary}")
        else:
            lines.append(f"[{span}] MISSING: this part could not be analysed.")
    focus_line = f" Concentrate on: {focus}." if focus else ""
    gap_line = (
        " Some parts are MISSING: do not guess what happens there; say plainly which time "
        "ranges the summary does not cover."
        if any(s.status != "ok" for s in segments)
        else ""
    )
    return (
        "Below are summaries of consecutive parts of one video, with their time ranges. Write "
        "one coherent summary of the whole video (a few paragraphs), keeping the order of "
        f"events and the key times.{focus_line}{gap_line}\n\n" + "\n".join(lines)
    )


async def _summarize_segment(
    ctx: TaskContext,
    media: ResolvedMedia,
    index: int,
    total: int,
    start: float,
    end: float,
    focus: str | None,
    spec: ModelSpec,
    workdir: Path,
    *,
    prepared: bool = False,
) -> SegmentSummary:
    prompt = _segment_prompt(index, total, start, end, focus)
    model = spec.name
    last: QwenOmniError | None = None
    ready: ResolvedMedia | None = media if prepared else None
    for attempt in (1, 2):
        try:
            if ready is None:
                # each segment is prepared (720p, fps preset) while others are in flight
                folder = workdir / f"segment_{index:03d}"
                folder.mkdir(exist_ok=True)
                ready = await prepare(ctx, media, spec, folder)
            response = await ask(ctx, [ready.part], prompt, model=model)
        except _FATAL:
            raise
        except QwenOmniError as exc:
            last = exc
            continue
        text = response.text.strip()
        if not text:
            last = QwenOmniError("the model returned an empty summary")
            continue
        report = report_for(response, model=model, media=[ready.sent], region=ctx.price_region)
        return SegmentSummary(
            index=index, start_s=start, end_s=end, status="ok", summary=text,
            attempts=attempt, sent=report,
        )  # fmt: skip
    return SegmentSummary(
        index=index, start_s=start, end_s=end, status="failed",
        error=f"{type(last).__name__}: {last}", attempts=2,
    )  # fmt: skip


async def run_summarize(
    ctx: TaskContext,
    inp: SummarizeLongVideoInput,
    *,
    model: str | None = None,
    summary_model: str | None = None,
) -> SummaryResult:
    """Split, map (concurrently, bounded), reduce with a text model."""
    started = time.monotonic()
    spec = ctx.spec(model)
    final_model = summary_model or ctx.settings.summary_model
    seconds = ctx.segment_length(inp.segment_seconds, spec)
    await ctx.report("prepare", 0, None, f"checking {inp.source}")
    with tempfile.TemporaryDirectory(prefix="qwen-omni-summary-", dir=ctx.workdir) as tmp:
        workdir = Path(tmp)
        media = await resolve_media(inp.source, expect=("video",), policy=ctx.policy, spec=spec)
        local = await localize(ctx, media, workdir)
        duration = local.duration_s
        await ctx.report("prepare", 0, None, "splitting into segments")
        stream = await segment_stream(ctx, local, seconds, spec, workdir)
        total = len(stream.ranges)
        await ctx.report("prepare", 1, 1, f"{total} segment(s) of ≤{seconds:.0f} s")

        limit = asyncio.Semaphore(ctx.settings.max_concurrency)
        done = 0

        async def one(i: int) -> SegmentSummary:
            nonlocal done
            start, end = stream.ranges[i]
            try:
                # a segment is sent as soon as it is ready, while later ones are encoded
                piece = await stream.pieces[i]
            except _FATAL:
                raise
            except Exception as exc:  # the segment could not be prepared
                seg = SegmentSummary(
                    index=i, start_s=start, end_s=end, status="failed",
                    error=f"{type(exc).__name__}: {exc}", attempts=0,
                )  # fmt: skip
            else:
                async with limit:
                    seg = await _summarize_segment(
                        ctx, piece.media, i, total, piece.start_s, piece.end_s, inp.focus,
                        spec, workdir, prepared=stream.prepared,
                    )  # fmt: skip
            done += 1
            state = "done" if seg.status == "ok" else "FAILED"
            await ctx.report(
                "segments",
                done,
                total,
                f"segment {i + 1}/{total} ({_clock(seg.start_s)}–{_clock(seg.end_s)}) {state}",
            )
            return seg

        await ctx.report("segments", 0, total, f"analysing {total} segment(s)")
        try:
            segments = list(await asyncio.gather(*(one(i) for i in range(total))))
        finally:
            await stream.close()

    ok = [s for s in segments if s.status == "ok"]
    missing = [TimeRange(start_s=s.start_s, end_s=s.end_s) for s in segments if s.status != "ok"]
    if not ok:
        raise NoSegmentAnalysed(
            f"no segment of {inp.source} could be analysed ({segments[0].error}); check the "
            "video and try again later",
            errors=[s.error or "" for s in segments],
        )
    reports = [s.sent for s in ok if s.sent is not None]
    final: RequestReport | None = None
    final_error: str | None = None
    used_summary_model: str | None = None
    if total == 1:
        summary = ok[0].summary or ""
    else:
        await ctx.report("summary", 0, 1, f"summarizing with {final_model}")
        used_summary_model = final_model
        try:
            response = await ask(ctx, [], _final_prompt(segments, inp.focus), model=final_model)
            summary = response.text.strip()
            final = report_for(response, model=final_model, media=[], region=ctx.price_region)
            reports.append(final)
        except _FATAL:
            raise
        except QwenOmniError as exc:
            final_error = f"{type(exc).__name__}: {exc}"
            summary = "\n".join(f"[{_clock(s.start_s)}–{_clock(s.end_s)}] {s.summary}" for s in ok)
        await ctx.report("summary", 1, 1, "done")
    return SummaryResult(
        summary=summary,
        complete=not missing,
        missing=missing,
        segments=segments,
        duration_s=duration,
        model=spec.name,
        summary_model=used_summary_model,
        final=final,
        final_error=final_error,
        total_cost_cny=total_cost(reports),
        elapsed_s=round(time.monotonic() - started, 3),
        trades=list(stream.trades),
    )


async def _job(ctx: TaskContext, inp: SummarizeLongVideoInput, **options: Any) -> BaseModel:
    return await run_summarize(ctx, inp, **options)


TOOL = ToolDef(
    name="summarize_long_video",
    description=(
        "Summarize a long video (minutes to hours): it is split into segments (90 s by "
        "default), each segment is analysed, and the segment summaries are combined. The "
        "result keeps each segment's time range and summary, and says which parts are "
        "missing if any segment failed. Optionally give a focus." + SOURCES_NOTE
    ),
    input_model=SummarizeLongVideoInput,
    result_model=SummaryResult,
    job=_job,
    order=60,
    cli="summarize",
    cli_settings=("summary_model",),
)
