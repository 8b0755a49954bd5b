"""The HTTP client under the ``openai`` SDK, with the guards a hostile server needs.

- **A wall-clock deadline on every socket operation** (sync). The SDK's read timeout restarts
  on every byte, so a server dripping one byte a second, or sending keep-alive comments, would
  never time out. The client's stream loop sets the request's deadline for the current thread
  around each blocking call (:func:`deadline_scope`); every connect, read and write of our
  network backend is cut to the time left, so the total timeout fires whatever the server
  sends. (The async client wraps each await in ``asyncio.timeout`` instead.)
- **Bounded error bodies.** The SDK reads a whole 4xx/5xx body into memory before raising; an
  endless or gzip-bombed error page would grow the process. A response hook caps what can be
  read of an error body (decoded, :data:`ERROR_BODY_BYTES`).

Used for the client's own HTTP client; a client passed as ``http_client=`` keeps its own
transport (the stream loop still checks the deadline after each read and caps every SSE event).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["ERROR_BODY_BYTES", "async_http_client", "deadline_scope", "sync_http_client"]

#: The most of an error body read (decoded): enough for any JSON error, a bounded HTML page.
ERROR_BODY_BYTES = 256 * 1024

_local = threading.local()


@contextmanager
def deadline_scope(deadline: float | None) -> Iterator[None]:
    """Socket operations on this thread end by ``deadline`` (``time.monotonic()``) inside."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def _clamp(timeout: float | None, kind: str) -> float | None:
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        import httpcore2

        error = httpcore2.ConnectTimeout if kind == "connect" else httpcore2.ReadTimeout
        raise error("the request's total timeout expired")
    return left if timeout is None else min(timeout, left)


def _backend() -> Any:
    """A sync network backend whose streams honour the thread's deadline."""
    import httpcore2

    class DeadlineStream(httpcore2.NetworkStream):
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            data: bytes = self._inner.read(max_bytes, _clamp(timeout, "read"))
            return data

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, _clamp(timeout, "write"))

        def close(self) -> None:
            self._inner.close()

        def start_tls(
            self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
        ) -> Any:
            inner = self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout, "connect"))
            return DeadlineStream(inner)

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class DeadlineBackend(httpcore2.NetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore2.SyncBackend()

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> Any:
            stream = self._inner.connect_tcp(
                host, port, _clamp(timeout, "connect"), local_address, socket_options
            )
            return DeadlineStream(stream)

        def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Any = None
        ) -> Any:
            stream = self._inner.connect_unix_socket(
                path, _clamp(timeout, "connect"), socket_options
            )
            return DeadlineStream(stream)

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    return DeadlineBackend()


class _Capper:
    """Decodes an error body and keeps at most ``ERROR_BODY_BYTES`` of it."""

    def __init__(self, encoding: str | None) -> None:
        from qwen_omni._sse import Inflater
        from qwen_omni.errors import MalformedResponseError

        try:
            self._inflater = Inflater(encoding)
        except MalformedResponseError:
            self._inflater = Inflater(None)  # unknown encoding: the excerpt shows it is garbage
        self.sent = 0
        self.full = False

    def take(self, raw: bytes) -> list[bytes]:
        """The decoded pieces of ``raw`` still within the cap."""
        from qwen_omni.errors import MalformedResponseError

        out: list[bytes] = []
        try:
            for piece in self._inflater.feed(raw):
                out.append(piece[: ERROR_BODY_BYTES - self.sent])
                self.sent += len(out[-1])
                if self.sent >= ERROR_BODY_BYTES:
                    break
        except MalformedResponseError:
            self.full = True  # a corrupt compressed error body: what was decoded is the excerpt
        self.full = self.full or self.sent >= ERROR_BODY_BYTES
        return out


class _CappedBody:
    """An error body that yields at most ``ERROR_BODY_BYTES`` decoded bytes, then stops."""

    def __init__(self, inner: Any, encoding: str | None) -> None:
        self._inner = inner
        self._encoding = encoding

    def __iter__(self) -> Iterator[bytes]:
        capper = _Capper(self._encoding)
        for raw in self._inner:
            yield from capper.take(raw)
            if capper.full:
                return

    async def __aiter__(self) -> AsyncIterator[bytes]:
        capper = _Capper(self._encoding)
        async for raw in self._inner:
            for piece in capper.take(raw):
                yield piece
            if capper.full:
                return

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()


def _cap_error_body(response: Any) -> None:
    """Response hook: a 4xx/5xx body is read through :class:`_CappedBody`."""
    if response.status_code < 400:
        return
    import httpx2

    encoding = response.headers.get("content-encoding")
    sync = isinstance(response.stream, httpx2.SyncByteStream)
    base = httpx2.SyncByteStream if sync else httpx2.AsyncByteStream
    capped = type("CappedBody", (_CappedBody, base), {})
    response.stream = capped(response.stream, encoding)
    # The body is decoded here; httpx must not decode it again.
    if "content-encoding" in response.headers:
        del response.headers["content-encoding"]


async def _acap_error_body(response: Any) -> None:
    _cap_error_body(response)


def sync_http_client() -> Any:
    """The sync ``httpx2`` client for the SDK: deadline-aware sockets, capped error bodies."""
    import httpx2
    import openai

    transport = httpx2.HTTPTransport()
    # httpx2 takes no network backend argument; its pool gets ours (a documented httpcore
    # option) — same TLS context, limits and HTTP/1.1 otherwise.
    transport._pool._network_backend = _backend()
    return openai.DefaultHttpxClient(
        transport=transport, event_hooks={"response": [_cap_error_body]}
    )


def async_http_client() -> Any:
    """The async ``httpx2`` client for the SDK: capped error bodies (deadlines: asyncio)."""
    import openai

    return openai.DefaultAsyncHttpxClient(event_hooks={"response": [_acap_error_body]})
