"""What a tool is: :class:`ToolDef`, declared once in its own module under
:mod:`qwen_omni.tasks.tools`, and :func:`to_text`.

Everything else is generated from the declarations (:mod:`qwen_omni.tasks.registry`): the
:class:`~qwen_omni.tasks.AsyncOmniTasks` methods and ``run_tool``, the LangChain tools, the
LlamaIndex tool spec, the MCP server and the CLI commands.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from qwen_omni.redact import redact
from qwen_omni.tasks.context import TaskContext
from qwen_omni.tasks.policy import AccessPolicy
from qwen_omni.tasks.progress import ProgressCallback
from qwen_omni.tasks.refusal import refusal_for

__all__ = ["SOURCES_NOTE", "AsyncToolHost", "Job", "SyncToolHost", "ToolDef", "to_text"]



class AsyncToolHost(Protocol):
    """What runs tools for an agent (:class:`~qwen_omni.tasks.AsyncOmniTasks`)."""

    policy: AccessPolicy

    def context(
        self, *, policy: AccessPolicy | None, progress: ProgressCallback | None
    ) -> TaskContext:
        """The context of one call."""
        ...


class SyncToolHost(Protocol):
    """The synchronous facade (:class:`~qwen_omni.tasks.OmniTasks`)."""

    @property
    def aio(self) -> AsyncToolHost:
        """The async host underneath."""
        ...

    def _run(self, coro: Any) -> Any: ...

logger = logging.getLogger("qwen_omni.tasks")

#: ``job(ctx, arguments, **options)``: the work. ``options`` are the direct caller's extras
#: (``model=``, ``on_text=``…); an agent passes none.
Job = Callable[..., Awaitable[BaseModel]]

#: Said in every tool description: what ``source`` may be.
SOURCES_NOTE = (
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
        job: ``async (ctx, arguments, **options) -> result``; the context carries the
            call's access policy (None for the user's own calls) and progress callback.
        read_only: the tool does not change anything (MCP ``readOnlyHint``).
        order: position in listings (smaller first; ties by name).
        cli: the CLI command: True (the name with dashes), a name, or False (no command).
        cli_settings: :class:`~qwen_omni.tasks.AsyncOmniTasks` settings the CLI command
            offers as options (e.g. ``("asr_model",)``).
    """

    name: str
    description: str
    input_model: type[BaseModel]
    result_model: type[BaseModel]
    job: Job
    read_only: bool = True
    order: int = 1000
    cli: bool | str = True
    cli_settings: tuple[str, ...] = ()

    @property
    def cli_name(self) -> str | None:
        """The CLI command name, or None."""
        if self.cli is False:
            return None
        return self.name.replace("_", "-") if self.cli is True else str(self.cli)

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
        tasks: AsyncToolHost,
        arguments: BaseModel | Mapping[str, Any] | str,
        *,
        progress: ProgressCallback | None = None,
    ) -> BaseModel:
        """Run for an agent: the result, or a :class:`ToolRefusal` the agent can act on.

        The tasks' access policy applies.

        Raises:
            ConfigurationError, AuthenticationError: the operator must act.
            Exception: bugs (anything not mapped by ``refusal_for``).
        """
        try:
            inp = self.parse(arguments)
            ctx = tasks.context(policy=tasks.policy, progress=progress)
            return await self.job(ctx, inp)
        except Exception as exc:
            refusal = refusal_for(exc)
            if refusal is None:
                raise
            logger.info("tool %s refused: %s", self.name, refusal.message)
            return refusal

    def run(
        self,
        tasks: SyncToolHost,
        arguments: BaseModel | Mapping[str, Any] | str,
        *,
        progress: ProgressCallback | None = None,
    ) -> BaseModel:
        """Synchronous :meth:`arun` on an :class:`~qwen_omni.tasks.OmniTasks`."""
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
    render = getattr(result, "to_text", None)
    if callable(render):
        return redact(str(render()))
    return redact(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1))
