"""A small hostile HTTP server on 127.0.0.1: each behaviour is one thing a bad server does.

``HostileServer(behaviour)`` answers every connection by calling ``behaviour(conn, request)``
in a thread of its own; ``conn.send(bytes)`` writes and counts bytes, and returns False once
the client is gone (so endless behaviours stop). Behaviours below are the classes of issue 12:
keep-alive comments, a drip, an endless line (plain and gzip), cut-off tool-call arguments,
HTTP 200 with a JSON error body, a 230 KB HTML error page, a huge ``Retry-After``, malformed
chunks, and a server that drips its status line.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = ["Conn", "HostileServer", "sse", "sse_headers"]


@dataclass
class Conn:
    sock: socket.socket
    sent: int = 0
    alive: bool = True

    def send(self, data: bytes) -> bool:
        if not self.alive:
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            self.alive = False
            return False
        self.sent += len(data)
        return True


@dataclass
class HostileServer:
    behaviour: Callable[[Conn, bytes], None]
    requests: list[bytes] = field(default_factory=list)
    conns: list[Conn] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/compatible-mode/v1"

    @property
    def sent(self) -> int:
        return sum(c.sent for c in self.conns)

    def _serve(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                piece = client.recv(65536)
                if not piece:
                    return
                data += piece
            head, _, rest = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(rest) < length:
                rest += client.recv(65536)
            self.requests.append(head + b"\r\n\r\n" + rest)
            conn = Conn(client)
            self.conns.append(conn)
            self.behaviour(conn, rest)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)
        for c in self.conns:
            c.alive = False


def sse_headers(extra: str = "", status: str = "200 OK") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: text/event-stream\r\nx-request-id: req-hostile\r\n"
        f"Connection: close\r\n{extra}\r\n"
    ).encode()


def sse(*chunks: object) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)


def choice(delta: dict | None = None, finish: str | None = None, index: int = 0) -> dict:
    return {"choices": [{"index": index, "delta": delta or {}, "finish_reason": finish}]}


def answer(text: str = "ok") -> bytes:
    return (
        sse(
            {"id": "chatcmpl-1", "model": "qwen3-omni-flash", **choice({"content": text})},
            choice(finish="stop"),
        )
        + b"data: [DONE]\n\n"
    )


# --- behaviours ------------------------------------------------------------------------------


def keepalives(conn: Conn, _: bytes) -> None:
    """200, then a ``: ping`` comment every 0.05 s, forever."""
    conn.send(sse_headers())
    while conn.send(b": ping\n\n"):
        time.sleep(0.05)


def drip(conn: Conn, _: bytes) -> None:
    """200, then a real answer one byte at a time (every 0.02 s), never ending."""
    if not conn.sent:
        conn.send(sse_headers())
    body = sse({"id": "chatcmpl-1", **choice({"content": "x"})})
    i = 0
    while conn.send(body[i % len(body) : i % len(body) + 1]):
        i += 1
        time.sleep(0.02)


def silent_after_headers(conn: Conn, _: bytes) -> None:
    """200 and headers, then nothing at all until the client leaves."""
    conn.send(sse_headers())
    conn.sock.settimeout(30)
    with contextlib.suppress(OSError):
        conn.sock.recv(1)


def status_drip(conn: Conn, _: bytes) -> None:
    """The status line and headers, one byte every 0.05 s (never a whole header block)."""
    head = sse_headers(extra="X-Pad: " + "a" * 4000 + "\r\n")
    for i in range(len(head)):
        if not conn.send(head[i : i + 1]):
            return
        time.sleep(0.05)


def endless_line(conn: Conn, _: bytes) -> None:
    """200, then ``data: aaaa…`` with no newline, 64 KiB at a time, until the client leaves."""
    conn.send(sse_headers())
    conn.send(b'data: {"x": "')
    block = b"a" * 65536
    while conn.send(block):
        pass


def endless_gzip_line(conn: Conn, _: bytes) -> None:
    """The endless line, gzip-compressed (each 16 KiB compressed piece inflates to ~16 MiB)."""
    conn.send(sse_headers("Content-Encoding: gzip\r\n"))
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    conn.send(z.compress(b'data: {"x": "'))
    block = b"a" * (1 << 20)
    while conn.alive:
        out = z.compress(block) + z.flush(zlib.Z_SYNC_FLUSH)
        if out and not conn.send(out):
            return


def gzip_bomb_error(conn: Conn, _: bytes) -> None:
    """HTTP 500 whose gzip body inflates to 256 MiB of spaces (about 250 KB on the wire)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [z.compress(b"<html><body>" + b" " * (1 << 20)) for _ in range(256)]
    body = b"".join(parts) + z.flush()
    conn.send(
        (
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\n"
            f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n"
            "x-request-id: req-bomb\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
    )


def html_500(conn: Conn, _: bytes) -> None:
    """A 230 KB HTML error page."""
    body = (
        "<html><head><title>502 Bad Gateway</title><style>" + "x{}" * 1000 + "</style></head>"
        "<body><h1>Bad Gateway</h1>" + "<p>upstream trace line</p>" * 9000 + "</body></html>"
    ).encode()
    conn.send(
        (
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\n"
            f"Content-Length: {len(body)}\r\nx-request-id: req-html\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
    )


def json_error_200(body: dict, content_type: str = "application/json") -> Callable:
    def run(conn: Conn, _: bytes) -> None:
        data = json.dumps(body).encode()
        ct = f"Content-Type: {content_type}\r\n" if content_type else ""
        conn.send(
            (
                f"HTTP/1.1 200 OK\r\n{ct}Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + data
        )

    return run


def status(code: int, headers: str = "", body: bytes = b'{"error": {"message": "busy"}}'):
    def run(conn: Conn, _: bytes) -> None:
        conn.send(
            (
                f"HTTP/1.1 {code} X\r\nContent-Type: application/json\r\n{headers}"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )

    return run


def stream_of(*pieces: bytes) -> Callable:
    def run(conn: Conn, _: bytes) -> None:
        conn.send(sse_headers())
        for p in pieces:
            conn.send(p)

    return run


def raw_events(lines: Iterable[bytes]) -> bytes:
    return b"".join(lines)
