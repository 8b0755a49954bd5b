"""Qwen-Omni agent tools: one LangChain ``BaseTool`` per ``qwen_omni.tasks`` job.

Each tool returns ``(text for the model, result)``: ``response_format="content_and_artifact"``
puts the pydantic result (answer, what was sent, tokens, cost) in ``ToolMessage.artifact``.
Failures the agent can act on (a refused path, unusable media, a busy service) come back as a
``ToolMessage`` with ``status="error"`` and a message that says what to do; configuration
errors (no API key) raise.

The sources an agent names are untrusted: local files are refused unless you allow directories
(``media_roots``), and private or metadata addresses are refused (``qwen_omni.tasks.AccessPolicy``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from langchain_qwen_omni._runtime import QwenOmniSettings, TaskRuntime

if TYPE_CHECKING:
    from qwen_omni.tasks import ToolDef

__all__ = [
    "AnalyzeAudioTool",
    "AnalyzeImageTool",
    "AnalyzeVideoTool",
    "CaptionProductVideoTool",
    "DidCallMentionTool",
    "QwenOmniTool",
    "SummarizeLongVideoTool",
    "TranscribeTool",
]


def _validation_message(exc: ValidationError) -> str:
    from qwen_omni.tasks import refusal_for

    refusal = refusal_for(exc)
    return refusal.to_text() if refusal is not None else str(exc)


def _definition(name: str) -> ToolDef:
    from qwen_omni.tasks import get_tool

    return get_tool(name)


class QwenOmniTool(QwenOmniSettings, BaseTool):
    """Base of the Qwen-Omni tools: runs the core task ``task_name`` for an agent.

    Args (all optional):
        media_roots: directories whose files an agent may name (none by default: no local files).
        policy: a full ``qwen_omni.tasks.AccessPolicy`` (``media_roots`` are added to it).
        api_key, base_url, region, model, asr_model, delivery, timeout, max_retries: the
            connection settings (as for ``ChatQwenOmni``).
        runtime: tasks to share with other tools (the toolkit passes one).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    task_name: ClassVar[str]

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: Any = True
    handle_validation_error: Any = _validation_message

    media_roots: list[str | Path] = Field(default_factory=list)
    """Directories whose files an agent may name; none by default (no local files)."""

    policy: Any = None
    """A ``qwen_omni.tasks.AccessPolicy`` for the sources an agent names (default: public
    http(s) URLs only, plus ``media_roots``)."""

    runtime: Any = Field(default=None, exclude=True, repr=False)
    """Shared ``TaskRuntime`` (the toolkit's); None: built from this tool's settings."""

    def _get_runtime(self) -> TaskRuntime:
        if self.runtime is None:
            policy = self._make_policy(self.media_roots, self.policy)
            self.runtime = TaskRuntime(**self._tasks_kwargs(policy))
        return self.runtime

    @property
    def definition(self) -> ToolDef:
        """The core tool definition (schemas, runner)."""
        return _definition(self.task_name)

    def _finish(self, result: BaseModel) -> tuple[str, BaseModel]:
        from qwen_omni.tasks import ToolRefusal, to_text

        if isinstance(result, ToolRefusal):
            # handle_tool_error turns this into ToolMessage(status="error", content=...).
            raise ToolException(result.to_text())
        return to_text(result), result

    def _run(
        self, run_manager: CallbackManagerForToolRun | None = None, **kwargs: Any
    ) -> tuple[str, BaseModel]:
        definition = self.definition
        result = self._get_runtime().run(lambda tasks: definition.arun(tasks, kwargs))
        return self._finish(result)

    async def _arun(
        self, run_manager: AsyncCallbackManagerForToolRun | None = None, **kwargs: Any
    ) -> tuple[str, BaseModel]:
        tasks = self._get_runtime().async_tasks()
        return self._finish(await self.definition.arun(tasks, kwargs))


def _tool_fields(task: str) -> dict[str, Any]:
    d = _definition(task)
    return {"name": d.name, "description": d.description, "args_schema": d.input_model}


_VIDEO = _tool_fields("analyze_video")
_IMAGE = _tool_fields("analyze_image")
_AUDIO = _tool_fields("analyze_audio")
_MENTION = _tool_fields("did_call_mention")
_CAPTION = _tool_fields("caption_product_video")
_SUMMARY = _tool_fields("summarize_long_video")
_TRANSCRIBE = _tool_fields("transcribe")


class AnalyzeVideoTool(QwenOmniTool):
    """Watch and listen to a video and answer a question about it."""

    task_name: ClassVar[str] = "analyze_video"
    name: str = _VIDEO["name"]
    description: str = _VIDEO["description"]
    args_schema: type[BaseModel] = _VIDEO["args_schema"]


class AnalyzeImageTool(QwenOmniTool):
    """Look at an image and answer a question about it."""

    task_name: ClassVar[str] = "analyze_image"
    name: str = _IMAGE["name"]
    description: str = _IMAGE["description"]
    args_schema: type[BaseModel] = _IMAGE["args_schema"]


class AnalyzeAudioTool(QwenOmniTool):
    """Listen to an audio recording and answer a question about it."""

    task_name: ClassVar[str] = "analyze_audio"
    name: str = _AUDIO["name"]
    description: str = _AUDIO["description"]
    args_schema: type[BaseModel] = _AUDIO["args_schema"]


class DidCallMentionTool(QwenOmniTool):
    """Check a call recording for topics, with quoted evidence, times and confidence."""

    task_name: ClassVar[str] = "did_call_mention"
    name: str = _MENTION["name"]
    description: str = _MENTION["description"]
    args_schema: type[BaseModel] = _MENTION["args_schema"]


class CaptionProductVideoTool(QwenOmniTool):
    """Write a structured marketing caption for a product video."""

    task_name: ClassVar[str] = "caption_product_video"
    name: str = _CAPTION["name"]
    description: str = _CAPTION["description"]
    args_schema: type[BaseModel] = _CAPTION["args_schema"]


class SummarizeLongVideoTool(QwenOmniTool):
    """Summarize a long video segment by segment, keeping each segment's time range."""

    task_name: ClassVar[str] = "summarize_long_video"
    name: str = _SUMMARY["name"]
    description: str = _SUMMARY["description"]
    args_schema: type[BaseModel] = _SUMMARY["args_schema"]


class TranscribeTool(QwenOmniTool):
    """Transcribe the speech in an audio or video recording."""

    task_name: ClassVar[str] = "transcribe"
    name: str = _TRANSCRIBE["name"]
    description: str = _TRANSCRIBE["description"]
    args_schema: type[BaseModel] = _TRANSCRIBE["args_schema"]


TOOL_CLASSES: tuple[type[QwenOmniTool], ...] = (
    AnalyzeVideoTool,
    AnalyzeImageTool,
    AnalyzeAudioTool,
    DidCallMentionTool,
    CaptionProductVideoTool,
    SummarizeLongVideoTool,
    TranscribeTool,
)
