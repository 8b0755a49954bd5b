"""Qwen-Omni agent tools: one LangChain ``BaseTool`` per ``qwen_omni.tasks`` tool, generated.

The classes (``AnalyzeVideoTool``, ``DidCallMentionTool``…: the tool name in CamelCase plus
``Tool``) are made from the core registry (``qwen_omni.tasks.TOOLS``): name, description and
argument schema are the core's, so a tool added to the core appears here with no edit.

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

__all__ = [  # noqa: F822 - the tool classes come from __getattr__ (generated)
    "AnalyzeAudioTool",
    "AnalyzeImageTool",
    "AnalyzeVideoTool",
    "CaptionProductVideoTool",
    "DidCallMentionTool",
    "QwenOmniTool",
    "SummarizeLongVideoTool",
    "TranscribeTool",
    "class_name",
    "tool_class",
    "tool_classes",
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


# --- the tool classes, generated from the core registry (one per ToolDef) ---------------------


def class_name(tool_name: str) -> str:
    """``analyze_video`` → ``AnalyzeVideoTool``."""
    return "".join(part.capitalize() for part in tool_name.split("_")) + "Tool"


_CLASSES: dict[str, type[QwenOmniTool]] = {}


def tool_class(tool: ToolDef) -> type[QwenOmniTool]:
    """The ``QwenOmniTool`` subclass of a core tool (made once, then reused)."""
    cls = _CLASSES.get(tool.name)
    if cls is None:
        name = class_name(tool.name)
        summary = tool.description.split(". ")[0].rstrip(".") + "."
        namespace: dict[str, Any] = {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": summary,
            "__annotations__": {
                "name": str,
                "description": str,
                "args_schema": type[BaseModel],
            },
            "task_name": tool.name,
            "name": tool.name,
            "description": tool.description,
            "args_schema": tool.input_model,
        }
        cls = _CLASSES[tool.name] = type(name, (QwenOmniTool,), namespace)
    return cls


def tool_classes() -> tuple[type[QwenOmniTool], ...]:
    """One class per tool of ``qwen_omni.tasks.TOOLS``, in its order."""
    from qwen_omni.tasks import TOOLS

    return tuple(tool_class(t) for t in TOOLS)


def __getattr__(name: str) -> Any:
    # ``AnalyzeVideoTool`` and friends: the class of the registry's tool of that name.
    if name == "TOOL_CLASSES":
        return tool_classes()
    for cls in tool_classes():
        if cls.__name__ == name:
            return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
