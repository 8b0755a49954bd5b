"""Pure: response bytes → SSE ``data`` payloads, with every buffer bounded.

A hostile or broken server must not be able to grow the process: one endless ``data:`` line
with no newline, an event of many huge lines, or a gzip bomb. Lines and events are capped
(``max_event_bytes``, a typed :class:`~qwen_omni.errors.MalformedResponseError` when
exceeded), and compressed bodies are inflated in bounded steps so the cap is checked before
more is inflated.

Parsing follows the SSE spec: lines end in ``\\r\\n``, ``\\n`` or ``\\r``; ``data:`` lines of one
event are joined with ``\\n``; a blank line ends the event; lines starting with ``:`` are
comments (keep-alives); ``event``, ``id`` and ``retry`` are read and ignored.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from typing import Any

from qwen_omni.errors import MalformedResponseError, error_from_body, excerpt

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "Inflater", "SSEParser", "StreamBody"]

#: The largest SSE line or event we hold (4 MiB). A spoken reply's audio chunk is a few KB of
#: base64; the largest legitimate event (a long tool-call argument in one piece) is far below.
DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024

#: The most one answer may hold, decoded (256 MiB): a ten-minute spoken reply is under 40 MB of
#: base64. An endless stream of valid deltas is cut here, not only by the total timeout.
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024

#: The most we keep of a body that is not SSE (a JSON error sent with HTTP 200), to report it.
STRAY_BYTES = 64 * 1024

#: Inflated output per step: the cap is checked between steps, so a bomb never inflates whole.
INFLATE_STEP = 64 * 1024

_EOL = re.compile(rb"\r\n|\r|\n")
_KNOWN_FIELDS = (b"event", b"id", b"retry")


def _too_large(what: str, limit: int) -> MalformedResponseError:
    return MalformedResponseError(
        f"the service sent {what} longer than {limit:,} bytes, the most one stream event may "
        "hold; this is not a Qwen-Omni stream (check base_url), or raise max_event_bytes on the "
        "client if it is legitimate"
    )


class SSEParser:
    """Feed raw (decoded) bytes; get the ``data`` payload of each complete event."""

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes < 1024:
            raise ValueError(f"max_event_bytes must be at least 1024, got {max_event_bytes}")
        self.max_event_bytes = max_event_bytes
        self._buf = bytearray()
        self._data: list[bytes] = []
        self._size = 0
        self._skip_lf = False  # the last chunk ended in "\r": a following "\n" is the same EOL
        self._first = True  # a UTF-8 byte-order mark at the very start is dropped (SSE spec)
        self.events = 0
        self.done = False
        self.stray = bytearray()

    def feed(self, chunk: bytes) -> list[str]:
        """Payloads of the events completed by ``chunk`` (``[DONE]`` sets ``done`` instead)."""
        if self._first and chunk:
            self._first = False
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._skip_lf = False
        buf = self._buf
        buf += chunk
        out: list[str] = []
        pos = 0
        for match in _EOL.finditer(buf):
            end = match.start()
            if match.group() == b"\r" and match.end() == len(buf):
                self._skip_lf = True
            self._line(bytes(buf[pos:end]), out)
            pos = match.end()
            if self.done:
                break
        if pos:
            del buf[:pos]
        if len(buf) + self._size > self.max_event_bytes:
            buf.clear()
            raise _too_large("a line", self.max_event_bytes)
        return out

    def end(self) -> list[str]:
        """At the end of the body: the last event, if the server did not close it."""
        out: list[str] = []
        if self._buf and not self.done:
            self._line(bytes(self._buf), out)
            self._buf.clear()
        if self._data and not self.done:
            self._line(b"", out)
        return out

    def _line(self, line: bytes, out: list[str]) -> None:
        if not line:
            if self._data:
                payload = b"\n".join(self._data)
                self._data, self._size = [], 0
                try:
                    text = payload.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise MalformedResponseError(
                        f"the service sent a stream event that is not UTF-8 ({exc.reason} at "
                        f"byte {exc.start}); check base_url"
                    ) from None
                if text.strip() == "[DONE]":
                    self.done = True
                    return
                self.events += 1
                out.append(text)
            return
        if line[:1] == b":":
            return  # a comment: keep-alive
        field, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            self._size += len(value) + 1
            if self._size > self.max_event_bytes:
                self._data, self._size = [], 0
                raise _too_large("an event", self.max_event_bytes)
            self._data.append(value)
        elif field not in _KNOWN_FIELDS and len(self.stray) < STRAY_BYTES:
            # Not SSE at all (a JSON or HTML body with a 200): kept to say what it was.
            self.stray += line[: STRAY_BYTES - len(self.stray)] + b"\n"


class Inflater:
    """Bounded ``gzip``/``deflate`` decoding of a response body (``identity`` passes through).

    Each step inflates at most :data:`INFLATE_STEP` bytes, so the consumer's caps apply before
    a small compressed body can expand into gigabytes.
    """

    def __init__(self, encoding: str | None) -> None:
        enc = (encoding or "identity").strip().lower()
        if enc in ("", "identity"):
            self._d: zlib._Decompress | None = None
        elif enc in ("gzip", "x-gzip", "deflate"):
            self._d = zlib.decompressobj(47 if enc != "deflate" else 15)
        else:
            raise MalformedResponseError(
                f"the service sent a body in the {encoding!r} content encoding, which was not "
                "asked for (only gzip and deflate are read); check base_url or the proxy"
            )
        self._enc = enc
        self._first = True

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of ``data``, in pieces of at most :data:`INFLATE_STEP`."""
        if self._d is None:
            if data:
                yield data
            return
        if self._first and self._enc == "deflate" and data:
            self._first = False
            # "deflate" is zlib-wrapped by the RFC, raw deflate in practice for some servers.
            if (data[0] & 0x0F) != 8:
                self._d = zlib.decompressobj(-15)
        buf = data
        while buf:
            try:
                out = self._d.decompress(buf, INFLATE_STEP)
            except zlib.error as exc:
                raise MalformedResponseError(
                    f"the service sent a corrupt {self._enc} body ({exc}); retry, and check the "
                    "proxy if it persists"
                ) from None
            if out:
                yield out
            buf = self._d.unconsumed_tail
            if self._d.eof:
                return


class StreamBody:
    """One response body → chunk objects: bounded inflate, bounded SSE, JSON per event.

    At the end, a body that held no event at all is judged: a JSON error sent with HTTP 200
    (arrears, data inspection…) raises that error; anything else (an HTML page, a plain JSON
    completion) is a :class:`~qwen_omni.errors.MalformedResponseError` quoting an excerpt.
    """

    def __init__(
        self,
        *,
        content_encoding: str | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        request_id: str | None = None,
    ) -> None:
        self._inflater = Inflater(content_encoding)
        self._parser = SSEParser(max_event_bytes)
        self._left = max(max_response_bytes, max_event_bytes)
        self._limit = self._left
        self.request_id = request_id

    @property
    def done(self) -> bool:
        """True once ``data: [DONE]`` arrived (nothing after it is read)."""
        return self._parser.done

    def feed(self, raw: bytes) -> list[Any]:
        """The decoded JSON chunks completed by ``raw`` (bytes as they came off the socket)."""
        out: list[Any] = []
        for piece in self._inflater.feed(raw):
            self._left -= len(piece)
            if self._left < 0:
                raise MalformedResponseError(
                    f"the service sent more than {self._limit:,} bytes in one answer, far more "
                    "than any Qwen-Omni reply; this is not a Qwen-Omni stream (check base_url)",
                    request_id=self.request_id,
                )
            for payload in self._parser.feed(piece):
                out.append(self._json(payload))
            if self._parser.done:
                break
        return out

    def end(self) -> list[Any]:
        """The last chunks at the end of the body; raises for a body that was not a stream."""
        out = [self._json(p) for p in self._parser.end()]
        if self._parser.events == 0 and not out and self._parser.stray:
            raise self._not_a_stream(bytes(self._parser.stray))
        return out

    def _json(self, payload: str) -> Any:
        try:
            return json.loads(payload)
        except (ValueError, RecursionError) as exc:
            raise MalformedResponseError(
                f"the service sent a stream event that is not JSON ({type(exc).__name__}: "
                f"{excerpt(str(exc), 120)}; the event began {excerpt(payload, 80)!r}); retry, "
                "and check base_url if it persists",
                request_id=self.request_id,
            ) from None

    def _not_a_stream(self, body: bytes) -> Exception:
        text = body.decode("utf-8", "replace")
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict) and (
            value.get("error") or (value.get("code") and value.get("message"))
        ):
            return error_from_body(value, request_id=self.request_id, status=200)
        kind = "an HTML page" if "<" in text[:200] else "a body"
        return MalformedResponseError(
            f"the service answered with {kind} instead of an event stream: "
            f"{excerpt(text, 300)!r}; check that base_url is an OpenAI-compatible endpoint "
            "(…/compatible-mode/v1)",
            request_id=self.request_id,
        )
