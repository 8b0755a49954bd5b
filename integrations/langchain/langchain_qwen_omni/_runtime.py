"""The settings shared by the tools, the toolkit and the loader, and the core task objects
they run on (created on first use)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_core.utils import secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from qwen_omni.loops import BlockingRunner, PerLoop

if TYPE_CHECKING:
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks

__all__ = ["QwenOmniSettings", "TaskRuntime"]

R = TypeVar("R")


class TaskRuntime:
    """The core tasks (``AsyncOmniTasks``) behind the tools and the loader.

    Async callers get the tasks of their running event loop (``qwen_omni.loops.PerLoop``: an
    HTTP pool belongs to the loop that opened it). Sync callers run on the core's private loop
    thread (``qwen_omni.loops.BlockingRunner``), so sync calls also work inside a running loop
    (notebooks, async frameworks calling sync tools).
    """

    def __init__(self, **tasks_kwargs: Any) -> None:
        self._kwargs = tasks_kwargs
        self._tasks: PerLoop[AsyncOmniTasks] = PerLoop(self._new_tasks)
        self._runner = BlockingRunner("langchain-qwen-omni")

    def _new_tasks(self) -> AsyncOmniTasks:
        from qwen_omni.tasks import AsyncOmniTasks

        return AsyncOmniTasks(**self._kwargs)

    def async_tasks(self) -> AsyncOmniTasks:
        """The tasks of the running event loop (created on first use)."""
        return self._tasks.get()

    def run(self, make: Callable[[AsyncOmniTasks], Awaitable[R]]) -> R:
        """Run ``make(tasks)`` on the background loop and wait for its result."""

        async def call() -> R:
            return await make(self.async_tasks())

        return self._runner.run(call())

    def close(self) -> None:
        """Close the background loop's client and stop the loop (if sync calls started it)."""

        async def cleanup() -> None:
            tasks = self._tasks.pop()
            if tasks is not None:
                await tasks.aclose()

        self._runner.close(cleanup)


class QwenOmniSettings(BaseModel):
    """Connection and access settings of the Qwen-Omni tools and loader."""

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("DASHSCOPE_API_KEY", default=None),
        alias="dashscope_api_key",
        repr=False,
    )
    """DashScope API key; read from ``DASHSCOPE_API_KEY`` when not given."""

    base_url: str | None = None
    """An OpenAI-compatible endpoint instead of the region's (``QWEN_OMNI_BASE_URL``)."""

    region: str | None = None
    """``beijing`` (default), ``singapore`` or ``us``."""

    model: str | None = None
    """The Omni model (default ``qwen3-omni-flash`` or ``QWEN_OMNI_MODEL``)."""

    asr_model: str | None = None
    """A speech-recognition model for transcripts (``paraformer-v2``, ``qwen3-asr-flash``);
    None: Qwen-Omni transcribes."""

    delivery: Any = None
    """How local files reach the service: ``"auto"``, ``"inline"``, ``"oss"``,
    ``"dashscope_temp"`` or a ``qwen_omni.delivery.MediaDelivery``."""

    timeout: float | None = None
    """Seconds to wait for the first byte and between chunks."""

    max_retries: int = 2
    """Retries before any output arrived (429, 5xx, connection errors)."""

    _runtime: TaskRuntime | None = PrivateAttr(default=None)

    def _tasks_kwargs(self, policy: AccessPolicy | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "api_key": self.api_key.get_secret_value() if self.api_key else None,
            "base_url": self.base_url,
            "region": self.region,
            "model": self.model,
            "asr_model": self.asr_model,
            "delivery": self.delivery,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }
        if policy is not None:
            kwargs["policy"] = policy
        return kwargs

    def _make_policy(self, media_roots: list[str | Path], policy: Any) -> AccessPolicy:
        from qwen_omni.tasks import AccessPolicy

        base = policy if policy is not None else AccessPolicy()
        return base.with_roots(*media_roots) if media_roots else base
