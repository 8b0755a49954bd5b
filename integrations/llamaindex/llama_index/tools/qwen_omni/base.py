"""``QwenOmniToolSpec``: the Qwen-Omni agent tools (``qwen_omni.tasks``) as LlamaIndex tools.

Every tool runs the framework-neutral task through its agent path
(``qwen_omni.tasks.registry``): the arguments are validated, the access policy decides which
files and URLs the agent may make us read, and failures the agent can act on (a refused path,
a video too long, a busy service) come back as a message it can read rather than an exception.
"""

import threading
from typing import Any, Optional

from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec

from qwen_omni.loops import PerLoop
from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks, OmniTasks, get_tool, to_text

__all__ = ["QwenOmniToolSpec"]

TOOL_NAMES = (
    "analyze_video",
    "analyze_image",
    "analyze_audio",
    "did_call_mention",
    "caption_product_video",
    "summarize_long_video",
    "transcribe",
)


class QwenOmniToolSpec(BaseToolSpec):
    """Qwen-Omni tools for LlamaIndex agents: watch, look, listen, transcribe.

    Tools (each sync and async): ``analyze_video``, ``analyze_image``, ``analyze_audio``,
    ``did_call_mention``, ``caption_product_video``, ``summarize_long_video``, ``transcribe``.
    Their descriptions and argument schemas are the ones of ``qwen_omni.tasks`` (shared with
    the LangChain and MCP tools); each returns the text the agent should read.

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

    # BaseToolSpec declares this as an instance attribute; keep its shape.
    spec_functions: list[SPEC_FUNCTION_TYPE] = [(n, f"a{n}") for n in TOOL_NAMES]  # noqa: RUF012

    def __init__(
        self,
        *,
        policy: Optional[AccessPolicy] = None,
        model: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
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
        name = fn_name[1:] if fn_name.startswith("a") and fn_name[1:] in TOOL_NAMES else fn_name
        if name not in TOOL_NAMES:
            raise ValueError(f"{fn_name!r} is not a Qwen-Omni tool; tools: {', '.join(TOOL_NAMES)}")
        return get_tool(name).input_model

    # --- the tools (docstrings: the registry's descriptions, set below) -----------------------

    def analyze_video(self, source: str, question: str) -> str:
        return self._run("analyze_video", source=source, question=question)

    async def aanalyze_video(self, source: str, question: str) -> str:
        return await self._arun("analyze_video", source=source, question=question)

    def analyze_image(self, source: str, question: str) -> str:
        return self._run("analyze_image", source=source, question=question)

    async def aanalyze_image(self, source: str, question: str) -> str:
        return await self._arun("analyze_image", source=source, question=question)

    def analyze_audio(self, source: str, question: str) -> str:
        return self._run("analyze_audio", source=source, question=question)

    async def aanalyze_audio(self, source: str, question: str) -> str:
        return await self._arun("analyze_audio", source=source, question=question)

    def did_call_mention(self, source: str, topics: list[str]) -> str:
        return self._run("did_call_mention", source=source, topics=topics)

    async def adid_call_mention(self, source: str, topics: list[str]) -> str:
        return await self._arun("did_call_mention", source=source, topics=topics)

    def caption_product_video(self, source: str) -> str:
        return self._run("caption_product_video", source=source)

    async def acaption_product_video(self, source: str) -> str:
        return await self._arun("caption_product_video", source=source)

    def summarize_long_video(
        self, source: str, focus: Optional[str] = None, segment_seconds: Optional[float] = None
    ) -> str:
        return self._run(
            "summarize_long_video", source=source, focus=focus, segment_seconds=segment_seconds
        )

    async def asummarize_long_video(
        self, source: str, focus: Optional[str] = None, segment_seconds: Optional[float] = None
    ) -> str:
        return await self._arun(
            "summarize_long_video", source=source, focus=focus, segment_seconds=segment_seconds
        )

    def transcribe(self, source: str, language: Optional[str] = None) -> str:
        return self._run("transcribe", source=source, language=language)

    async def atranscribe(self, source: str, language: Optional[str] = None) -> str:
        return await self._arun("transcribe", source=source, language=language)


def _given(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments the agent actually gave (optional ones left out stay at their default)."""
    return {k: v for k, v in arguments.items() if v is not None}


# One source of truth for what an agent reads: the registry's description becomes the
# docstring, which BaseToolSpec turns into the tool description.
for _name in TOOL_NAMES:
    _doc = get_tool(_name).description
    getattr(QwenOmniToolSpec, _name).__doc__ = _doc
    getattr(QwenOmniToolSpec, f"a{_name}").__doc__ = _doc
del _name, _doc
