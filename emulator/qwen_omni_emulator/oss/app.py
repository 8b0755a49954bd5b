"""The OSS server as an ASGI app, and a way to run it (moto's ``urls`` + server).

Virtual-hosted ``<bucket>.<host>`` or path-style ``<host>/<bucket>`` addressing, told apart by
the Host header. For benchmarks the app can cap each connection's bandwidth (request bodies are
read and responses written in throttled chunks, so TCP backpressure slows the peer as a WAN link
does) and add latency to every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qsl

from qwen_omni_emulator.oss.auth import Authenticator
from qwen_omni_emulator.oss.exceptions import OssError
from qwen_omni_emulator.oss.messages import (
    OssRequest,
    OssResponse,
    Pacer,
    Receive,
    Scope,
    Send,
    http_date,
)
from qwen_omni_emulator.oss.models import CHUNK, OssState, RequestRecord
from qwen_omni_emulator.oss.responses import OssResponses

__all__ = ["OssApp", "create_oss_app", "is_ip", "serve_oss"]


class OssApp:
    """The ASGI application (build it with :func:`create_oss_app`)."""

    def __init__(
        self, state: OssState, *, latency_s: float = 0.0, bandwidth_bps: float | None = None
    ) -> None:
        self.state = state
        self.latency_s = latency_s
        self.bandwidth_bps = bandwidth_bps
        self.auth = Authenticator(state)
        self.responses = OssResponses(state, self.auth)
        self._pacers: dict[tuple[str, int], Pacer] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        request = self._parse(scope, receive)
        self.state.request_started()
        try:
            try:
                self.auth.authenticate(request)
                response = await self.responses.dispatch(request)
            except OssError as err:
                response = self.responses.error(request, err)
            await self._send(request, response, send)
        finally:
            self.state.request_finished()

    # --- parsing and addressing ---------------------------------------------------------------

    def _pacer(self, scope: Scope) -> Pacer | None:
        if not self.bandwidth_bps:
            return None
        client = scope.get("client") or ("?", 0)
        conn = (str(client[0]), int(client[1]))
        pacer = self._pacers.get(conn)
        if pacer is None:
            if len(self._pacers) > 4096:  # forget connections idle for a minute
                cutoff = time.monotonic() - 60
                self._pacers = {k: p for k, p in self._pacers.items() if p.next_free > cutoff}
            pacer = self._pacers[conn] = Pacer(self.bandwidth_bps)
        return pacer

    def _parse(self, scope: Scope, receive: Receive) -> OssRequest:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        query = scope.get("query_string", b"").decode("latin-1")
        params = dict(parse_qsl(query, keep_blank_values=True))
        path: str = scope.get("path", "/")
        host = headers.get("host", "").lower()
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        bucket: str | None = None
        key: str | None
        first_label = hostname.split(".", 1)[0]
        if "." in hostname and not is_ip(hostname) and self.state.has_bucket(first_label):
            bucket, key = first_label, path[1:] or None
        else:
            rest = path[1:]
            name, _, key_part = rest.partition("/")
            bucket, key = (name or None), (key_part or None)
        return OssRequest(
            scope=scope,
            receive=receive,
            method=scope["method"].upper(),
            headers=headers,
            params=params,
            bucket=bucket,
            key=key,
            request_id=uuid.uuid4().hex[:24].upper(),
            pacer=self._pacer(scope),
        )

    # --- sending ---------------------------------------------------------------------------------

    async def _send(self, request: OssRequest, response: OssResponse, send: Send) -> None:
        headers = {
            "x-oss-request-id": request.request_id,
            "Server": "AliyunOSS",
            "Date": http_date(time.time()),
            **response.headers,
        }
        length = response.length if response.stream is not None else len(response.body)
        if "Content-Length" not in headers:
            headers["Content-Length"] = str(length)
        # Logged before the answer goes out, so a client that got it always finds it logged.
        record = RequestRecord(
            method=request.method,
            bucket=request.bucket,
            key=request.key,
            params=tuple(sorted(request.params)),
            status=response.status,
            auth=request.auth,
            bytes_in=request.bytes_in,
            bytes_out=length or 0,
        )
        self.state.log_request(record)
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": response.status, "headers": raw})
        if response.stream is not None:
            stream = response.stream
            while True:
                # File reads off the event loop, like the writes.
                chunk = await asyncio.to_thread(next, stream, b"")
                if not chunk:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if request.pacer is not None:
                    await request.pacer.consume(len(chunk))
            await send({"type": "http.response.body", "body": b""})
            return
        body = response.body
        for offset in range(0, max(len(body), 1), CHUNK):
            chunk = body[offset : offset + CHUNK]
            more = offset + CHUNK < len(body)
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if request.pacer is not None and chunk:
                await request.pacer.consume(len(chunk))


def is_ip(host: str) -> bool:
    """An IP literal (or ``localhost``): path-style addressing, never a bucket subdomain."""
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost"
    return True


def create_oss_app(
    state: OssState, *, latency_s: float = 0.0, bandwidth_bps: float | None = None
) -> OssApp:
    """The OSS server as an ASGI app over ``state``.

    Args:
        latency_s: added before every request is handled (a WAN round trip).
        bandwidth_bps: bytes per second per connection, for request bodies and responses.
    """
    return OssApp(state, latency_s=latency_s, bandwidth_bps=bandwidth_bps)


@contextlib.contextmanager
def serve_oss(
    state: OssState,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency_s: float = 0.0,
    bandwidth_bps: float | None = None,
) -> Iterator[str]:
    """Run the OSS server with uvicorn in a background thread; yields its base URL.

    ::

        state = OssState()
        state.create_bucket("media")
        with serve_oss(state) as endpoint:   # "http://127.0.0.1:54321"
            ...
    """
    import uvicorn

    app = create_oss_app(state, latency_s=latency_s, bandwidth_bps=bandwidth_bps)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="oss-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the OSS emulator did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
