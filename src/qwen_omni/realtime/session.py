"""A realtime (WebSocket) session with Qwen-Omni: audio and frames in, text and speech out.

::

    async with AsyncRealtimeSession(model="qwen3-omni-flash-realtime",
                                    turn_detection=None) as session:   # manual turns
        await session.send_audio("question.wav")        # any file/WAV/PCM → 16 kHz packets
        await session.send_image("frame.png")           # JPEG ≤ 256 KB base64, ≤ 1 fps
        await session.commit()
        await session.respond()
        turn = await session.next_turn()                # text, transcript, audio, usage, cost
        turn.save_audio("reply.wav")

What the session does for you (facts in ``docs/realtime.md``):

- configures the session (flat or nested schema, from the catalog) and refuses what the model
  cannot do before connecting (chat models, VAD types, voices, tools vs search);
- keeps the socket alive: the service drops a socket idle ~300 s and WebSocket pings do not
  count, so after ``keepalive_s`` without a client event it appends 100 ms of silence;
- reconnects after a drop (or the idle/session-length cut), replaying ``session.update`` and the
  text history (user transcripts, assistant replies, typed text);
- ends a cancelled reply even when the service never sends its ``response.done`` (a known quirk);
- runs tool calls with your handler (or our registry tools) and sends the results back.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from qwen_omni.catalog import ModelSpec, get_model
from qwen_omni.config import Settings, resolve_settings
from qwen_omni.errors import (
    APIConnectionError,
    APITimeoutError,
    QwenOmniError,
    RequestValidationError,
    error_from_status,
)
from qwen_omni.realtime.audio import (
    INPUT_SAMPLE_RATE,
    PACKET_BYTES,
    PACKET_MS,
    StreamResampler,
    pcm_packets,
    silence,
)
from qwen_omni.realtime.events import (
    AudioDelta,
    ErrorEvent,
    InputTranscript,
    Interrupted,
    RealtimeEvent,
    Reconnected,
    ResponseDone,
    ResponseStarted,
    SessionUpdated,
    SpeechStarted,
    TextDelta,
    ToolCallEvent,
    ToolResultSent,
    TranscriptDelta,
    Turn,
    parse_event,
)
from qwen_omni.realtime.protocol import (
    SessionConfig,
    TurnDetection,
    build_session,
    check_model,
    client_event,
    error_from_event,
    realtime_tools,
    realtime_url,
)

__all__ = ["DEFAULT_REALTIME_MODEL", "AsyncRealtimeSession", "ToolHandler", "turn_cost"]

_log = logging.getLogger("qwen_omni.realtime")

DEFAULT_REALTIME_MODEL = "qwen3-omni-flash-realtime"
#: keep-alive margin: a client event at least this often (the service cuts at ~300 s idle)
DEFAULT_KEEPALIVE_S = 240.0

#: ``handler(call) -> output``; sync or async; the output is sent back as text (JSON for dicts)
ToolHandler = Callable[[ToolCallEvent], Any]

_CLOSED = object()


def turn_cost(spec: ModelSpec, usage: Mapping[str, Any] | None, region: str | None) -> float | None:
    """Cost of one reply from its ``response.done`` usage and the catalog's list prices.

    Pure. Tokens per modality come from ``input_token_details`` / ``output_token_details``;
    when audio is in the output, its text is free (as in chat). None without prices or usage.
    """
    prices = spec.price(region or "beijing")
    if prices is None or not usage:
        return None
    ins = usage.get("input_token_details") or {}
    outs = usage.get("output_token_details") or {}
    audio_in = float(ins.get("audio_tokens") or 0)
    image_in = float(ins.get("image_tokens") or 0)
    text_in = float(ins.get("text_tokens", max(0.0, usage.get("input_tokens", 0) - audio_in)))
    audio_out = float(outs.get("audio_tokens") or 0)
    text_out = float(outs.get("text_tokens", usage.get("output_tokens", 0)))
    cost = (
        text_in * prices.input_text
        + audio_in * prices.input_audio
        + image_in * prices.input_image_video
    )
    if audio_out:
        cost += audio_out * prices.output_audio
    else:
        multimodal = audio_in or image_in
        cost += text_out * (prices.output_text_multimodal if multimodal else prices.output_text)
    return cost / 1_000_000


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    dump = getattr(value, "model_dump_json", None)
    if callable(dump):
        render = getattr(value, "to_text", None)
        return str(render()) if callable(render) else str(dump())
    return json.dumps(value, ensure_ascii=False, default=str)


class AsyncRealtimeSession:
    """One realtime conversation (one WebSocket at a time; reconnects keep the conversation).

    Args:
        api_key, region, base_url: as for :class:`~qwen_omni.OmniClient` (``DASHSCOPE_API_KEY``,
            ``QWEN_OMNI_REGION``, ``QWEN_OMNI_BASE_URL``); the realtime URL is
            ``wss://<host>/api-ws/v1/realtime`` on the same host (``ws://`` for ``http://``).
        model: a ``-realtime`` model (default ``qwen3-omni-flash-realtime``, or
            ``QWEN_OMNI_REALTIME_MODEL``). Chat models are refused before connecting.
        voice: the reply voice (default: the model's); locked after the first spoken reply.
        instructions: the system prompt.
        modalities: ``("text", "audio")`` (default) or ``("text",)``.
        turn_detection: ``"server_vad"`` (default), ``"semantic_vad"`` (Qwen3.5-Omni), a
            :class:`TurnDetection`/dict with thresholds, or ``None`` for manual turns.
        input_transcription: a transcription model for transcripts of the user's speech.
        tools: chat-style tool definitions, realtime ones, or our registry's tools
            (``qwen_omni.tasks.TOOLS``); the same definitions as for chat.
        tool_handler: runs a tool call and returns its output; without it, registry tools run
            on ``tasks`` (an ``AsyncOmniTasks``) and other calls are left to you
            (:meth:`tool_result`).
        keepalive_s: append 100 ms of silence after this long without a client event (None:
            never).
        reconnect_attempts: reconnections tried after an unexpected close (0: none).
        cancel_done_timeout_s: how long to wait for ``response.done`` after a cancel.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        region: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        voice: str | None = None,
        instructions: str | None = None,
        modalities: Sequence[str] = ("text", "audio"),
        turn_detection: TurnDetection | str | Mapping[str, Any] | None = "server_vad",
        input_transcription: str | None = None,
        tools: Sequence[Any] | None = None,
        tool_handler: ToolHandler | None = None,
        tasks: Any = None,
        enable_search: bool = False,
        session_extra: Mapping[str, Any] | None = None,
        keepalive_s: float | None = DEFAULT_KEEPALIVE_S,
        reconnect_attempts: int = 3,
        connect_timeout_s: float = 10.0,
        cancel_done_timeout_s: float = 2.0,
        price_region: str | None = None,
    ) -> None:
        http_base = base_url
        if base_url and base_url.startswith(("ws://", "wss://")):
            http_base = "http" + base_url[2:]
        self.settings: Settings = resolve_settings(
            api_key=api_key,
            base_url=http_base,
            region=region,
            model=model or os.environ.get("QWEN_OMNI_REALTIME_MODEL") or DEFAULT_REALTIME_MODEL,
        )
        self.spec = get_model(self.settings.model)
        self.config = SessionConfig(
            voice=voice,
            instructions=instructions,
            modalities=tuple(modalities),
            turn_detection=TurnDetection.coerce(turn_detection),
            input_transcription=input_transcription,
            tools=realtime_tools(tools or ()),
            enable_search=enable_search,
            extra=dict(session_extra or {}),
        )
        check_model(self.spec, self.config)
        self.url = realtime_url(base_url or self.settings.base_url, self.spec.name)
        self._registry = {t.name: t for t in (tools or ()) if hasattr(t, "arun")}
        self._tool_handler = tool_handler
        self._tasks = tasks
        self.keepalive_s = keepalive_s
        self.reconnect_attempts = reconnect_attempts
        self.connect_timeout_s = connect_timeout_s
        self.cancel_done_timeout_s = cancel_done_timeout_s
        self.price_region = price_region or self.settings.region
        #: the service's view of the session (from ``session.updated``)
        self.session: dict[str, Any] = {}
        #: text history replayed after a reconnect: (role, text)
        self.history: list[tuple[str, str]] = []
        self.connections = 0
        self._ws: Any = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._ready: asyncio.Future[None] | None = None
        self._closing = False
        self._fatal: QwenOmniError | None = None
        self._turn: Turn | None = None
        self._cancelled: set[str] = set()
        self._audio_sent = False
        self._audio_out_seen = False
        self._buffered_ms = 0
        self._last_send = time.monotonic()
        self._last_image = float("-inf")
        self._send_lock = asyncio.Lock()
        self._finished_event = asyncio.Event()
        self._stream: StreamResampler | None = None
        self._stream_pending = bytearray()

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> AsyncRealtimeSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the socket, send ``session.update`` and wait for ``session.updated``.

        Raises:
            ConfigurationError: no API key. AuthenticationError etc.: the handshake was refused.
            APIConnectionError, APITimeoutError: no answer. BadRequestError: the session config
                was refused (an ``error`` event).
        """
        await self._open()
        try:
            await self._configure(replay=False)
        except BaseException:
            await self._drop_ws()  # no half-configured socket left behind
            raise
        if self.keepalive_s and self._keeper is None:
            self._keeper = asyncio.create_task(self._keep_alive())

    async def _open(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus, WebSocketException

        key = self.settings.require_key()
        try:
            self._ws = await asyncio.wait_for(
                connect(
                    self.url,
                    additional_headers={"Authorization": f"Bearer {key}"},
                    max_size=None,
                    compression=None,
                    # pings keep NATs happy but do not count as activity for the service
                    ping_interval=20,
                    open_timeout=None,
                ),
                timeout=self.connect_timeout_s,
            )
        except InvalidStatus as exc:
            response = exc.response
            raise error_from_status(
                response.status_code, response.body, headers=response.headers
            ) from exc
        except asyncio.TimeoutError as exc:
            raise APITimeoutError(
                f"{self._safe_url}: no WebSocket handshake within {self.connect_timeout_s} s"
            ) from exc
        except (OSError, WebSocketException) as exc:
            raise APIConnectionError(f"could not reach {self._safe_url}: {exc}") from exc
        self.connections += 1
        self._audio_sent = False
        self._buffered_ms = 0
        self._last_send = time.monotonic()
        self._reader = asyncio.create_task(self._read_loop(self._ws))

    async def _drop_ws(self) -> None:
        """Forget the current socket (its reader then stops quietly) and close it."""
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    @property
    def _safe_url(self) -> str:
        return self.url.split("?")[0]

    async def _configure(self, *, replay: bool) -> int:
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        await self._send("session.update", session=build_session(self.spec, self.config))
        replayed = 0
        if replay:
            for role, text in self.history:
                kind = "input_text" if role == "user" else "text"
                item = {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}
                await self._send("conversation.item.create", item=item)
                replayed += 1
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout=self.connect_timeout_s)
        except asyncio.TimeoutError as exc:
            raise APITimeoutError(
                f"{self._safe_url}: no session.updated within {self.connect_timeout_s} s"
            ) from exc
        return replayed

    async def close(self) -> None:
        """End the session (``session.finish``, then close the socket). Idempotent."""
        if self._closing:
            return
        self._closing = True
        for task in (self._keeper, *self._background):
            if task is not None:
                task.cancel()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await self._send("session.finish")
                facts = self.spec.realtime
                if facts is None or facts.finish_acknowledged:
                    # session.finished is the ACK; some models never send it (3.8, and 3.5
                    # rejects the finish: dashscope-sdk-python#140), so wait briefly only.
                    await asyncio.wait_for(self._finished(), timeout=1.0)
            with contextlib.suppress(Exception):
                await ws.close()
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._reader, timeout=2.0)
        self._queue.put_nowait(_CLOSED)

    async def _finished(self) -> None:
        await self._finished_event.wait()

    # --- sending -------------------------------------------------------------------------

    async def _send(self, kind: str, **fields: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        ws = self._ws
        if ws is None:
            raise APIConnectionError("the realtime session is not connected: call connect()")
        text = client_event(kind, **fields)
        try:
            async with self._send_lock:
                await ws.send(text)
        except ConnectionClosed as exc:
            raise APIConnectionError(
                f"the realtime connection is closed ({exc}); the session reconnects on its own "
                "when reconnect_attempts > 0: retry after the Reconnected event"
            ) from exc
        self._last_send = time.monotonic()

    @property
    def connection(self) -> Any:
        """The current ``websockets`` client connection (None when not connected)."""
        return self._ws

    async def send_event(self, kind: str, **fields: Any) -> None:
        """Send any client event as is (``conversation.item.retrieve``…): the escape hatch for
        events this class has no method for."""
        await self._send(kind, **fields)

    async def append_audio(self, pcm16k: bytes) -> None:
        """Append one packet of PCM16 mono 16 kHz (``input_audio_buffer.append``)."""
        await self._send("input_audio_buffer.append", audio=base64.b64encode(pcm16k).decode())
        self._audio_sent = True
        self._buffered_ms += len(pcm16k) * 1000 // (INPUT_SAMPLE_RATE * 2)

    async def send_audio(
        self,
        source: Path | str | bytes,
        *,
        sample_rate: int | None = None,
        channels: int = 1,
        pace: bool = False,
    ) -> float:
        """Send audio as ~100 ms packets of PCM16 mono 16 kHz; returns the seconds sent.

        ``source``: a file path (audio, or a video's sound), a file's bytes (WAV, MP3…), or raw
        PCM16 with ``sample_rate`` (and ``channels``). ``pace=True`` sends in real time (what a
        microphone would do; VAD timing then matches the wall clock).
        """
        start = time.monotonic()
        sent = 0.0
        for packet in pcm_packets(source, sample_rate=sample_rate, channels=channels):
            await self.append_audio(packet)
            sent += len(packet) / (INPUT_SAMPLE_RATE * 2)
            if pace:
                ahead = start + sent - time.monotonic()
                if ahead > 0:
                    await asyncio.sleep(ahead)
        return sent

    async def push_audio(self, pcm: bytes, *, sample_rate: int = 16_000, channels: int = 1) -> None:
        """Stream live PCM16 (a microphone, a WebRTC track) in chunks of any size and rate.

        Chunks are resampled to 16 kHz mono with one resampler for the whole stream and sent
        as 100 ms packets; the remainder goes out with :meth:`commit` (or :meth:`flush_audio`).
        """
        stream = self._stream
        if stream is None or (stream.sample_rate, stream.channels) != (sample_rate, channels):
            if stream is not None:
                self._stream_pending += stream.flush()
            stream = self._stream = StreamResampler(sample_rate, channels)
        self._stream_pending += stream.push(pcm)
        while len(self._stream_pending) >= PACKET_BYTES:
            packet = bytes(self._stream_pending[:PACKET_BYTES])
            del self._stream_pending[:PACKET_BYTES]
            await self.append_audio(packet)

    async def flush_audio(self) -> None:
        """Send what :meth:`push_audio` still holds (less than one packet)."""
        if self._stream is not None:
            self._stream_pending += self._stream.flush()
        if self._stream_pending:
            packet = bytes(self._stream_pending)
            self._stream_pending.clear()
            await self.append_audio(packet)

    async def send_silence(self, seconds: float) -> None:
        """Append ``seconds`` of silence (VAD mode needs it to detect the end of a turn)."""
        for _ in range(max(1, round(seconds * 1000 / PACKET_MS))):
            await self.append_audio(silence())

    async def send_image(self, image: Any, *, wait: bool = False) -> bool:
        """Send one video frame as JPEG (``input_image_buffer.append``); False if throttled.

        The frame is re-encoded to fit the model's cap (256 KB of base64). At most one frame
        per second is sent (``image_max_fps``): a faster frame is dropped (False), or with
        ``wait=True`` sent as soon as allowed.

        Raises:
            RequestValidationError: no audio was sent yet on this connection (the service
                refuses images before audio: "append image before append audio").
        """
        from qwen_omni.realtime.images import jpeg_frame

        facts = self.spec.realtime
        if not self._audio_sent:
            raise RequestValidationError(
                "send audio before the first image: the service refuses input_image_buffer."
                "append before any input_audio_buffer.append ('append image before append "
                "audio'); call send_audio (silence is fine) first",
                rule="image_after_audio",
            )
        max_fps = facts.image_max_fps if facts else 1.0
        gap = 1.0 / max_fps
        wait_s = self._last_image + gap - time.monotonic()
        if wait_s > 0:
            if not wait:
                return False
            await asyncio.sleep(wait_s)
        cap = facts.image_max_base64_bytes if facts else 256 * 1024
        jpeg = await asyncio.to_thread(jpeg_frame, image, max_base64_bytes=cap)
        self._last_image = time.monotonic()
        await self._send("input_image_buffer.append", image=base64.b64encode(jpeg).decode())
        return True

    async def send_text(self, text: str) -> None:
        """Add a user text message to the conversation (``conversation.item.create``)."""
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        await self._send("conversation.item.create", item=item)
        self.history.append(("user", text))

    async def commit(self) -> None:
        """Manual mode: end the user's audio turn (``input_audio_buffer.commit``)."""
        await self.flush_audio()
        await self._send("input_audio_buffer.commit")
        self._buffered_ms = 0

    async def clear_audio(self) -> None:
        """Drop the audio appended since the last commit (``input_audio_buffer.clear``)."""
        self._stream_pending.clear()
        await self._send("input_audio_buffer.clear")
        self._buffered_ms = 0

    async def respond(
        self, *, instructions: str | None = None, modalities: Sequence[str] | None = None
    ) -> None:
        """Ask for a reply (``response.create``), optionally with per-reply overrides."""
        response: dict[str, Any] = {}
        if instructions is not None:
            response["instructions"] = instructions
        if modalities is not None:
            response["modalities"] = list(modalities)
        # qwen3.8 accepts response.create without "response"; flat models take it empty too
        await self._send("response.create", **({"response": response} if response else {}))

    async def interrupt(self) -> None:
        """Cancel the reply in progress (``response.cancel``) and flush playback.

        Emits :class:`Interrupted` now; the turn ends on ``response.done`` or, when the service
        never sends it after a cancel, ``cancel_done_timeout_s`` later.
        """
        turn = self._turn
        await self._send("response.cancel")
        if turn is None:
            return
        self._cancelled.add(turn.response_id)
        self._emit(Interrupted("interrupted", response_id=turn.response_id))
        self._spawn(self._end_cancelled(turn))

    async def tool_result(self, call_id: str, output: Any, *, respond: bool = True) -> None:
        """Send a tool's output (``function_call_output``) and, by default, ask for a reply."""
        item = {"type": "function_call_output", "call_id": call_id, "output": _to_text(output)}
        await self._send("conversation.item.create", item=item)
        if respond:
            await self.respond()

    async def update(self, **changes: Any) -> None:
        """Change the session (voice, instructions, modalities, turn_detection, tools…).

        Raises:
            RequestValidationError: a voice change after the first spoken reply (the service
                locks it: ``cannot_update_voice``), or a change the model refuses.
        """
        if "turn_detection" in changes:
            changes["turn_detection"] = TurnDetection.coerce(changes["turn_detection"])
        if "tools" in changes:
            changes["tools"] = realtime_tools(changes["tools"] or ())
        if "modalities" in changes:
            changes["modalities"] = tuple(changes["modalities"])
        new = replace(self.config, **changes)
        if self._audio_out_seen and new.voice != self.config.voice:
            raise RequestValidationError(
                "the voice is locked after the first spoken reply (cannot_update_voice): start "
                "a new session to change it",
                rule="cannot_update_voice",
                value=new.voice,
            )
        check_model(self.spec, new)
        self.config = new
        await self._configure(replay=False)

    # --- receiving -----------------------------------------------------------------------

    def _emit(self, event: Any) -> None:
        self._queue.put_nowait(event)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def events(self) -> AsyncIterator[RealtimeEvent]:
        """Typed events until the session closes; a fatal error is raised after its event."""
        while True:
            event = await self._queue.get()
            if event is _CLOSED:
                self._queue.put_nowait(_CLOSED)  # later readers end too
                if self._fatal is not None:
                    raise self._fatal
                return
            yield event

    async def next_turn(self, timeout: float | None = 60.0) -> Turn:
        """Consume events until a reply ends; its :class:`Turn`.

        Raises:
            APITimeoutError: no reply within ``timeout``. The fatal error that ended the session.
        """

        async def wait() -> Turn:
            async for event in self.events():
                if isinstance(event, ResponseDone):
                    return event.turn
            raise APIConnectionError("the realtime session closed before the reply ended")

        try:
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError as exc:
            raise APITimeoutError(f"no reply within {timeout} s") from exc

    async def _read_loop(self, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for message in ws:
                try:
                    data = json.loads(message)
                except ValueError:
                    _log.warning("realtime: a non-JSON message was ignored")
                    continue
                if not isinstance(data, dict):
                    continue
                try:
                    await self._handle(data)
                except Exception as exc:  # a malformed event: report it, keep reading
                    _log.exception("realtime: could not handle a %s event", data.get("type"))
                    error = QwenOmniError(f"could not handle a {data.get('type')!r} event: {exc}")
                    self._emit(ErrorEvent("error", data, error=error))
        except ConnectionClosed:
            pass
        except asyncio.CancelledError:
            return
        if ws is not self._ws or self._closing:
            return
        self._spawn(self._recover())

    async def _handle(self, data: dict[str, Any]) -> None:
        event = parse_event(data)
        kind = event.type
        turn = self._turn
        if isinstance(event, SessionUpdated):
            self.session = event.session
            # session.created (the defaults) may arrive after our update was sent: only
            # session.updated acknowledges the config
            if kind == "session.updated" and self._ready is not None and not self._ready.done():
                self._ready.set_result(None)
        elif kind == "session.finished":
            self._finished_event.set()
        elif isinstance(event, ResponseStarted):
            self._turn = Turn(response_id=event.response_id, status="in_progress")
        elif isinstance(event, SpeechStarted) and turn is not None:
            # Barge-in: the service cancels the reply; whatever is queued for playback is stale.
            self._emit(event)
            self._emit(Interrupted("interrupted", data, response_id=turn.response_id))
            self._cancelled.add(turn.response_id)
            self._spawn(self._end_cancelled(turn))
            return
        elif isinstance(event, TextDelta) and turn is not None:
            turn.text += event.text
        elif isinstance(event, TranscriptDelta) and turn is not None:
            turn.transcript += event.text
        elif isinstance(event, AudioDelta) and turn is not None:
            turn.audio_pcm += event.pcm
            self._audio_out_seen = True
        elif isinstance(event, ToolCallEvent) and turn is not None:
            turn.tool_calls.append(event)
        elif isinstance(event, InputTranscript) and event.final and event.text:
            self.history.append(("user", event.text))
        elif kind == "response.done":
            self._finish_turn(data)
            return
        elif kind == "error":
            error = error_from_event(data)
            code = error.code if hasattr(error, "code") else None
            if self._ready is not None and not self._ready.done():
                self._ready.set_exception(error)
                self._ready.exception()  # retrieved: the caller of _configure raises it
            event = ErrorEvent("error", data, error=error, code=code)
        self._emit(event)

    def _finish_turn(self, data: dict[str, Any]) -> None:
        response = data.get("response") or {}
        turn = self._turn or Turn(response_id=str(response.get("id") or ""))
        self._turn = None
        turn.status = str(response.get("status") or "completed")
        turn.usage = response.get("usage")
        turn.cost = turn_cost(self.spec, turn.usage, self.price_region)
        if turn.response_id in self._cancelled:
            self._cancelled.discard(turn.response_id)
            if turn.status == "completed":
                turn.status = "cancelled"
        said = turn.transcript or turn.text
        if said:
            self.history.append(("assistant", said))
        self._emit(ResponseDone("response.done", data, turn=turn))
        if turn.tool_calls and turn.status == "completed":
            self._spawn(self._run_tools(turn.tool_calls))

    async def _end_cancelled(self, turn: Turn) -> None:
        """End a cancelled reply whose ``response.done`` never comes (seen 6/6 by a gateway)."""
        await asyncio.sleep(self.cancel_done_timeout_s)
        if self._turn is turn:
            self._turn = None
            self._cancelled.discard(turn.response_id)
            turn.status = "cancelled_no_done"
            self._emit(ResponseDone("response.done", turn=turn))

    async def _run_tools(self, calls: list[ToolCallEvent]) -> None:
        ran = False
        for call in calls:
            output = await self._run_tool(call)
            if output is None:
                continue
            await self.tool_result(call.call_id, output, respond=False)
            self._emit(ToolResultSent("tool_result", call_id=call.call_id, name=call.name,
                                      output=output))  # fmt: skip
            ran = True
        if ran:
            await self.respond()

    async def _run_tool(self, call: ToolCallEvent) -> str | None:
        try:
            if self._tool_handler is not None:
                result = self._tool_handler(call)
                if inspect.isawaitable(result):
                    result = await result
                return _to_text(result)
            tool = self._registry.get(call.name)
            if tool is None:
                return None  # the caller answers with tool_result()
            tasks = self._tasks
            if tasks is None:
                from qwen_omni.tasks import AsyncOmniTasks

                tasks = self._tasks = AsyncOmniTasks()
            from qwen_omni.tasks.registry import to_text

            return to_text(await tool.arun(tasks, call.arguments))
        except Exception as exc:  # the model reads the failure and can say so
            _log.warning("realtime tool %s failed: %s", call.name, exc)
            return json.dumps({"error": f"{type(exc).__name__}: {exc}"})

    # --- keep-alive and reconnect ----------------------------------------------------------

    async def _keep_alive(self) -> None:
        assert self.keepalive_s
        period = self.keepalive_s
        while not self._closing:
            await asyncio.sleep(max(0.01, min(period / 4, 5.0)))
            if time.monotonic() - self._last_send < period or self._ws is None:
                continue
            with contextlib.suppress(QwenOmniError):
                # WebSocket pings do not count as activity: send an application event. Silence
                # is harmless in VAD mode; in manual mode an empty buffer is cleared again.
                empty = self._buffered_ms == 0
                await self.append_audio(silence())
                if self.config.turn_detection.type is None and empty:
                    await self.clear_audio()

    async def _recover(self) -> None:
        turn = self._turn
        if turn is not None:
            self._turn = None
            turn.status = "interrupted"
            self._emit(Interrupted("interrupted", response_id=turn.response_id))
            self._emit(ResponseDone("response.done", turn=turn))
        last: QwenOmniError | None = None
        for attempt in range(1, self.reconnect_attempts + 1):
            await asyncio.sleep(min(2.0, 0.1 * 2 ** (attempt - 1)))
            if self._closing:
                return
            try:
                await self._open()
                replayed = await self._configure(replay=True)
            except QwenOmniError as exc:
                last = exc
                await self._drop_ws()
                continue
            self._emit(Reconnected("reconnected", attempt=attempt, replayed_items=replayed))
            return
        self._fatal = last or APIConnectionError(
            f"the realtime connection to {self._safe_url} closed unexpectedly"
        )
        self._emit(ErrorEvent("error", error=self._fatal, fatal=True))
        self._closing = True
        self._queue.put_nowait(_CLOSED)
