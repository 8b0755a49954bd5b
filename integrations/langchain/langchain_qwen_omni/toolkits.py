"""``QwenOmniToolkit``: every Qwen-Omni agent tool, sharing one client and one access policy."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, BaseToolkit
from pydantic import ConfigDict, Field, PrivateAttr

from langchain_qwen_omni._runtime import QwenOmniSettings, TaskRuntime
from langchain_qwen_omni.tools import QwenOmniTool, tool_classes

__all__ = ["QwenOmniToolkit"]


class QwenOmniToolkit(QwenOmniSettings, BaseToolkit):
    """The Qwen-Omni agent tools: analyze_video, analyze_image, analyze_audio,
    did_call_mention, caption_product_video, summarize_long_video and transcribe.

    Setup:
        ``pip install langchain-qwen-omni`` and set ``DASHSCOPE_API_KEY``.

    Instantiate:
        .. code-block:: python

            from langchain_qwen_omni import ChatQwenOmni, QwenOmniToolkit

            toolkit = QwenOmniToolkit(media_roots=["/srv/media"])   # files the agent may read
            tools = toolkit.get_tools()

    Use within an agent:
        .. code-block:: python

            from langchain.agents import create_agent

            agent = create_agent(ChatQwenOmni(), tools)
            agent.invoke({"messages": [("user", "What happens in /srv/media/clip.mp4?")]})

    Each tool returns text for the model and its pydantic result as the ``ToolMessage``
    artifact; refusals (a path outside ``media_roots``, a private URL, unusable media) come
    back as error tool messages the agent can act on.

    Args:
        media_roots: directories whose files an agent may name (none by default).
        policy: a full ``qwen_omni.tasks.AccessPolicy`` (``media_roots`` are added to it).
        include: names of the tools to return (default: all).
        api_key, base_url, region, model, asr_model, delivery, timeout, max_retries: the
            connection settings (as for ``ChatQwenOmni``).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    media_roots: list[str | Path] = Field(default_factory=list)
    """Directories whose files an agent may name; none by default (no local files)."""

    policy: Any = None
    """A ``qwen_omni.tasks.AccessPolicy`` for the sources an agent names."""

    include: Sequence[str] | None = None
    """Names of the tools to return; None: all of ``qwen_omni.tasks.TOOLS``."""

    _shared: TaskRuntime | None = PrivateAttr(default=None)

    def _runtime_for_tools(self) -> TaskRuntime:
        if self._shared is None:
            policy = self._make_policy(self.media_roots, self.policy)
            self._shared = TaskRuntime(**self._tasks_kwargs(policy))
        return self._shared

    def get_tools(self) -> list[BaseTool]:
        """One tool per Qwen-Omni task, all sharing this toolkit's client and policy."""
        classes = tool_classes()
        known = [cls.task_name for cls in classes]
        if self.include is not None:
            unknown = sorted(set(self.include) - set(known))
            if unknown:
                raise ValueError(f"unknown tools {unknown}; available: {', '.join(known)}")
        runtime = self._runtime_for_tools()
        settings = {
            name: getattr(self, name)
            for name in QwenOmniSettings.model_fields
            if name in self.model_fields_set
        }
        tools: list[BaseTool] = []
        for cls in classes:
            if self.include is None or cls.task_name in self.include:
                tool: QwenOmniTool = cls(
                    **settings,
                    media_roots=list(self.media_roots),
                    policy=self.policy,
                    runtime=runtime,
                )
                tools.append(tool)
        return tools

    def close(self) -> None:
        """Stop the background loop of the sync tools (if they were used)."""
        if self._shared is not None:
            self._shared.close()
