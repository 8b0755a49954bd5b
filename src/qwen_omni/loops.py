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
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

__all__ = ["BlockingRunner", "PerLoop", "run_blocking"]

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

    An anyio ``BlockingPortal`` served by a daemon thread: started on the first :meth:`run`,
    stopped by :meth:`close`. (``anyio.from_thread.start_blocking_portal`` runs its loop on a
    non-daemon executor thread, which would keep a script that never calls ``close()`` from
    exiting; a daemon thread ends with the interpreter.) Calling :meth:`run` from that loop's
    own thread would deadlock, so it raises.
    """

    def __init__(self, name: str = "qwen-omni") -> None:
        self.name = name
        self._portal: BlockingPortal | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _started(self) -> BlockingPortal:
        with self._lock:
            if self._portal is None:
                import anyio
                from anyio.from_thread import BlockingPortal

                ready = threading.Event()
                box: list[BlockingPortal] = []

                async def serve() -> None:
                    async with BlockingPortal() as portal:
                        box.append(portal)
                        ready.set()
                        await portal.sleep_until_stopped()

                thread = threading.Thread(
                    target=anyio.run, args=(serve,), name=self.name, daemon=True
                )
                thread.start()
                ready.wait()
                self._portal, self._thread = box[0], thread
            return self._portal

    def run(self, coro: Coroutine[Any, Any, R]) -> R:
        """Run ``coro`` on the private loop and return its result (its exception is raised)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(
                f"a sync qwen-omni call was made from its own event loop ({self.name}): "
                "use the async method there"
            )
        return self._started().call(_await, coro)

    @property
    def started(self) -> bool:
        """Whether the private loop is running (a sync call has started it)."""
        return self._portal is not None

    def close(self, cleanup: Callable[[], Coroutine[Any, Any, Any]] | None = None) -> None:
        """Run ``cleanup()`` on the private loop (if it was started), then stop the loop."""
        with self._lock:
            portal, thread = self._portal, self._thread
            self._portal = self._thread = None
        if portal is None or thread is None:
            return
        try:
            if cleanup is not None:
                portal.call(cleanup)
        finally:
            portal.call(portal.stop)
            thread.join(timeout=10)


_SHARED = BlockingRunner("qwen-omni-sync")


def run_blocking(coro: Coroutine[Any, Any, R]) -> R:
    """Run ``coro`` to completion from sync code on the core's shared private loop thread."""
    return _SHARED.run(coro)
