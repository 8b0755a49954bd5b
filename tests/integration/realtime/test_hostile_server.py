"""A realtime server that misbehaves (a raw websockets server on loopback, not the emulator)."""

from __future__ import annotations

import json

import pytest

from qwen_omni.errors import APITimeoutError, BadRequestError
from qwen_omni.realtime import AsyncRealtimeSession, ErrorEvent, ResponseDone

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


async def serve(handler):
    from websockets.asyncio.server import serve as ws_serve

    server = await ws_serve(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/compatible-mode/v1"


async def test_malformed_events_are_reported_and_the_session_goes_on():
    async def handler(ws):
        await ws.send(json.dumps({"type": "session.created", "session": {}}))
        await ws.recv()  # session.update
        await ws.send(json.dumps({"type": "session.updated", "session": {"voice": "Cherry"}}))
        await ws.send("not json at all")
        await ws.send(json.dumps([1, 2, 3]))
        await ws.send(json.dumps({"type": "response.created", "response": {"id": "r1"}}))
        await ws.send(json.dumps({"type": "response.audio.delta", "delta": "!!not base64!!"}))
        await ws.send(json.dumps({"type": "response.audio_transcript.delta", "delta": "ok"}))
        await ws.send(json.dumps({"type": "response.done", "response": {"id": "r1"}}))
        await ws.wait_closed()

    server, base = await serve(handler)
    async with server:
        s = AsyncRealtimeSession(base_url=base, api_key="k", keepalive_s=None, reconnect_attempts=0)
        await s.connect()
        seen = []
        async for event in s.events():
            seen.append(event)
            if isinstance(event, ResponseDone):
                break
        await s.close()
    errors = [e for e in seen if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and not errors[0].fatal
    assert "response.audio.delta" in str(errors[0].error)
    assert seen[-1].turn.transcript == "ok"


async def test_a_server_that_never_acknowledges_the_session_times_out():
    async def handler(ws):
        await ws.send(json.dumps({"type": "session.created", "session": {}}))
        await ws.wait_closed()  # never sends session.updated

    server, base = await serve(handler)
    async with server:
        s = AsyncRealtimeSession(
            base_url=base, api_key="k", keepalive_s=None, connect_timeout_s=0.5
        )
        with pytest.raises(APITimeoutError, match=r"session\.updated"):
            await s.connect()
        await s.close()


async def test_a_refused_session_update_raises_from_connect():
    async def handler(ws):
        await ws.send(json.dumps({"type": "session.created", "session": {}}))
        await ws.recv()
        err = {"type": "invalid_request_error", "code": "invalid_value", "message": "bad voice"}
        await ws.send(json.dumps({"type": "error", "error": err}))
        await ws.wait_closed()

    server, base = await serve(handler)
    async with server:
        s = AsyncRealtimeSession(base_url=base, api_key="k", keepalive_s=None)
        with pytest.raises(BadRequestError, match="bad voice"):
            await s.connect()
        await s.close()


async def test_reconnect_gives_up_after_its_attempts_and_events_raise():
    from websockets.asyncio.server import serve as ws_serve

    from qwen_omni.errors import ServiceError

    connections = []

    def refuse_after_first(connection, request):
        connections.append(request.path)
        if len(connections) > 1:
            return connection.respond(503, "busy\n")
        return None

    async def handler(ws):
        await ws.send(json.dumps({"type": "session.created", "session": {}}))
        await ws.recv()
        await ws.send(json.dumps({"type": "session.updated", "session": {}}))
        await ws.close()  # the service drops the session

    server = await ws_serve(handler, "127.0.0.1", 0, process_request=refuse_after_first)
    port = server.sockets[0].getsockname()[1]
    async with server:
        s = AsyncRealtimeSession(
            base_url=f"http://127.0.0.1:{port}/compatible-mode/v1",
            api_key="k",
            keepalive_s=None,
            reconnect_attempts=2,
        )
        await s.connect()
        seen = []

        async def read_all() -> None:
            async for event in s.events():
                seen.append(event)

        with pytest.raises(ServiceError):
            await read_all()
        await s.close()
    assert len(connections) == 3  # the session, then two attempts
    fatal = [e for e in seen if isinstance(e, ErrorEvent) and e.fatal]
    assert len(fatal) == 1
