"""HTTP plumbing of the OSS server: the ASGI types, a parsed request, an answer, the
bandwidth pacer, and the date and XML formats OSS answers with."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any
from xml.sax.saxutils import escape

from qwen_omni_emulator.oss.exceptions import OssError

__all__ = [
    "Message",
    "OssRequest",
    "OssResponse",
    "Pacer",
    "Receive",
    "Scope",
    "Send",
    "http_date",
    "iso_time",
    "xml_document",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Pacer:
    """Caps one connection's throughput with a token bucket.

    After ``n`` bytes the connection waits until they fit the rate. The bucket holds
    ``burst_s`` seconds of credit, so a late wake-up of the event loop (a busy machine) is made
    up for instead of lowering the rate: the cap is an average, as on a real link.
    """

    def __init__(self, bps: float, burst_s: float = 0.05) -> None:
        self.bps = bps
        self.burst_s = burst_s
        self.next_free = 0.0

    async def consume(self, n: int) -> None:
        """Wait until ``n`` more bytes fit the rate."""
        now = time.monotonic()
        self.next_free = max(self.next_free, now - self.burst_s) + n / self.bps
        delay = self.next_free - now
        if delay > 0.002:
            await asyncio.sleep(delay)


@dataclass
class OssRequest:
    """One request, parsed: addressing (bucket, key), and who signed it once authenticated."""

    scope: Scope
    receive: Receive
    method: str
    headers: dict[str, str]
    params: dict[str, str]
    bucket: str | None
    key: str | None
    request_id: str
    pacer: Pacer | None
    auth: str = "anonymous"
    principal: str | None = None
    bytes_in: int = 0

    async def body_chunks(self) -> AsyncIterator[bytes]:
        """The request body, chunk by chunk, throttled."""
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise OssError(400, "IncompleteBody", "The client disconnected.")
            chunk = message.get("body", b"")
            if chunk:
                self.bytes_in += len(chunk)
                if self.pacer is not None:
                    await self.pacer.consume(len(chunk))
                yield chunk
            if not message.get("more_body", False):
                return

    async def body(self, limit: int = 16 * 1024 * 1024) -> bytes:
        """The whole (small) request body; 400 ``EntityTooLarge`` past ``limit``."""
        parts: list[bytes] = []
        size = 0
        async for chunk in self.body_chunks():
            size += len(chunk)
            if size > limit:
                raise OssError(400, "EntityTooLarge", "The request body is too large.")
            parts.append(chunk)
        return b"".join(parts)


@dataclass
class OssResponse:
    """An answer: a body in memory, or a stream of ``length`` bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: Iterator[bytes] | None = None
    length: int | None = None


def xml_document(root: str, fields: list[tuple[str, Any]] | str) -> bytes:
    """An OSS XML answer: ``<root>`` around escaped ``<k>v</k>`` fields (or ready markup)."""
    if isinstance(fields, str):
        inner = fields
    else:
        inner = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in fields)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{inner}</{root}>'.encode()


def http_date(ts: float) -> str:
    """RFC 1123 date (``Date``, ``Last-Modified``)."""
    return formatdate(ts, usegmt=True)


def iso_time(ts: float) -> str:
    """ISO 8601 with milliseconds, as OSS writes times in XML (``2025-01-01T12:00:00.000Z``)."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
