"""The request log: what reached the emulator, with secrets masked.

Every request (chat, getPolicy, anything else) is recorded as a :class:`RecordedRequest`. The
``Authorization`` bearer and other credential headers are masked before they are stored, so a
test can dump the whole log without leaking a key.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RecordedRequest", "RequestLog", "mask_headers", "mask_secret"]

_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "x-api-key",
        "api-key",
        "cookie",
        "x-oss-security-token",
        "proxy-authorization",
    }
)


def mask_secret(value: str) -> str:
    """``Bearer sk-…`` → ``Bearer ***(9 chars)``: the length helps debugging; the key stays
    hidden."""
    scheme, sep, secret = value.partition(" ")
    if not sep:
        scheme, secret = "", value
    masked = f"***({len(secret)} chars)" if secret else "***"
    return f"{scheme} {masked}" if scheme else masked


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy of ``headers`` (lower-case names) with credential values masked."""
    return {
        name: mask_secret(value) if name in _SECRET_HEADERS else value
        for name, value in headers.items()
    }


@dataclass
class RecordedRequest:
    """One request as the emulator saw it.

    Attributes:
        request_id: the ``request_id`` the emulator answered with.
        method, path, query: the HTTP request line.
        headers: request headers, lower-case names, secrets masked.
        body: the decoded JSON body (None when absent or not JSON).
        model: the ``model`` field, when there was one.
        status: the HTTP status answered (200 for streams, even if a fault cut them later).
        error: the error body, for refusals.
        fault: the injected fault (``Fault.header_value()`` form), if any.
        perceived: what the emulator perceived of each media part (dicts, see ``PerceivedPart``).
        usage: the usage object computed for the answer.
        reply_text: the answer text streamed (content deltas joined).
        tool_calls: the tool calls streamed (``{"name", "arguments"}`` dicts).
        started, elapsed_s: wall-clock start and duration.
    """

    request_id: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any = None
    model: str | None = None
    status: int | None = None
    error: dict[str, Any] | None = None
    fault: str | None = None
    perceived: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    reply_text: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    elapsed_s: float | None = None
    _t0: float = field(default_factory=time.perf_counter, repr=False, compare=False)

    def finish(self) -> None:
        """Set ``elapsed_s`` (once): called just before the last byte of the answer is sent, so
        a client that has read the whole answer always sees it."""
        if self.elapsed_s is None:
            self.elapsed_s = time.perf_counter() - self._t0

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower())


class RequestLog:
    """A bounded, thread-safe list of :class:`RecordedRequest` (oldest dropped first)."""

    def __init__(self, maxlen: int = 1000) -> None:
        self._items: deque[RecordedRequest] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def add(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def chat(self) -> list[RecordedRequest]:
        """Only the chat-completions requests."""
        return [r for r in self.snapshot() if r.path.endswith("/chat/completions")]

    @property
    def last(self) -> RecordedRequest:
        """The most recent request (IndexError when none)."""
        with self._lock:
            return self._items[-1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> RecordedRequest:
        return self.snapshot()[index]
