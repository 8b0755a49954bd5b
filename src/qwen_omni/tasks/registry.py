"""The tool registry the framework wrappers iterate over: name, description, schemas, runner.

Each :class:`ToolDef` has what LangChain (``StructuredTool``), LlamaIndex (``FunctionTool``) and
MCP (``tools/list``, ``tools/call``) need::

    for tool in TOOLS:
        tool.name, tool.description             # the description is written for an agent
        tool.input_model, tool.result_model     # pydantic models (JSON schema via the model)
        result = await tool.arun(tasks, {"source": ..., ...})   # result or ToolRefusal
        text = to_text(result)                  # what the agent should read

``arun`` is the agent path: arguments are validated, the tasks' access policy applies, and
what the agent can act on comes back as a :class:`ToolRefusal` instead of an exception.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from qwen_omni.tasks.analyze import (
    AnalyzeAudioInput,
    AnalyzeImageInput,
    AnalyzeResult,
    AnalyzeVideoInput,
    run_analyze,
)
from qwen_omni.tasks.caption import (
    CaptionProductVideoInput,
    CaptionResult,
    ProductCaption,
    run_caption,
)
from qwen_omni.tasks.mention import DidCallMentionInput, MentionResult, run_mention
from qwen_omni.tasks.progress import ProgressCallback
from qwen_omni.tasks.refusal import refusal_for
from qwen_omni.tasks.summarize import SummarizeLongVideoInput, SummaryResult, run_summarize
from qwen_omni.tasks.transcribe import TranscribeInput, TranscriptResult, run_transcribe

if TYPE_CHECKING:
    from qwen_omni.tasks.toolkit import AsyncOmniTasks, OmniTasks

__all__ = ["TOOLS", "ToolDef", "get_tool", "to_text"]

logger = logging.getLogger("qwen_omni.tasks")

Runner = Callable[["AsyncOmniTasks", Any, "ProgressCallback | None"], Awaitable[BaseModel]]

_SOURCES = (
    " The source is a public http(s) URL of the media file itself, or a path under the media "
    "directory the user allowed (local files are refused unless the user configured one)."
)


@dataclass(frozen=True)
class ToolDef:
    """One agent tool.

    Attributes:
        name: the tool name (``analyze_video``…).
        description: what an agent reads to decide when and how to call it.
        input_model: the pydantic model of the arguments.
        result_model: the pydantic model of a successful result.
        runner: ``(tasks, input, progress) -> result`` with the agent policy applied.
        read_only: the tool does not change anything (MCP ``readOnlyHint``).
    """

    name: str
    description: str
    input_model: type[BaseModel]
    result_model: type[BaseModel]
    runner: Runner
    read_only: bool = True

    def parse(self, arguments: BaseModel | Mapping[str, Any] | str) -> BaseModel:
        """Validate arguments (a model, a dict or a JSON string) into :attr:`input_model`."""
        if isinstance(arguments, self.input_model):
            return arguments
        if isinstance(arguments, BaseModel):
            arguments = arguments.model_dump()
        if isinstance(arguments, str):
            return self.input_model.model_validate_json(arguments or "{}")
        return self.input_model.model_validate(dict(arguments))

    async def arun(
        self,
        tasks: AsyncOmniTasks,
        arguments: BaseModel | Mapping[str, Any] | str,
        *,
        progress: ProgressCallback | None = None,
    ) -> BaseModel:
        """Run for an agent: the result, or a :class:`ToolRefusal` the agent can act on.

        Raises:
            ConfigurationError, AuthenticationError: the operator must act.
            Exception: bugs (anything not mapped by ``refusal_for``).
        """
        try:
            inp = self.parse(arguments)
            return await self.runner(tasks, inp, progress)
        except Exception as exc:
            refusal = refusal_for(exc)
            if refusal is None:
                raise
            logger.info("tool %s refused: %s", self.name, refusal.message)
            return refusal

    def run(
        self,
        tasks: OmniTasks,
        arguments: BaseModel | Mapping[str, Any] | str,
        *,
        progress: ProgressCallback | None = None,
    ) -> BaseModel:
        """Synchronous :meth:`arun` on an :class:`OmniTasks`."""
        return tasks._run(self.arun(tasks.aio, arguments, progress=progress))

    def input_schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments."""
        return self.input_model.model_json_schema()

    def output_schema(self) -> dict[str, Any]:
        """The JSON schema of a successful result."""
        return self.result_model.model_json_schema()


def to_text(result: BaseModel) -> str:
    """The text an agent should read for a result or a refusal (configured secrets masked,
    even when the model or a service echoed one)."""
    from qwen_omni.redact import redact

    render = getattr(result, "to_text", None)
    if callable(render):
        return redact(str(render()))
    return redact(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1))


# --- the runners (agent path: the tasks' policy applies) --------------------------------------


async def _video(tasks: AsyncOmniTasks, inp: Any, progress: ProgressCallback | None) -> BaseModel:
    return await run_analyze(tasks, inp, "video", policy=tasks.policy, progress=progress)


async def _image(tasks: AsyncOmniTasks, inp: Any, progress: ProgressCallback | None) -> BaseModel:
    return await run_analyze(tasks, inp, "image", policy=tasks.policy, progress=progress)


async def _audio(tasks: AsyncOmniTasks, inp: Any, progress: ProgressCallback | None) -> BaseModel:
    return await run_analyze(tasks, inp, "audio", policy=tasks.policy, progress=progress)


async def _mention(tasks: AsyncOmniTasks, inp: Any, progress: ProgressCallback | None) -> BaseModel:
    return await run_mention(tasks, inp, policy=tasks.policy, progress=progress)


async def _caption(tasks: AsyncOmniTasks, inp: Any, progress: ProgressCallback | None) -> BaseModel:
    return await run_caption(
        tasks, inp, schema=ProductCaption, policy=tasks.policy, progress=progress
    )


async def _summarize(
    tasks: AsyncOmniTasks, inp: Any, progress: ProgressCallback | None
) -> BaseModel:
    return await run_summarize(tasks, inp, policy=tasks.policy, progress=progress)


async def _transcribe(
    tasks: AsyncOmniTasks, inp: Any, progress: ProgressCallback | None
) -> BaseModel:
    return await run_transcribe(tasks, inp, policy=tasks.policy, progress=progress)


TOOLS: list[ToolDef] = [
    ToolDef(
        name="analyze_video",
        description=(
            "Watch and listen to a video and answer a question about it (what happens, who "
            "says what, what is shown). For videos longer than the model accepts (a few "
            "minutes at most), use summarize_long_video instead." + _SOURCES
        ),
        input_model=AnalyzeVideoInput,
        result_model=AnalyzeResult,
        runner=_video,
    ),
    ToolDef(
        name="analyze_image",
        description="Look at an image and answer a question about it." + _SOURCES,
        input_model=AnalyzeImageInput,
        result_model=AnalyzeResult,
        runner=_image,
    ),
    ToolDef(
        name="analyze_audio",
        description=(
            "Listen to an audio recording and answer a question about it (content, tone, "
            "speakers, sounds). For a plain transcript use transcribe." + _SOURCES
        ),
        input_model=AnalyzeAudioInput,
        result_model=AnalyzeResult,
        runner=_audio,
    ),
    ToolDef(
        name="did_call_mention",
        description=(
            "Check a call recording (audio or video) for topics: for each topic, whether it "
            "was mentioned, a short verbatim quote as evidence, the approximate time in "
            "seconds, and a confidence from 0 to 1. Give all topics in one call (up to 20)."
            + _SOURCES
        ),
        input_model=DidCallMentionInput,
        result_model=MentionResult,
        runner=_mention,
    ),
    ToolDef(
        name="caption_product_video",
        description=(
            "Write a structured marketing caption for a product video: scene_description, "
            "product_features (list), target_audience and music_style." + _SOURCES
        ),
        input_model=CaptionProductVideoInput,
        result_model=CaptionResult[ProductCaption],
        runner=_caption,
    ),
    ToolDef(
        name="summarize_long_video",
        description=(
            "Summarize a long video (minutes to hours): it is split into segments (90 s by "
            "default), each segment is analysed, and the segment summaries are combined. The "
            "result keeps each segment's time range and summary, and says which parts are "
            "missing if any segment failed. Optionally give a focus." + _SOURCES
        ),
        input_model=SummarizeLongVideoInput,
        result_model=SummaryResult,
        runner=_summarize,
    ),
    ToolDef(
        name="transcribe",
        description=(
            "Transcribe the speech in an audio or video recording to text (verbatim). Use "
            "analyze_audio or did_call_mention when you need understanding rather than words."
            + _SOURCES
        ),
        input_model=TranscribeInput,
        result_model=TranscriptResult,
        runner=_transcribe,
    ),
]

_BY_NAME = {t.name: t for t in TOOLS}


def get_tool(name: str) -> ToolDef:
    """The tool called ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no tool named {name!r}; tools: {', '.join(_BY_NAME)}") from None
