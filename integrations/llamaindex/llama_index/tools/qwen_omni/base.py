"""``QwenOmniToolSpec``: the Qwen-Omni agent tools (``qwen_omni.tasks``) as LlamaIndex tools.

Every tool runs the framework-neutral task through its agent path
(``qwen_omni.tasks.registry``): the arguments are validated, the access policy decides which
files and URLs the agent may make us read, and failures the agent can act on (a refused path,
a video too long, a busy service) come back as a message it can read rather than an exception.
"""

import inspect
import threading
from collections.abc import Callable
from typing import Any, Optional

from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec

from qwen_omni.loops import PerLoop
from qwen_omni.tasks import TOOLS, AccessPolicy, AsyncOmniTasks, OmniTasks, ToolDef, to_text

__all__ = ["QwenOmniToolSpec"]


class QwenOmniToolSpec(BaseToolSpec):
    """Qwen-Omni tools for LlamaIndex agents: watch, look, listen, transcribe.

    Tools (each sync and async), generated from the core registry ``qwen_omni.tasks.TOOLS``:
    ``analyze_video``, ``analyze_image``, ``analyze_audio``, ``did_call_mention``,
    ``caption_product_video``, ``summarize_long_video``, ``transcribe`` (and any tool added to
    the core). Their descriptions and argument schemas are the core's (shared with the
    LangChain and MCP tools); each returns the text the agent should read.

    Examples:
        ```python
        from llama_index.core.agent.workflow import FunctionAgent
        from llama_index.llms.qwen_omni import QwenOmni
        from llama_index.tools.qwen_omni import QwenOmniToolSpec
        from qwen_omni.tasks import AccessPolicy

        tools = QwenOmniToolSpec(policy=AccessPolicy(roots=["/srv/media"])).to_tool_list()
        agent = FunctionAgent(llm=QwenOmni(), tools=tools)
        print(await agent.run("What happens in demo.mp4?"))
        ```

    Args:
        policy: what the agent may make the tools read. Default: public http(s) URLs only,
            no local files; give ``AccessPolicy(roots=[...])`` to allow a media folder
            (a relative path an agent gives is read from the first root).
        model: the Qwen-Omni model the tools use (default ``qwen3-omni-flash``).
        **kwargs: more ``AsyncOmniTasks`` settings (``summary_model``, ``asr_model``,
            ``segment_seconds``, ``max_concurrency``…) and client settings (``api_key``,
            ``base_url``, ``region``, ``delivery``…).
    """

    # BaseToolSpec declares this as an instance attribute; set per instance from the registry.
    spec_functions: list[SPEC_FUNCTION_TYPE]

    def __init__(
        self,
        *,
        policy: Optional[AccessPolicy] = None,
        model: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        _install_tools()
        self.spec_functions = [(t.name, f"a{t.name}") for t in TOOLS]
        self.policy = policy or AccessPolicy()
        self._settings: dict[str, Any] = {"policy": self.policy, "model": model, **kwargs}
        self._sync: Optional[OmniTasks] = None
        self._lock = threading.Lock()
        # One AsyncOmniTasks (and HTTP pool) per event loop, like the LLM's clients.
        self._async: PerLoop[AsyncOmniTasks] = PerLoop(lambda: AsyncOmniTasks(**self._settings))

    # --- runners ------------------------------------------------------------------------------

    @property
    def tasks(self) -> OmniTasks:
        """The synchronous tasks (a private event loop in a background thread)."""
        if self._sync is None:
            with self._lock:
                if self._sync is None:
                    self._sync = OmniTasks(**self._settings)
        return self._sync

    @property
    def async_tasks(self) -> AsyncOmniTasks:
        """The async tasks of the running event loop."""
        return self._async.get()

    def close(self) -> None:
        """Stop the background loop of the sync tools (async tools close with their loop)."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        """Close the HTTP pool of this event loop's async tools."""
        tasks = self._async.pop()
        if tasks is not None:
            await tasks.aclose()

    def _run(self, name: str, **arguments: Any) -> str:
        return to_text(self.tasks.run_tool(name, _given(arguments)))

    async def _arun(self, name: str, **arguments: Any) -> str:
        return to_text(await self.async_tasks.run_tool(name, _given(arguments)))

    # --- schemas: the tasks' own input models -------------------------------------------------

    def get_fn_schema_from_fn_name(
        self, fn_name: str, spec_functions: Optional[list[SPEC_FUNCTION_TYPE]] = None
    ) -> Optional[type[BaseModel]]:
        """The argument model of the task behind ``fn_name`` (field descriptions included)."""
        by_name = {t.name: t for t in TOOLS}
        name = fn_name[1:] if fn_name.startswith("a") and fn_name[1:] in by_name else fn_name
        if name not in by_name:
            raise ValueError(f"{fn_name!r} is not a Qwen-Omni tool; tools: {', '.join(by_name)}")
        return by_name[name].input_model


def _given(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments the agent actually gave (optional ones left out stay at their default)."""
    return {k: v for k, v in arguments.items() if v is not None}


def _signature(tool: ToolDef) -> inspect.Signature:
    """``(self, source: str, question: str) -> str``: the input model's fields (optional ones
    default to None), as BaseToolSpec shows them in the tool description."""
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, info in tool.input_model.model_fields.items():
        annotation = info.annotation
        if info.is_required():
            params.append(
                inspect.Parameter(
                    name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation
                )
            )
        else:
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    default=None,
                    annotation=Optional[annotation],
                )
            )
    return inspect.Signature(params, return_annotation=str)


def _bind(tool: ToolDef, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    bound = _signature(tool).bind(None, *args, **kwargs)
    bound.arguments.pop("self")
    return dict(bound.arguments)


def _methods(tool: ToolDef) -> tuple[Callable[..., str], Callable[..., Any]]:
    """The sync and async methods of one tool (named ``name`` and ``aname``)."""

    def run(self: QwenOmniToolSpec, *args: Any, **kwargs: Any) -> str:
        return self._run(tool.name, **_bind(tool, args, kwargs))

    async def arun(self: QwenOmniToolSpec, *args: Any, **kwargs: Any) -> str:
        return await self._arun(tool.name, **_bind(tool, args, kwargs))

    for method, name in ((run, tool.name), (arun, f"a{tool.name}")):
        method.__name__ = name
        method.__qualname__ = f"QwenOmniToolSpec.{name}"
        # One source of truth for what an agent reads: the registry's description becomes the
        # docstring, which BaseToolSpec turns into the tool description.
        method.__doc__ = tool.description
        method.__signature__ = _signature(tool)  # type: ignore[union-attr]
    return run, arun


def _install_tools() -> None:
    """Give the spec a sync and an async method per tool of the registry (once each)."""
    for tool in TOOLS:
        if tool.name not in QwenOmniToolSpec.__dict__:
            run, arun = _methods(tool)
            setattr(QwenOmniToolSpec, tool.name, run)
            setattr(QwenOmniToolSpec, f"a{tool.name}", arun)


_install_tools()
