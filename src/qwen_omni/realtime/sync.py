"""The synchronous facade: :class:`RealtimeSession` runs an :class:`AsyncRealtimeSession` on a
private event loop in a background thread, :class:`qwen_omni.loops.BlockingRunner` (plain
scripts, notebooks, sync frameworks)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qwen_omni.loops import BlockingRunner
from qwen_omni.realtime.events import RealtimeEvent, Turn
from qwen_omni.realtime.feeder import FeedResult, feed_file
from qwen_omni.realtime.session import AsyncRealtimeSession

__all__ = ["RealtimeSession"]


class RealtimeSession:
    """Synchronous :class:`AsyncRealtimeSession`: the same arguments and methods, blocking.

    ::

        with RealtimeSession(model="qwen3-omni-flash-realtime", turn_detection=None) as s:
            s.send_audio("question.wav")
            s.commit()
            s.respond()
            print(s.next_turn().transcript)

    ``.aio`` is the underlying async session.
    """

    def __init__(self, **kwargs: Any) -> None:
        # its own loop thread: the session's reader and keep-alive tasks live there
        self._runner = BlockingRunner("qwen-omni-realtime")

        async def make() -> AsyncRealtimeSession:
            return AsyncRealtimeSession(**kwargs)

        try:
            self.aio: AsyncRealtimeSession = self._runner.run(make())
        except BaseException:
            self._runner.close()
            raise

    def _run(self, coro: Any) -> Any:
        return self._runner.run(coro)

    def connect(self) -> RealtimeSession:
        """Open the socket and configure the session."""
        self._run(self.aio.connect())
        return self

    def close(self) -> None:
        """End the session and stop the background loop."""
        self._runner.close(self.aio.close)

    def __enter__(self) -> RealtimeSession:
        try:
            return self.connect()
        except BaseException:
            self._runner.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_audio(self, source: Path | str | bytes, **kwargs: Any) -> float:
        """See :meth:`AsyncRealtimeSession.send_audio`."""
        return float(self._run(self.aio.send_audio(source, **kwargs)))

    def send_silence(self, seconds: float) -> None:
        """See :meth:`AsyncRealtimeSession.send_silence`."""
        self._run(self.aio.send_silence(seconds))

    def send_image(self, image: Any, *, wait: bool = False) -> bool:
        """See :meth:`AsyncRealtimeSession.send_image`."""
        return bool(self._run(self.aio.send_image(image, wait=wait)))

    def send_text(self, text: str) -> None:
        """See :meth:`AsyncRealtimeSession.send_text`."""
        self._run(self.aio.send_text(text))

    def feed_file(self, source: Path | str, **kwargs: Any) -> FeedResult:
        """See :func:`qwen_omni.realtime.feed_file`."""
        result: FeedResult = self._run(feed_file(self.aio, source, **kwargs))
        return result

    def commit(self) -> None:
        """See :meth:`AsyncRealtimeSession.commit`."""
        self._run(self.aio.commit())

    def respond(self, **kwargs: Any) -> None:
        """See :meth:`AsyncRealtimeSession.respond`."""
        self._run(self.aio.respond(**kwargs))

    def interrupt(self) -> None:
        """See :meth:`AsyncRealtimeSession.interrupt`."""
        self._run(self.aio.interrupt())

    def tool_result(self, call_id: str, output: Any, *, respond: bool = True) -> None:
        """See :meth:`AsyncRealtimeSession.tool_result`."""
        self._run(self.aio.tool_result(call_id, output, respond=respond))

    def update(self, **changes: Any) -> None:
        """See :meth:`AsyncRealtimeSession.update`."""
        self._run(self.aio.update(**changes))

    def next_turn(self, timeout: float | None = 60.0) -> Turn:
        """See :meth:`AsyncRealtimeSession.next_turn`."""
        turn: Turn = self._run(self.aio.next_turn(timeout))
        return turn

    def events(self, timeout: float | None = None) -> Iterator[RealtimeEvent]:
        """Typed events, blocking; ends when the session closes (or ``timeout`` passes idle)."""
        stream = self.aio.events()

        async def step() -> RealtimeEvent | None:
            try:
                return await asyncio.wait_for(stream.__anext__(), timeout)
            except (StopAsyncIteration, asyncio.TimeoutError):
                return None

        while True:
            event = self._run(step())
            if event is None:
                return
            yield event
