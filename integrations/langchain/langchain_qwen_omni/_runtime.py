"""The settings shared by the tools, the toolkit and the loader, and the core task objects
they run on (created on first use)."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_core.utils import secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

if TYPE_CHECKING:
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks

__all__ = ["QwenOmniSettings", "TaskRuntime"]

R = TypeVar("R")


class TaskRuntime:
    """The core tasks (``AsyncOmniTasks``) behind the tools and the loader.

    Async callers get the tasks of their running event loop (an HTTP pool belongs to the loop
    that opened it). Sync callers run on a private event loop in a background thread, so sync
    calls also work inside a running loop (notebooks, async frameworks calling sync tools).
    """

    def __init__(self, **tasks_kwargs: Any) -> None:
        self._kwargs = tasks_kwargs
        self._tasks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncOmniTasks] = (
            weakref.WeakKeyDictionary()
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def async_tasks(self) -> AsyncOmniTasks:
        """The tasks of the running event loop (created on first use)."""
        from qwen_omni.tasks import AsyncOmniTasks

        loop = asyncio.get_running_loop()
        tasks = self._tasks.get(loop)
        if tasks is None:
            tasks = self._tasks[loop] = AsyncOmniTasks(**self._kwargs)
        return tasks

    def run(self, make: Callable[[AsyncOmniTasks], Awaitable[R]]) -> R:
        """Run ``make(tasks)`` on the background loop and wait for its result."""

        async def call() -> R:
            return await make(self.async_tasks())

        return asyncio.run_coroutine_threadsafe(call(), self._background()).result()

    def _background(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="langchain-qwen-omni", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def close(self) -> None:
        """Close the background loop's client and stop the loop (if sync calls started it)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        tasks = self._tasks.pop(loop, None)
        if tasks is not None:
            asyncio.run_coroutine_threadsafe(tasks.aclose(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


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
