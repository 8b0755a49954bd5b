"""did_call_mention: which topics a call recording mentions, with quoted evidence and times."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qwen_omni.tasks.context import TaskContext
from qwen_omni.tasks.pipeline import SOURCE_HELP, ask_about
from qwen_omni.tasks.report import RequestReport
from qwen_omni.tasks.tool import SOURCES_NOTE, ToolDef

__all__ = [
    "TOOL",
    "DidCallMentionInput",
    "MentionAnswer",
    "MentionResult",
    "TopicMention",
    "run_mention",
]

MAX_TOPICS = 20
_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$")


def parse_clock(value: Any) -> float | None:
    """Seconds from ``83``, ``"83"``, ``"1:23"``, ``"01:02:03"``, ``"83s"`` (None for blank)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().rstrip("sS").strip()
    m = _CLOCK.match(text)
    if m:
        hours = int(m.group(1) or 0)
        return hours * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    return float(text)


class DidCallMentionInput(BaseModel):
    """Arguments of did_call_mention."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=4096, description=SOURCE_HELP)
    topics: list[str] = Field(
        min_length=1,
        max_length=MAX_TOPICS,
        description="Topics to look for, each a short phrase (e.g. 'pricing', 'a refund').",
    )

    @field_validator("topics")
    @classmethod
    def _clean_topics(cls, topics: list[str]) -> list[str]:
        cleaned: list[str] = []
        for topic in topics:
            t = " ".join(topic.split())
            if not t:
                raise ValueError("a topic is empty")
            if len(t) > 200:
                raise ValueError("a topic is longer than 200 characters; use a short phrase")
            if t.lower() not in (c.lower() for c in cleaned):
                cleaned.append(t)
        return cleaned


class TopicMention(BaseModel):
    """Whether one topic came up in the call."""

    topic: str = Field(description="The topic, as asked.")
    mentioned: bool = Field(description="True when the call talks about the topic.")
    evidence: str | None = Field(
        default=None,
        max_length=1000,
        description="A short verbatim quote from the call that shows it.",
    )
    time_s: float | None = Field(
        default=None, ge=0, description="Approximate time of the evidence, seconds from start."
    )
    confidence: float = Field(ge=0, le=1, description="0 to 1.")

    @field_validator("time_s", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> float | None:
        return parse_clock(value)


class MentionAnswer(BaseModel):
    """The JSON the model is asked for: one entry per topic."""

    mentions: list[TopicMention]


class MentionResult(BaseModel):
    """Per topic: mentioned or not, quoted evidence, approximate time, confidence."""

    mentions: list[TopicMention]
    repaired: bool = Field(
        default=False, description="True when the model's JSON had to be repaired or re-asked."
    )
    sent: RequestReport

    def mention(self, topic: str) -> TopicMention:
        """The entry for ``topic`` (case-insensitive)."""
        for m in self.mentions:
            if m.topic.lower() == topic.lower():
                return m
        raise KeyError(topic)

    def to_text(self) -> str:
        lines = []
        for m in self.mentions:
            if m.mentioned:
                at = f" at ~{_clock(m.time_s)}" if m.time_s is not None else ""
                quote = f': "{m.evidence}"' if m.evidence else ""
                lines.append(f"- {m.topic}: MENTIONED{at} (confidence {m.confidence:.2f}){quote}")
            else:
                lines.append(f"- {m.topic}: not mentioned (confidence {m.confidence:.2f})")
        return "\n".join(lines)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _checker(topics: list[str], duration: float | None) -> Any:
    def check(answer: MentionAnswer) -> None:
        wanted = {t.lower(): t for t in topics}
        seen: dict[str, int] = {}
        for m in answer.mentions:
            seen[m.topic.strip().lower()] = seen.get(m.topic.strip().lower(), 0) + 1
        missing = [t for k, t in wanted.items() if k not in seen]
        extra = [k for k in seen if k not in wanted]
        dupes = [k for k, n in seen.items() if n > 1]
        problems = []
        if missing:
            problems.append(f"missing topics: {missing}")
        if extra:
            problems.append(f"topics that were not asked: {extra}")
        if dupes:
            problems.append(f"topics listed more than once: {dupes}")
        for m in answer.mentions:
            if m.mentioned and not (m.evidence or "").strip():
                problems.append(f"topic {m.topic!r} is mentioned but has no quoted evidence")
            if duration and m.time_s is not None and m.time_s > duration + 5:
                problems.append(
                    f"topic {m.topic!r}: time_s {m.time_s:.0f} is after the end of the "
                    f"recording ({duration:.0f} s)"
                )
        if problems:
            raise ValueError(
                "the answer does not cover the topics correctly: " + "; ".join(problems)
            )

    return check


def _prompt(topics: list[str]) -> str:
    listed = "\n".join(f"- {t}" for t in topics)
    return (
        "This is a recording of a call. For each topic below, decide whether the call talks "
        "about it. For a mentioned topic, quote the words said (verbatim, short) as evidence "
        "and give the approximate time in seconds from the start as time_s. Give a confidence "
        "from 0 to 1. Include every topic exactly once, spelled as given, in a JSON object "
        '{"mentions": [{"topic", "mentioned", "evidence", "time_s", "confidence"}]}.\n'
        f"Topics:\n{listed}"
    )


async def run_mention(
    ctx: TaskContext, inp: DidCallMentionInput, *, model: str | None = None
) -> MentionResult:
    """One request for all topics; JSON validated, repaired or re-asked once."""
    answer = await ask_about(
        ctx,
        inp.source,
        _prompt(inp.topics),
        expect=("audio", "video"),
        model=model,
        schema=MentionAnswer,
        check=lambda media: _checker(inp.topics, media.duration_s),
        audio_only=True,
        needs_sound=True,
    )
    by_topic = {m.topic.strip().lower(): m for m in answer.value.mentions}
    # Keep the caller's order and spelling.
    mentions = [
        by_topic[t.lower()].model_copy(update={"topic": t})
        for t in inp.topics
        if t.lower() in by_topic
    ]
    return MentionResult(mentions=mentions, repaired=answer.repaired, sent=answer.report)


async def _job(ctx: TaskContext, inp: DidCallMentionInput, **options: Any) -> BaseModel:
    return await run_mention(ctx, inp, **options)


TOOL = ToolDef(
    name="did_call_mention",
    description=(
        "Check a call recording (audio or video) for topics: for each topic, whether it "
        "was mentioned, a short verbatim quote as evidence, the approximate time in "
        "seconds, and a confidence from 0 to 1. Give all topics in one call (up to 20)."
        + SOURCES_NOTE
    ),
    input_model=DidCallMentionInput,
    result_model=MentionResult,
    job=_job,
    order=40,
    cli="mention",
)
