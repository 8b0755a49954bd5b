"""The model endpoint as an ASGI app (served by uvicorn): DashScope's compatible mode and uploads.

Routes:

- ``POST /compatible-mode/v1/chat/completions``: the streaming chat endpoint;
- ``GET  /compatible-mode/v1/models``: the served models (OpenAI list shape);
- ``GET  /api/v1/uploads?action=getPolicy&model=…``: a temporary-upload policy (§7);
- ``WS   /api-ws/v1/realtime?model=…``: realtime sessions (:mod:`qwen_omni_emulator.realtime`).

The app is a plain ASGI callable rather than a framework router so that it holds uvicorn's
own ``send``: a dropped connection is a real reset (``transport.abort()``), not an error page,
and a 5,000-delta stream is written in a few large writes instead of 5,000 framework calls.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from qwen_omni_emulator.bodies import (
    MSG,
    ServiceError,
    bad_request,
    native_error_body,
    new_request_id,
    status_error,
)
from qwen_omni_emulator.faults import FAULT_HEADER, Fault, FaultSyntaxError, parse_fault_header
from qwen_omni_emulator.log import RecordedRequest, mask_headers
from qwen_omni_emulator.perception import MediaSource, perceive
from qwen_omni_emulator.render import Rendered, apply_limits, prompt_usage, render
from qwen_omni_emulator.replies import Reply
from qwen_omni_emulator.request import ChatRequest, ParseOptions, parse_chat_request
from qwen_omni_emulator.responder import default_reply
from qwen_omni_emulator.state import EmulatorState, Endpoint

if TYPE_CHECKING:
    import httpx

__all__ = ["CHAT_PATH", "MODELS_PATH", "UPLOADS_PATH", "ModelApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_log = logging.getLogger(__name__)

CHAT_PATH = "/compatible-mode/v1/chat/completions"
MODELS_PATH = "/compatible-mode/v1/models"
UPLOADS_PATH = "/api/v1/uploads"
#: header that makes ``oss://`` URLs resolvable (§7)
OSS_RESOLVE_HEADER = "x-dashscope-ossresourceresolve"
#: coalesce back-to-back chunks into writes of about this size
WRITE_BATCH_BYTES = 64 * 1024
_SSE_HEADERS = [
    (b"content-type", b"text/event-stream;charset=UTF-8"),
    (b"cache-control", b"no-cache"),
]


def _model_of(body: Any) -> str:
    """The ``model`` of a request body (for per-model rate limits), "" when absent."""
    return str(body.get("model") or "") if isinstance(body, dict) else ""


@dataclass
class _Call:
    """One request to a simple (non-streaming) endpoint."""

    scope: Scope
    headers: dict[str, str]
    record: RecordedRequest
    send: Send

    @property
    def id(self) -> str:
        return self.record.request_id


class _Dropped(Exception):
    """Raised to make uvicorn close a connection when a clean reset is not possible."""


async def _until_disconnect(receive: Receive) -> None:
    """Return when the client closes the connection (the request body was already read)."""
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return


def _abort_connection(send: Send) -> None:
    """Reset the TCP connection under ``send`` (uvicorn's bound ``send`` knows its transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise _Dropped("connection dropped by fault injection")
    transport.abort()
    if hasattr(cycle, "disconnected"):
        cycle.disconnected = True  # type: ignore[union-attr]  # uvicorn then writes no more


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(parts)


def _elide(value: Any, limit: int) -> Any:
    """The JSON body for the log: long data URIs shortened to their header and length."""
    if isinstance(value, str):
        if len(value) > limit and value[:5].lower() == "data:":
            head = value.partition(",")[0]
            return f"{head},<{len(value) - len(head) - 1} chars elided>"
        return value
    if isinstance(value, list):
        return [_elide(v, limit) for v in value]
    if isinstance(value, dict):
        return {k: _elide(v, limit) for k, v in value.items()}
    return value


class ModelApp:
    """The ASGI app of the model endpoint, reading and writing :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._client: httpx.AsyncClient | None = None
        self._policy_calls: dict[tuple[str, str], deque[float]] = {}

    # --- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] == "websocket":
            from qwen_omni_emulator.realtime import REALTIME_PATH, serve_realtime

            if scope["path"].rstrip("/") == REALTIME_PATH:
                await serve_realtime(
                    self.state, scope, receive, send, api_key=self._api_key, abort=_abort_connection
                )
            else:
                await send({"type": "websocket.close", "code": 1008, "reason": "not found"})
            return
        if scope["type"] != "http":
            return
        path = scope["path"].rstrip("/")
        method = scope["method"]
        if path == CHAT_PATH:
            if method != "POST":
                await self._simple(scope, receive, send, self._method_not_supported)
                return
            await self._chat(scope, receive, send)
        elif path == UPLOADS_PATH and method == "GET":
            await self._simple(scope, receive, send, self._uploads)
        elif path == MODELS_PATH and method == "GET":
            await self._simple(scope, receive, send, self._models)
        else:
            await self._simple(scope, receive, send, self._not_found)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _media_source(self, api_key: str) -> MediaSource:
        import httpx

        if self._client is None:
            # trust_env=False: a proxy from the environment must never see emulator traffic.
            self._client = httpx.AsyncClient(
                trust_env=False,
                follow_redirects=True,
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            )
        state = self.state
        return MediaSource(
            self._client,
            timeout_s=state.config.fetch_timeout_s,
            hosted=state.hosted,
            routes=state.routes,
            resolve_oss=lambda url, model: state.oss.resolve_oss_url(
                url, model=model, api_key=api_key
            ),
        )

    # --- helpers ---------------------------------------------------------------------------

    def _record(self, scope: Scope, headers: dict[str, str], request_id: str) -> RecordedRequest:
        """Log the request (secrets masked) as it arrives, so tests see requests in flight."""
        record = RecordedRequest(
            request_id=request_id,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=mask_headers(headers),
        )
        self.state.log.add(record)
        return record

    @staticmethod
    def _raw_headers(scope: Scope) -> dict[str, str]:
        return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

    def _api_key(self, headers: dict[str, str]) -> str | None:
        """The accepted key from ``Authorization: Bearer <key>``, or None."""
        scheme, _, key = headers.get("authorization", "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return None
        expected = self.state.config.api_key
        if expected is not None and key != expected:
            return None
        return key

    async def _send_json(
        self,
        send: Send,
        status: int,
        body: Any,
        *,
        record: RecordedRequest,
        headers: dict[str, str] | None = None,
    ) -> None:
        request_id = record.request_id
        data = json.dumps(body, ensure_ascii=False).encode()
        raw = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
            (b"x-request-id", request_id.encode()),
        ]
        raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        record.finish()
        await send({"type": "http.response.body", "body": data})

    def _take_fault(
        self, headers: dict[str, str], endpoint: Endpoint, request_id: str
    ) -> Fault | None:
        value = headers.get(FAULT_HEADER)
        if value:
            try:
                return parse_fault_header(value)
            except FaultSyntaxError as exc:
                raise bad_request(str(exc), request_id=request_id) from None
        return self.state.next_fault(endpoint)

    async def _apply_fault_before_body(
        self, fault: Fault | None, send: Send, request_id: str, receive: Receive | None = None
    ) -> bool:
        """Apply faults that act before any response byte; True when the request is over."""
        if fault is None:
            return False
        if fault.kind == "status":
            raise status_error(
                fault.status,
                request_id=request_id,
                message=fault.message,
                retry_after=fault.retry_after,
            )
        if fault.kind == "disconnect":
            _abort_connection(send)
            return True
        if fault.kind == "slow":
            if receive is None:
                await asyncio.sleep(fault.seconds)
                return False
            # A client that gives up during the silence is gone: it must not consume the next
            # scripted reply (which belongs to whoever asks next).
            try:
                await asyncio.wait_for(_until_disconnect(receive), timeout=fault.seconds)
            except asyncio.TimeoutError:
                return False
            return True
        return False

    # --- simple endpoints ------------------------------------------------------------------

    async def _simple(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        handler: Callable[[_Call], Awaitable[tuple[int, Any] | None]],
    ) -> None:
        """Answer a non-streaming endpoint: ``handler`` returns (status, JSON body), raises
        :class:`ServiceError`, or returns None after dropping the connection."""
        headers = self._raw_headers(scope)
        record = self._record(scope, headers, new_request_id())
        await _read_body(receive)
        call = _Call(scope, headers, record, send)
        extra: dict[str, str] = {}
        try:
            result = await handler(call)
            if result is None:
                return
            status, body = result
        except ServiceError as err:
            status, body, extra = err.status, err.body, err.headers
            record.error = body
        record.status = status
        try:
            await self._send_json(send, status, body, record=record, headers=extra)
        finally:
            record.finish()

    async def _method_not_supported(self, call: _Call) -> tuple[int, Any]:
        method = call.scope["method"]
        raise bad_request(f"Request method '{method}' is not supported.", request_id=call.id)

    async def _not_found(self, call: _Call) -> tuple[int, Any]:
        raise status_error(404, request_id=call.id)

    async def _models(self, call: _Call) -> tuple[int, Any]:
        if self._api_key(call.headers) is None:
            raise status_error(401, request_id=call.id)
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": "system"}
            for name in sorted(self.state.config.models)
        ]
        return 200, {"object": "list", "data": data}

    async def _uploads(self, call: _Call) -> tuple[int, Any] | None:
        """``GET /api/v1/uploads?action=getPolicy&model=…`` (§7), DashScope-native bodies."""

        def refuse(status: int, code: str, message: str) -> ServiceError:
            return ServiceError(status, native_error_body(code, message, request_id=call.id))

        query = parse_qs(call.scope.get("query_string", b"").decode("latin-1"))
        key = self._api_key(call.headers)
        if key is None:
            raise refuse(401, "InvalidApiKey", MSG.NATIVE_INVALID_API_KEY)
        fault = self._take_fault(call.headers, "uploads", call.id)
        if fault is not None:
            call.record.fault = fault.header_value()
            if await self._apply_fault_before_body(fault, call.send, call.id):
                return None
        action = (query.get("action") or [""])[0]
        model = (query.get("model") or [""])[0]
        if action != "getPolicy":
            raise refuse(400, "InvalidParameter", MSG.missing_parameter("action"))
        if not model:
            raise refuse(400, "InvalidParameter", MSG.missing_parameter("model"))
        call.record.model = model
        if model not in self.state.config.models:
            raise refuse(404, "ModelNotFound", "Model can not be found.")
        if not self._policy_allowed(key, model):
            raise refuse(429, "Throttling.RateQuota", MSG.POLICY_RATE_LIMIT)
        data = self.state.oss.issue_upload_policy(
            model, api_key=key, upload_host=self.state.oss_endpoint
        )
        return 200, {"request_id": call.id, "data": data}

    def _policy_allowed(self, key: str, model: str) -> bool:
        """The 100 QPS per (account, model) limit of getPolicy, as a one-second window."""
        now = time.monotonic()
        window = self._policy_calls.setdefault((key, model), deque())
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.state.config.upload_policy_qps:
            return False
        window.append(now)
        return True

    # --- chat ------------------------------------------------------------------------------

    async def _chat(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = self.state.config
        request_id = new_request_id()
        headers = self._raw_headers(scope)
        record = self._record(scope, headers, request_id)
        raw = await _read_body(receive)
        try:
            record.body = _elide(json.loads(raw), config.log_data_uri_chars)
        except ValueError:
            record.body = None
        try:
            api_key = self._api_key(headers)
            if api_key is None:
                raise status_error(401, request_id=request_id)
            if not self.state.chat_allowed(api_key, _model_of(record.body)):
                raise status_error(429, request_id=request_id, retry_after=1.0)
            fault = self._take_fault(headers, "chat", request_id)
            if fault is not None:
                record.fault = fault.header_value()
            if config.latency_s:
                await asyncio.sleep(config.latency_s)
            if await self._apply_fault_before_body(fault, send, request_id, receive):
                if fault is not None and fault.kind == "slow":
                    record.status = 499  # the client closed the connection while waiting
                return
            reply, rendered = await self._answer(raw, headers, record, api_key)
            record.status = 200
            await self._stream(send, receive, rendered, reply, fault, record)
        except ServiceError as err:
            record.status = err.status
            record.error = err.body
            await self._send_json(send, err.status, err.body, record=record, headers=err.headers)
        except _Dropped:
            raise
        except Exception:
            # A bug in the emulator (or a responder): log it, answer the documented 500.
            _log.exception("emulator error while answering request %s", request_id)
            if record.status == 200:  # the stream had started: nothing more can be said
                raise
            internal = status_error(500, request_id=request_id)
            record.status, record.error = 500, internal.body
            await self._send_json(send, 500, internal.body, record=record)
        finally:
            record.finish()

    async def _answer(
        self, raw: bytes, headers: dict[str, str], record: RecordedRequest, api_key: str
    ) -> tuple[Reply, Rendered]:
        """Check the request, receive its media, pick the reply and encode it (or raise)."""
        config = self.state.config
        request_id = record.request_id
        opts = ParseOptions(
            models=config.models,
            allow_required_tool_choice=config.allow_required_tool_choice,
            oss_resolve_header=headers.get(OSS_RESOLVE_HEADER, "").lower() == "enable",
        )
        request = parse_chat_request(raw, request_id=request_id, headers=record.headers, opts=opts)
        record.model = request.model
        request.perceived = await perceive(request, self._media_source(api_key))
        record.perceived = [p.to_dict() for p in request.perceived]
        prompt_tokens, _ = prompt_usage(request)
        limit = request.spec.max_input(thinking=request.thinking)
        if request.spec.confirmed and prompt_tokens > limit:
            raise bad_request(MSG.input_length(limit), request_id=request_id)
        reply = self._next_reply(request)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.failure is not None:
            failure = reply.failure
            raise status_error(
                failure.status,
                request_id=request_id,
                message=failure.message,
                code=failure.code,
                type_=failure.type,
                retry_after=failure.retry_after,
            )
        rendered = render(request, apply_limits(request, reply), send_done=config.send_done)
        record.usage = rendered.usage
        record.reply_text = rendered.text
        record.tool_calls = rendered.tool_calls
        return reply, rendered

    def _next_reply(self, request: ChatRequest) -> Reply:
        """Scripted queue first, then the responder, then the default."""
        scripted = self.state.next_scripted()
        if scripted is not None:
            return scripted
        responder = self.state.responder
        if responder is not None:
            answer = responder(request)
            if answer is not None:
                return answer
        return default_reply(request)

    async def _stream(
        self,
        send: Send,
        receive: Receive,
        rendered: Rendered,
        reply: Reply,
        fault: Fault | None,
        record: RecordedRequest,
    ) -> None:
        chunks = rendered.chunks
        end = len(chunks)
        mode = "complete"
        if fault is not None and fault.kind == "drop":
            end, mode = min(fault.after, end), "drop"
        elif fault is not None and fault.kind == "cut":
            end, mode = min(fault.after, rendered.finish_index), "cut"
        headers = [*_SSE_HEADERS, (b"x-request-id", record.request_id.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})

        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        try:
            if mode == "complete":
                # the last chunk goes with the end of the body (after the log is complete)
                head, last = chunks[: end - 1], chunks[end - 1]
            else:
                head, last = chunks[:end], b""
            await self._write_chunks(send, head, reply.chunk_delay, gone)
            record.finish()
            if gone.is_set():
                return
            if mode == "drop":
                _abort_connection(send)
                return
            if mode == "cut" and fault is not None and fault.done:
                last = b"data: [DONE]\n\n"
            if reply.chunk_delay > 0 and head and last:
                await asyncio.sleep(reply.chunk_delay)
            await send({"type": "http.response.body", "body": last, "more_body": False})
        finally:
            watcher.cancel()

    async def _write_chunks(
        self, send: Send, chunks: list[bytes], delay: float, gone: asyncio.Event
    ) -> None:
        bandwidth = self.state.config.bandwidth_bps
        if delay > 0:
            for i, chunk in enumerate(chunks):
                if gone.is_set():
                    return
                if i:
                    await asyncio.sleep(delay)
                await self._write(send, chunk, bandwidth)
            return
        batch: list[bytes] = []
        size = 0
        for chunk in chunks:
            batch.append(chunk)
            size += len(chunk)
            if size >= WRITE_BATCH_BYTES:
                await self._write(send, b"".join(batch), bandwidth)
                batch, size = [], 0
                if gone.is_set():
                    return
        if batch:
            await self._write(send, b"".join(batch), bandwidth)

    @staticmethod
    async def _write(send: Send, data: bytes, bandwidth: float | None) -> None:
        if not bandwidth:
            await send({"type": "http.response.body", "body": data, "more_body": True})
            return
        step = max(1024, int(bandwidth / 20))
        for i in range(0, len(data), step):
            piece = data[i : i + step]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            await asyncio.sleep(len(piece) / bandwidth)
