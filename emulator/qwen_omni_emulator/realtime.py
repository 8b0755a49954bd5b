"""The realtime WebSocket route: ``/api-ws/v1/realtime?model=…`` on the model endpoint.

It follows the event order of the Qwen-Omni realtime service (``shared/reference/realtime.md``)
for manual turns (``input_audio_buffer.commit`` + ``response.create``) and server VAD (a
simple energy detector on the audio timeline: speech when a 20 ms frame's RMS is above
``realtime_vad_rms`` of full scale, end of turn after ``silence_duration_ms`` of quiet),
enforces the image rules (JPEG, ≤ 256 KB base64, ≤ 1 frame/s, not before audio), the session
schema of the model (flat, or nested for ``qwen3.8-omni-flash-realtime``), the voice lock
(``cannot_update_voice``), and reports usage in ``response.done``.

Replies are scripted with :class:`RealtimeReply` (``emulator.script_realtime(...)``); faults
with :class:`RealtimeFault` (``emulator.fail_realtime(...)``): drop the connection mid-reply,
cancel without ``response.done``. The idle cut and the session-length cut are settings
(``realtime_idle_s``, ``realtime_max_session_s``) so that tests can make them short.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import time
import uuid
from array import array
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs

from qwen_omni_emulator.log import mask_headers
from qwen_omni_emulator.replies import ToolCall
from qwen_omni_emulator.speech import BYTES_PER_SECOND, pcm_chunks, synthesize

if TYPE_CHECKING:
    from qwen_omni.catalog import ModelSpec
    from qwen_omni_emulator.app import Receive, Scope, Send
    from qwen_omni_emulator.state import EmulatorState

__all__ = [
    "REALTIME_PATH",
    "RealtimeFault",
    "RealtimeLog",
    "RealtimeReply",
    "serve_realtime",
]

REALTIME_PATH = "/api-ws/v1/realtime"
#: the service's wording for an image sent before any audio (reference, "Images")
IMAGE_BEFORE_AUDIO = "Error append image before append audio."
IMAGE_MAX_B64 = 256 * 1024
INPUT_RATE = 16_000
_FRAME_MS = 20


@dataclass(frozen=True)
class RealtimeReply:
    """One scripted realtime reply.

    Attributes:
        text: what the model says (the transcript when speaking, the text otherwise).
        input_transcript: the transcript of the user's turn (default: a description of it).
        tool_calls: function calls instead of speech (a tool call produces no audio).
        audio: PCM16 24 kHz to send (default: a tone as long as the text would take).
        chunk_chars: characters per transcript/text delta.
        chunk_delay: seconds between deltas (long replies make barge-in testable).
        usage: a usage object to report instead of the computed one.
    """

    text: str = ""
    input_transcript: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    audio: bytes | None = field(default=None, repr=False)
    chunk_chars: int = 8
    chunk_delay: float = 0.0
    usage: dict[str, Any] | None = None

    @classmethod
    def tool_call(cls, name: str, arguments: dict[str, Any] | str | None = None) -> RealtimeReply:
        """A reply that calls ``name`` with ``arguments``."""
        return cls(tool_calls=(ToolCall.of(name, arguments),))


@dataclass(frozen=True)
class RealtimeFault:
    """A fault for the next realtime reply.

    ``drop``: reset the TCP connection after ``after`` audio/text deltas of the reply.
    ``cancel_without_done``: on ``response.cancel``, stop the reply and never send its
    ``response.done`` (the quirk a gateway reproduced 6/6).
    """

    kind: Literal["drop", "cancel_without_done"]
    after: int = 2


@dataclass
class RealtimeLog:
    """What one realtime connection received (audio and images by size only)."""

    model: str
    headers: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)
    session: dict[str, Any] = field(default_factory=dict)
    images: list[int] = field(default_factory=list)
    audio_bytes: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    closed_by: str = ""

    def types(self) -> list[str]:
        """The client event types in order."""
        return [str(e.get("type")) for e in self.events]


def _rms(pcm: bytes) -> float:
    samples = array("h", pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768.0


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class _Conn:
    """One realtime connection: protocol state and the response task."""

    def __init__(self, state: EmulatorState, spec: ModelSpec, send: Send, log: RealtimeLog) -> None:
        self.state = state
        self.spec = spec
        self._send_raw = send
        self.log = log
        facts = spec.realtime
        self.nested = facts is not None and facts.schema == "nested"
        self.voice = spec.default_voice or ""
        self.modalities = ["text", "audio"]
        self.instructions = ""
        self.turn_detection: dict[str, Any] | None = {"type": "server_vad"}
        self.transcription: dict[str, Any] | None = None
        self.tools: list[Any] = []
        self.audio_appended = False
        self.audio_out = False
        self.buffer = bytearray()
        self.buffer_images: list[int] = []
        self.last_image = float("-inf")
        self.items: list[dict[str, Any]] = []
        self.response: asyncio.Task[None] | None = None
        self.response_id = ""
        self.cancel_quietly = False
        self.lock = asyncio.Lock()
        self.closed = False
        self.abort: Callable[[], None] = lambda: None
        self.pending_seconds = 0.0
        self.pending_images: list[int] = []
        # VAD on the audio timeline
        self.audio_ms = 0
        self.speaking = False
        self.quiet_ms = 0
        self.pending_frame = b""

    # --- output ---------------------------------------------------------------------------

    async def emit(self, kind: str, **fields: Any) -> None:
        if self.closed:
            return
        body = {"event_id": _new_id("event"), "type": kind, **fields}
        async with self.lock:
            await self._send_raw({"type": "websocket.send", "text": json.dumps(body)})

    async def error(self, message: str, code: str = "invalid_value") -> None:
        err = {"type": "invalid_request_error", "code": code, "message": message}
        self.log.errors.append(err)
        await self.emit("error", error=err)

    def session_view(self) -> dict[str, Any]:
        session: dict[str, Any] = {
            "id": self.log.session.get("id") or _new_id("sess"),
            "model": self.spec.name,
            "modalities": self.modalities,
            "instructions": self.instructions,
        }
        if self.nested:
            session["audio"] = {
                "input": {
                    "format": {"type": "pcm", "sample_rate": INPUT_RATE},
                    "turn_detection": self.turn_detection,
                    "transcription": self.transcription,
                },
                "output": {
                    "format": {"type": "pcm", "sample_rate": 24_000},
                    "voice": self.voice,
                },
            }
        else:
            session.update(
                voice=self.voice,
                input_audio_format="pcm",
                output_audio_format="pcm",
                turn_detection=self.turn_detection,
                input_audio_transcription=self.transcription,
            )
        session["tools"] = self.tools
        self.log.session = session
        return session

    # --- client events ----------------------------------------------------------------------

    async def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        handler = _HANDLERS.get(str(kind))
        if handler is None:
            await self.error(f"Unknown event type: {kind}", "invalid_event")
            return
        await handler(self, event)

    async def on_session_update(self, event: dict[str, Any]) -> None:
        session = event.get("session")
        if not isinstance(session, dict):
            await self.error("session.update needs a session object", "missing_parameter")
            return
        flat_keys = {"voice", "input_audio_format", "output_audio_format"} & set(session)
        if self.nested and flat_keys:
            await self.error(
                f"{self.spec.name} takes the nested session (audio.input.format, "
                f"audio.output.voice); unknown parameter: {sorted(flat_keys)[0]}",
                "invalid_parameter",
            )
            return
        if not self.nested and "audio" in session:
            await self.error(f"{self.spec.name}: unknown parameter: audio", "invalid_parameter")
            return
        if self.nested:
            audio = session.get("audio") or {}
            voice = (audio.get("output") or {}).get("voice")
            audio_in = audio.get("input") or {}
            turn = audio_in.get("turn_detection", self.turn_detection)
            transcription = audio_in.get("transcription", self.transcription)
        else:
            voice = session.get("voice")
            turn = session.get("turn_detection", self.turn_detection)
            transcription = session.get("input_audio_transcription", self.transcription)
        if voice is not None:
            if not voice:
                await self.error("voice must not be empty", "invalid_value")
                return
            if voice != self.voice and self.audio_out:
                await self.error(
                    "The voice cannot be updated after audio was generated.",
                    "cannot_update_voice",
                )
                return
        facts = self.spec.realtime
        if turn is not None and facts is not None and turn.get("type") not in facts.vad_types:
            await self.error(
                f"turn_detection.type {turn.get('type')!r} is not supported by {self.spec.name}",
                "invalid_value",
            )
            return
        if voice is not None:
            self.voice = voice
        self.turn_detection = turn
        self.transcription = transcription
        self.modalities = list(session.get("modalities") or self.modalities)
        self.instructions = str(session.get("instructions", self.instructions) or "")
        self.tools = list(session.get("tools", self.tools) or [])
        await self.emit("session.updated", session=self.session_view())

    async def on_append(self, event: dict[str, Any]) -> None:
        try:
            pcm = base64.b64decode(event.get("audio") or "", validate=True)
        except ValueError:
            await self.error("audio is not valid base64", "invalid_value")
            return
        self.audio_appended = True
        self.log.audio_bytes += len(pcm)
        self.buffer += pcm
        if self.turn_detection is not None:
            await self._vad(pcm)

    async def _vad(self, pcm: bytes) -> None:
        frame_bytes = INPUT_RATE * 2 * _FRAME_MS // 1000
        data = self.pending_frame + pcm
        usable = len(data) - len(data) % frame_bytes
        self.pending_frame = data[usable:]
        threshold = self.state.config.realtime_vad_rms
        silence_ms = int((self.turn_detection or {}).get("silence_duration_ms") or 800)
        for i in range(0, usable, frame_bytes):
            self.audio_ms += _FRAME_MS
            loud = _rms(data[i : i + frame_bytes]) > threshold
            if loud and not self.speaking:
                self.speaking, self.quiet_ms = True, 0
                await self.emit(
                    "input_audio_buffer.speech_started",
                    audio_start_ms=self.audio_ms - _FRAME_MS,
                    item_id=_new_id("item"),
                )
                if self.response is not None and not self.response.done():
                    await self._cancel()  # barge-in
            elif self.speaking:
                self.quiet_ms = 0 if loud else self.quiet_ms + _FRAME_MS
                if self.quiet_ms >= silence_ms:
                    self.speaking = False
                    await self.emit(
                        "input_audio_buffer.speech_stopped",
                        audio_end_ms=self.audio_ms,
                        item_id=_new_id("item"),
                    )
                    await self._commit()
                    self._start_response({})

    async def on_image(self, event: dict[str, Any]) -> None:
        image = event.get("image") or ""
        self.log.images.append(len(image))
        if not self.audio_appended:
            await self.error(IMAGE_BEFORE_AUDIO, "invalid_value")
            return
        if len(image) > IMAGE_MAX_B64:
            await self.error(
                f"image is {len(image)} base64 bytes; the limit is {IMAGE_MAX_B64}",
                "invalid_value",
            )
            return
        try:
            data = base64.b64decode(image, validate=True)
        except ValueError:
            await self.error("image is not valid base64", "invalid_value")
            return
        if not data.startswith(b"\xff\xd8\xff"):
            await self.error("image must be JPEG", "invalid_value")
            return
        now = time.monotonic()
        if now - self.last_image < 1.0 - 0.02:  # 20 ms for clock jitter between two hosts
            await self.error("image frame rate exceeds 1 frame per second", "invalid_value")
            return
        self.last_image = now
        self.buffer_images.append(len(data))

    async def on_commit(self, event: dict[str, Any]) -> None:
        if not self.buffer:
            await self.error(
                "Error committing input audio buffer: the buffer is empty.",
                "input_audio_buffer_commit_empty",
            )
            return
        await self._commit()

    async def _commit(self) -> None:
        item_id = _new_id("item")
        seconds = len(self.buffer) / (INPUT_RATE * 2)
        self.items.append(
            {"type": "message", "role": "user", "audio_s": seconds, "images": self.buffer_images}
        )
        await self.emit("input_audio_buffer.committed", item_id=item_id)
        await self.emit(
            "conversation.item.created",
            item={"id": item_id, "type": "message", "role": "user", "content": []},
        )
        if self.transcription is not None:
            nxt = self.state.peek_realtime()
            text = (nxt.input_transcript if nxt else None) or (
                f"<{seconds:.1f} s of speech, {len(self.buffer_images)} images>"
            )
            await self.emit(
                "conversation.item.input_audio_transcription.delta",
                item_id=item_id,
                delta=text,
            )
            await self.emit(
                "conversation.item.input_audio_transcription.completed",
                item_id=item_id,
                transcript=text,
            )
        self.pending_seconds = seconds
        self.pending_images = list(self.buffer_images)
        self.buffer.clear()
        self.buffer_images.clear()

    async def on_clear(self, event: dict[str, Any]) -> None:
        self.buffer.clear()
        self.buffer_images.clear()
        await self.emit("input_audio_buffer.cleared")

    async def on_item_create(self, event: dict[str, Any]) -> None:
        item = event.get("item")
        if not isinstance(item, dict) or item.get("type") not in (
            "message",
            "function_call_output",
        ):
            await self.error("item.type must be message or function_call_output", "invalid_value")
            return
        item = {"id": _new_id("item"), **item}
        self.items.append(item)
        await self.emit("conversation.item.created", item=item)

    async def on_response_create(self, event: dict[str, Any]) -> None:
        if self.response is not None and not self.response.done():
            await self.error(
                "Conversation already has an active response",
                "conversation_already_has_active_response",
            )
            return
        self._start_response(event.get("response") or {})

    async def on_cancel(self, event: dict[str, Any]) -> None:
        if self.response is None or self.response.done():
            await self.error("no active response to cancel", "response_cancel_not_active")
            return
        await self._cancel()

    async def on_finish(self, event: dict[str, Any]) -> None:
        facts = self.spec.realtime
        if facts is None or facts.finish_acknowledged:
            await self.emit("session.finished")
        self.log.closed_by = "client_finish"
        raise _Finish

    # --- replies ----------------------------------------------------------------------------

    def _start_response(self, overrides: dict[str, Any]) -> None:
        reply = self.state.next_realtime() or self._default_reply()
        fault = self.state.next_realtime_fault()
        self.response_id = _new_id("resp")
        self.cancel_quietly = fault is not None and fault.kind == "cancel_without_done"
        modalities = list(overrides.get("modalities") or self.modalities)
        self.response = asyncio.create_task(
            self._respond_or_drop(self.response_id, reply, modalities, fault)
        )

    async def _respond_or_drop(
        self, rid: str, reply: RealtimeReply, modalities: list[str], fault: RealtimeFault | None
    ) -> None:
        try:
            await self._respond(rid, reply, modalities, fault)
        except _Drop:
            self.closed = True
            self.log.closed_by = "fault_drop"
            self.abort()

    def _default_reply(self) -> RealtimeReply:
        last = self.items[-1] if self.items else {}
        if last.get("type") == "function_call_output":
            # after a tool result the model reports it (as the service's models do)
            return RealtimeReply(text=f"The tool says: {str(last.get('output'))[:200]}")
        seconds, images = self.pending_seconds, len(self.pending_images)
        return RealtimeReply(
            text=f"I heard {seconds:.1f} seconds of audio and saw {images} images."
        )

    async def _cancel(self) -> None:
        task = self.response
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if not self.cancel_quietly:
            await self._done(self.response_id, "cancelled", [], None)

    async def _done(
        self, rid: str, status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None
    ) -> None:
        await self.emit(
            "response.done",
            response={"id": rid, "object": "realtime.response", "status": status,
                      "output": output, "usage": usage},
        )  # fmt: skip

    def _usage(self, reply: RealtimeReply, out_audio_s: float) -> dict[str, Any]:
        from qwen_omni.media.tokens import audio_tokens, image_tokens, text_tokens

        tok = self.spec.tokens
        seconds = self.pending_seconds
        audio_in = audio_tokens(seconds, tok) if seconds else 0
        images_in = len(self.pending_images) * image_tokens(1280, 720, tok)
        text_in = text_tokens(self.instructions) + sum(
            text_tokens(str(c.get("text") or ""))
            for item in self.items
            for c in item.get("content") or []
            if isinstance(c, dict)
        )
        audio_out = audio_tokens(out_audio_s, tok, output=True) if out_audio_s else 0
        text_out = text_tokens(reply.text) + sum(text_tokens(c.arguments) for c in reply.tool_calls)
        return {
            "total_tokens": audio_in + images_in + text_in + audio_out + text_out,
            "input_tokens": audio_in + images_in + text_in,
            "output_tokens": audio_out + text_out,
            "input_token_details": {
                "text_tokens": text_in,
                "audio_tokens": audio_in,
                "image_tokens": images_in,
            },
            "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
        }

    async def _respond(
        self, rid: str, reply: RealtimeReply, modalities: list[str], fault: RealtimeFault | None
    ) -> None:
        await self.emit("response.created", response={"id": rid, "status": "in_progress"})
        deltas = 0

        async def tick() -> None:
            nonlocal deltas
            deltas += 1
            if fault is not None and fault.kind == "drop" and deltas >= fault.after:
                raise _Drop
            if reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)

        if reply.tool_calls:
            output = []
            for call in reply.tool_calls:
                item: dict[str, Any] = {
                    "id": _new_id("item"),
                    "type": "function_call",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": "",
                }
                await self.emit("response.output_item.added", response_id=rid, item=item)
                args = call.arguments
                for i in range(0, max(1, len(args)), 16):
                    await self.emit(
                        "response.function_call_arguments.delta",
                        response_id=rid,
                        item_id=item["id"],
                        call_id=call.id,
                        delta=args[i : i + 16],
                    )
                    await tick()
                await self.emit(
                    "response.function_call_arguments.done",
                    response_id=rid,
                    item_id=item["id"],
                    call_id=call.id,
                    name=call.name,
                    arguments=args,
                )
                item = {**item, "arguments": args, "status": "completed"}
                await self.emit("response.output_item.done", response_id=rid, item=item)
                output.append(item)
            await self._done(rid, "completed", output, reply.usage or self._usage(reply, 0.0))
            return
        speak = "audio" in modalities
        item_id = _new_id("item")
        msg: dict[str, Any] = {"id": item_id, "type": "message", "role": "assistant"}
        item = {**msg, "content": []}
        await self.emit("response.output_item.added", response_id=rid, item=item)
        part = {"type": "audio" if speak else "text"}
        await self.emit("response.content_part.added", response_id=rid, item_id=item_id, part=part)
        n = max(1, reply.chunk_chars)
        pieces = [reply.text[i : i + n] for i in range(0, len(reply.text), n)] or [""]
        pcm = (
            (reply.audio if reply.audio is not None else synthesize(reply.text, self.voice))
            if speak
            else b""
        )
        chunks = pcm_chunks(pcm, len(pieces)) if speak else []
        for i, piece in enumerate(pieces):
            if speak:
                await self.emit("response.audio_transcript.delta", response_id=rid,
                                item_id=item_id, delta=piece)  # fmt: skip
                if i < len(chunks) and chunks[i]:
                    self.audio_out = True
                    await self.emit("response.audio.delta", response_id=rid, item_id=item_id,
                                    delta=base64.b64encode(chunks[i]).decode())  # fmt: skip
            else:
                await self.emit("response.text.delta", response_id=rid, item_id=item_id,
                                delta=piece)  # fmt: skip
            await tick()
        for chunk in chunks[len(pieces) :]:
            await self.emit("response.audio.delta", response_id=rid, item_id=item_id,
                            delta=base64.b64encode(chunk).decode())  # fmt: skip
        if speak:
            await self.emit("response.audio.done", response_id=rid, item_id=item_id)
            await self.emit("response.audio_transcript.done", response_id=rid, item_id=item_id,
                            transcript=reply.text)  # fmt: skip
        else:
            await self.emit("response.text.done", response_id=rid, item_id=item_id,
                            text=reply.text)  # fmt: skip
        await self.emit("response.content_part.done", response_id=rid, item_id=item_id, part=part)
        done_item = {**item, "status": "completed"}
        await self.emit("response.output_item.done", response_id=rid, item=done_item)
        self.items.append({"type": "message", "role": "assistant",
                           "content": [{"type": "text", "text": reply.text}]})  # fmt: skip
        usage = reply.usage or self._usage(reply, len(pcm) / BYTES_PER_SECOND)
        await self._done(rid, "completed", [done_item], usage)


class _Finish(Exception):
    """The client sent ``session.finish``."""


class _Drop(Exception):
    """Fault injection: reset the connection."""


_HANDLERS: dict[str, Callable[[_Conn, dict[str, Any]], Awaitable[None]]] = {
    "session.update": _Conn.on_session_update,
    "input_audio_buffer.append": _Conn.on_append,
    "input_image_buffer.append": _Conn.on_image,
    "input_audio_buffer.commit": _Conn.on_commit,
    "input_audio_buffer.clear": _Conn.on_clear,
    "conversation.item.create": _Conn.on_item_create,
    "response.create": _Conn.on_response_create,
    "response.cancel": _Conn.on_cancel,
    "session.finish": _Conn.on_finish,
}


def _log_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event for the log: audio and images replaced by their sizes."""
    out = dict(event)
    for key in ("audio", "image"):
        if isinstance(out.get(key), str):
            out[key] = f"<{len(out[key])} base64 chars>"
    return out


async def _reject(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"code": code, "message": message}).encode()
    await send(
        {
            "type": "websocket.http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "websocket.http.response.body", "body": body})


async def serve_realtime(
    state: EmulatorState,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    api_key: Callable[[dict[str, str]], str | None],
    abort: Callable[[Send], None],
) -> None:
    """Serve one realtime connection (an ASGI ``websocket`` scope)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    model = (query.get("model") or [""])[0]
    log = RealtimeLog(model=model, headers=mask_headers(headers))
    state.realtime_log.append(log)
    if (await receive())["type"] != "websocket.connect":
        return
    if api_key(headers) is None:
        log.closed_by = "rejected_401"
        await _reject(send, 401, "InvalidApiKey", "Invalid API-key provided.")
        return
    spec = state.config.models.get(model)
    if spec is None or spec.realtime is None:
        log.closed_by = "rejected_404"
        what = "is not a realtime model" if spec is not None else "does not exist"
        await _reject(send, 404, "ModelNotFound", f"Model {model!r} {what}.")
        return
    await send({"type": "websocket.accept"})
    conn = _Conn(state, spec, send, log)
    conn.abort = lambda: abort(send)
    await conn.emit("session.created", session=conn.session_view())
    config = state.config
    started = time.monotonic()
    last = started
    try:
        while True:
            now = time.monotonic()
            idle_left = config.realtime_idle_s - (now - last)
            session_left = config.realtime_max_session_s - (now - started)
            wait = min(idle_left, session_left)
            if wait <= 0:
                log.closed_by = "idle_cut" if idle_left <= 0 else "session_cut"
                break
            try:
                message = await asyncio.wait_for(receive(), timeout=wait)
            except asyncio.TimeoutError:
                continue
            if message["type"] == "websocket.disconnect":
                log.closed_by = log.closed_by or "client_close"
                conn.closed = True
                return
            text = message.get("text")
            if text is None:
                await conn.error(
                    "binary frames are not accepted: send JSON events", "invalid_event"
                )
                continue
            last = time.monotonic()
            try:
                event = json.loads(text)
            except ValueError:
                await conn.error("the event is not valid JSON", "invalid_event")
                continue
            if not isinstance(event, dict):
                await conn.error("the event must be a JSON object", "invalid_event")
                continue
            log.events.append(_log_event(event))
            await conn.handle(event)
    except _Finish:
        pass
    finally:
        if conn.response is not None and not conn.response.done():
            conn.response.cancel()
    conn.closed = True
    await send({"type": "websocket.close", "code": 1000, "reason": log.closed_by})
