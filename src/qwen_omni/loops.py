"""Event-loop plumbing shared by every surface: one object per event loop, and sync-over-async.

- :class:`PerLoop`: an async client (or task set) belongs to the event loop that opened its HTTP
  pool; using it from another loop fails in obscure ways. ``PerLoop`` keeps one per running
  loop and forgets it when the loop is collected. Used by ``ChatQwenOmni``, ``QwenOmni``, the
  LlamaIndex tool spec and the LangChain tools.
- :class:`BlockingRunner`: sync callers (scripts, frameworks that call tools synchronously, also
  from inside a running loop such as a notebook) run coroutines on one private event loop in a
  daemon thread: anyio's blocking portal, not a hand-made loop thread. Used by ``OmniTasks`` and
  the LangChain tools and loader.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

__all__ = ["BlockingRunner", "PerLoop"]

T = TypeVar("T")
R = TypeVar("R")


class PerLoop(Generic[T]):
    """One ``factory()`` result per running event loop, created on first use.

    ``get(key)`` rebuilds the loop's object when ``key`` changed since it was made (settings
    that are mutable fields). Entries go away with their loop (weak keys).
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._items: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Hashable, T]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, key: Hashable = None) -> T:
        """The running loop's object (``RuntimeError`` outside a running loop)."""
        loop = asyncio.get_running_loop()
        entry = self._items.get(loop)
        if entry is None or entry[0] != key:
            entry = (key, self._factory())
            self._items[loop] = entry
        return entry[1]

    def pop(self, loop: asyncio.AbstractEventLoop | None = None) -> T | None:
        """Forget (and return) the object of ``loop`` (default: the running loop)."""
        entry = self._items.pop(loop or asyncio.get_running_loop(), None)
        return None if entry is None else entry[1]

    def __len__(self) -> int:
        return len(self._items)


async def _await(coro: Awaitable[R]) -> R:
    return await coro


class BlockingRunner:
    """Run coroutines to completion from sync code, on one private event loop in a thread.

    The thread (anyio's blocking portal) starts on the first :meth:`run` and lives until
    :meth:`close`. Calling :meth:`run` from that loop's own thread would deadlock, so it raises.
    """

    def __init__(self, name: str = "qwen-omni") -> None:
        self.name = name
        self._portal: BlockingPortal | None = None
        self._cm: AbstractContextManager[BlockingPortal] | None = None
        self._lock = threading.Lock()

    def _started(self) -> BlockingPortal:
        with self._lock:
            if self._portal is None:
                from anyio.from_thread import start_blocking_portal

                self._cm = start_blocking_portal(name=self.name)
                self._portal = self._cm.__enter__()
            return self._portal

    def run(self, coro: Coroutine[Any, Any, R]) -> R:
        """Run ``coro`` on the private loop and return its result (its exception is raised)."""
        portal = self._started()
        try:
            return portal.call(_await, coro)
        except RuntimeError as exc:
            if "event loop thread" in str(exc):
                coro.close()
                raise RuntimeError(
                    f"a sync qwen-omni call was made from its own event loop ({self.name}): "
                    "use the async method there"
                ) from exc
            raise

    @property
    def started(self) -> bool:
        """Whether the private loop is running (a sync call has started it)."""
        return self._portal is not None

    def close(self, cleanup: Callable[[], Coroutine[Any, Any, Any]] | None = None) -> None:
        """Run ``cleanup()`` on the private loop (if it was started), then stop the loop."""
        with self._lock:
            portal, cm = self._portal, self._cm
            self._portal = self._cm = None
        if portal is None or cm is None:
            return
        try:
            if cleanup is not None:
                portal.call(cleanup)
        finally:
            cm.__exit__(None, None, None)
