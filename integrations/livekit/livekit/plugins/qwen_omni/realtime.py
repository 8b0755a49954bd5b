"""``RealtimeModel`` / ``RealtimeSession`` for LiveKit Agents over a Qwen-Omni realtime session.

The core (:class:`qwen_omni.realtime.AsyncRealtimeSession`) owns the protocol: session schema,
16 kHz packets, JPEG frames within the cap at ≤ 1 fps, keep-alive, reconnect, error mapping.
This module only maps LiveKit's interface onto it:

- ``push_audio(rtc.AudioFrame)`` → ``push_audio`` (any rate/channels, one resampler);
- ``push_video(rtc.VideoFrame)`` → ``send_image`` (frames before the first audio, and frames
  faster than 1 fps, are dropped: the service refuses both);
- ``generate_reply`` → ``response.create``; server events → ``generation_created`` with text,
  audio (24 kHz ``rtc.AudioFrame``) and function-call streams, ``input_speech_started/stopped``,
  ``input_audio_transcription_completed``, ``session_reconnected``, ``error``;
- tool results arriving in ``update_chat_ctx`` (``FunctionCallOutput``) → ``tool_result``.

Unlike Qwen-Audio's ``livekit-plugins-aliyun``, Qwen-Omni realtime takes video frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from livekit import rtc
from livekit.agents import llm, utils
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils import is_given

from qwen_omni.errors import QwenOmniError, RequestValidationError
from qwen_omni.realtime import (
    AsyncRealtimeSession,
    AudioDelta,
    ErrorEvent,
    InputTranscript,
    Reconnected,
    ResponseDone,
    ResponseStarted,
    ServerEvent,
    SpeechStarted,
    SpeechStopped,
    TextDelta,
    ToolCallEvent,
    TranscriptDelta,
)

__all__ = ["RealtimeModel", "RealtimeSession"]

logger = logging.getLogger("livekit.plugins.qwen_omni")

OUTPUT_SAMPLE_RATE = 24_000


async def _noop() -> None:
    return None


@dataclass
class _Options:
    model: str | None
    voice: str | None
    instructions: str | None
    turn_detection: Any
    input_transcription: str | None
    modalities: tuple[str, ...]
    session_kwargs: dict[str, Any]


class RealtimeModel(llm.RealtimeModel):
    """Qwen-Omni realtime for LiveKit Agents (audio and video in, speech out, tools).

    Args:
        model: a ``-realtime`` model (default ``qwen3-omni-flash-realtime``).
        voice, instructions, modalities, turn_detection, input_transcription: as for
            :class:`qwen_omni.realtime.AsyncRealtimeSession` (``turn_detection=None``: LiveKit
            drives turns with ``commit_audio`` + ``generate_reply``).
        api_key, base_url, region: as for ``OmniClient`` (``DASHSCOPE_API_KEY`` by default).
        session_kwargs: other ``AsyncRealtimeSession`` arguments (``keepalive_s``…).
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        voice: str | None = None,
        instructions: str | None = None,
        modalities: tuple[str, ...] = ("text", "audio"),
        turn_detection: Any = "server_vad",
        input_transcription: str | None = "gummy-realtime-v1",
        api_key: str | None = None,
        base_url: str | None = None,
        region: str | None = None,
        **session_kwargs: Any,
    ) -> None:
        super().__init__(
            capabilities=llm.RealtimeCapabilities(
                message_truncation=False,
                turn_detection=turn_detection is not None,
                user_transcription=input_transcription is not None,
                auto_tool_reply_generation=False,
                audio_output="audio" in modalities,
                manual_function_calls=False,
                mutable_instructions=True,
                mutable_tools=True,
            )
        )
        for key, value in (("api_key", api_key), ("base_url", base_url), ("region", region)):
            if value is not None:
                session_kwargs[key] = value
        self._opts = _Options(
            model=model,
            voice=voice,
            instructions=instructions,
            turn_detection=turn_detection,
            input_transcription=input_transcription,
            modalities=modalities,
            session_kwargs=session_kwargs,
        )
        # Build one session object now so that configuration errors (no key, a chat model,
        # an unsupported VAD) surface here, not later inside a worker.
        self._model_name = self._make_core_session(tools=()).spec.name
        self._sessions: list[RealtimeSession] = []

    @property
    def model(self) -> str:
        return self._model_name

    @property
    def provider(self) -> str:
        return "qwen-omni"

    def _make_core_session(self, *, tools: Any) -> AsyncRealtimeSession:
        o = self._opts
        return AsyncRealtimeSession(
            model=o.model,
            voice=o.voice,
            instructions=o.instructions,
            modalities=o.modalities,
            turn_detection=o.turn_detection,
            input_transcription=o.input_transcription,
            tools=list(tools),
            **o.session_kwargs,
        )

    def session(self, *, turn_detection_disabled: bool = False) -> RealtimeSession:
        """A new realtime session (one WebSocket, reconnecting on its own)."""
        session = RealtimeSession(self)
        self._sessions.append(session)
        return session

    async def aclose(self) -> None:
        """Close every session this model opened."""
        for session in list(self._sessions):
            await session.aclose()
        self._sessions.clear()


@dataclass
class _Generation:
    response_id: str
    message_ch: utils.aio.Chan[llm.MessageGeneration]
    function_ch: utils.aio.Chan[llm.FunctionCall]
    text_ch: utils.aio.Chan[str] | None = None
    audio_ch: utils.aio.Chan[rtc.AudioFrame] | None = None

    def close(self) -> None:
        for ch in (self.text_ch, self.audio_ch, self.function_ch, self.message_ch):
            if ch is not None and not ch.closed:
                ch.close()


class RealtimeSession(llm.RealtimeSession[Literal["qwen_omni_server_event"]]):
    """One Qwen-Omni realtime conversation in LiveKit's ``RealtimeSession`` interface."""

    def __init__(self, realtime_model: RealtimeModel) -> None:
        super().__init__(realtime_model)
        self._model = realtime_model
        self._tools = llm.ToolContext.empty()
        self._chat_ctx = llm.ChatContext.empty()
        self._core = realtime_model._make_core_session(tools=())
        self._connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._reply_futures: list[asyncio.Future[llm.GenerationCreatedEvent]] = []
        self._generation: _Generation | None = None
        self._sent_outputs: set[str] = set()
        # LiveKit's sync calls (push_audio, commit_audio…) become operations run one at a
        # time, in call order, once connected: a commit never overtakes the audio before it.
        self._ops: asyncio.Queue[Callable[[], Awaitable[Any]]] = asyncio.Queue()
        self._main = asyncio.create_task(self._run(), name="qwen-omni-realtime")
        self._pump = asyncio.create_task(self._run_ops(), name="qwen-omni-realtime-ops")

    # --- plumbing ---------------------------------------------------------------------------

    def _enqueue(self, op: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def run() -> None:
            try:
                result = await op()
            except BaseException as exc:
                if not done.done():
                    done.set_exception(exc)
                raise
            if not done.done():
                done.set_result(result)

        self._ops.put_nowait(run)
        return done

    async def _run_ops(self) -> None:
        try:
            await asyncio.shield(self._connected)
        except QwenOmniError:
            return
        while True:
            op = await self._ops.get()
            try:
                await op()
            except QwenOmniError as exc:
                self._emit_error(exc, recoverable=True)

    def _emit_error(self, error: BaseException | None, *, recoverable: bool) -> None:
        if error is None:
            return
        self.emit(
            "error",
            llm.RealtimeModelError(
                timestamp=time.time(),
                label=self._model.label,
                error=error if isinstance(error, Exception) else RuntimeError(str(error)),
                recoverable=recoverable,
            ),
        )

    async def _run(self) -> None:
        try:
            await self._core.connect()
        except QwenOmniError as exc:
            self._connected.set_exception(exc)
            self._connected.exception()
            self._emit_error(exc, recoverable=False)
            return
        self._connected.set_result(None)
        try:
            async for event in self._core.events():
                self._on_event(event)
        except QwenOmniError as exc:
            self._emit_error(exc, recoverable=False)
        finally:
            if self._generation is not None:
                self._generation.close()

    def _on_event(self, event: Any) -> None:
        gen = self._generation
        if isinstance(event, SpeechStarted):
            self.emit("input_speech_started", llm.InputSpeechStartedEvent())
        elif isinstance(event, SpeechStopped):
            enabled = self._model.capabilities.user_transcription
            self.emit(
                "input_speech_stopped",
                llm.InputSpeechStoppedEvent(user_transcription_enabled=enabled),
            )
        elif isinstance(event, InputTranscript):
            self.emit(
                "input_audio_transcription_completed",
                llm.InputTranscriptionCompleted(
                    item_id=event.item_id or "", transcript=event.text, is_final=event.final
                ),
            )
            if event.final and event.text:
                self._chat_ctx.add_message(role="user", content=event.text)
        elif isinstance(event, ResponseStarted):
            self._start_generation(event.response_id)
        elif isinstance(event, ServerEvent) and event.type == "response.output_item.added":
            item = event.raw.get("item") or {}
            if gen is not None and item.get("type") == "message":
                gen.text_ch = utils.aio.Chan()
                gen.audio_ch = utils.aio.Chan()
                modalities: asyncio.Future[list[Literal["text", "audio"]]] = (
                    asyncio.get_running_loop().create_future()
                )
                audio = "audio" in self._core.config.modalities
                modalities.set_result(["audio", "text"] if audio else ["text"])
                if not audio:
                    gen.audio_ch.close()
                gen.message_ch.send_nowait(
                    llm.MessageGeneration(
                        message_id=str(item.get("id") or event.raw.get("item_id") or ""),
                        text_stream=gen.text_ch,
                        audio_stream=gen.audio_ch,
                        modalities=modalities,
                    )
                )
        elif isinstance(event, (TextDelta, TranscriptDelta)):
            if gen is not None and gen.text_ch is not None and not gen.text_ch.closed:
                gen.text_ch.send_nowait(event.text)
        elif isinstance(event, AudioDelta):
            if gen is not None and gen.audio_ch is not None and not gen.audio_ch.closed:
                gen.audio_ch.send_nowait(
                    rtc.AudioFrame(
                        data=event.pcm,
                        sample_rate=OUTPUT_SAMPLE_RATE,
                        num_channels=1,
                        samples_per_channel=len(event.pcm) // 2,
                    )
                )
        elif isinstance(event, ToolCallEvent):
            if gen is not None:
                gen.function_ch.send_nowait(
                    llm.FunctionCall(
                        call_id=event.call_id, name=event.name, arguments=event.arguments
                    )
                )
        elif isinstance(event, ResponseDone):
            said = event.turn.transcript or event.turn.text
            if said:
                self._chat_ctx.add_message(role="assistant", content=said)
            if gen is not None:
                gen.close()
                self._generation = None
        elif isinstance(event, Reconnected):
            self.emit("session_reconnected", llm.RealtimeSessionReconnectedEvent())
        elif isinstance(event, ErrorEvent):
            self._emit_error(event.error, recoverable=not event.fatal)

    def _start_generation(self, response_id: str) -> None:
        if self._generation is not None:
            self._generation.close()
        gen = _Generation(
            response_id=response_id, message_ch=utils.aio.Chan(), function_ch=utils.aio.Chan()
        )
        self._generation = gen
        created = llm.GenerationCreatedEvent(
            message_stream=gen.message_ch,
            function_stream=gen.function_ch,
            user_initiated=False,
            response_id=response_id,
        )
        while self._reply_futures:
            fut = self._reply_futures.pop(0)
            if not fut.done():
                created.user_initiated = True
                fut.set_result(created)
                break
        self.emit("generation_created", created)

    # --- LiveKit's interface ------------------------------------------------------------------

    @property
    def chat_ctx(self) -> llm.ChatContext:
        return self._chat_ctx.copy()

    @property
    def tools(self) -> llm.ToolContext:
        return self._tools.copy()

    async def update_instructions(self, instructions: str) -> None:
        await self._enqueue(lambda: self._core.update(instructions=instructions))

    async def update_chat_ctx(self, chat_ctx: llm.ChatContext) -> None:
        """Tool outputs new in ``chat_ctx`` go back to the model; other items are kept locally
        (the service's conversation is built from the audio itself)."""
        for item in chat_ctx.items:
            if isinstance(item, llm.FunctionCallOutput) and item.call_id not in self._sent_outputs:
                self._sent_outputs.add(item.call_id)
                await self._enqueue(self._tool_output(item.call_id, item.output))
        self._chat_ctx = chat_ctx.copy()

    def _tool_output(self, call_id: str, output: str) -> Callable[[], Awaitable[None]]:
        return lambda: self._core.tool_result(call_id, output, respond=False)

    async def update_tools(self, tools: list[llm.Tool]) -> None:
        context = llm.ToolContext(tools)
        schemas = context.parse_function_tools("openai", strict=False)
        await self._enqueue(lambda: self._core.update(tools=schemas))
        self._tools = context

    def update_options(self, *, tool_choice: NotGivenOr[llm.ToolChoice | None] = NOT_GIVEN) -> None:
        """Tool choice is not configurable per session in Qwen-Omni realtime: ignored."""

    def push_audio(self, frame: rtc.AudioFrame) -> None:
        pcm = bytes(frame.data.cast("B"))
        rate, channels = frame.sample_rate, frame.num_channels
        self._enqueue(lambda: self._core.push_audio(pcm, sample_rate=rate, channels=channels))

    def push_video(self, frame: rtc.VideoFrame) -> None:
        self._enqueue(lambda: self._send_frame(frame))

    async def _send_frame(self, frame: rtc.VideoFrame) -> None:
        from PIL import Image

        rgba = frame
        if frame.type != rtc.VideoBufferType.RGBA:
            rgba = frame.convert(rtc.VideoBufferType.RGBA)
        image = Image.frombytes("RGBA", (rgba.width, rgba.height), bytes(rgba.data))
        with contextlib.suppress(RequestValidationError):  # before the first audio: dropped
            await self._core.send_image(image.convert("RGB"))

    def generate_reply(
        self,
        *,
        instructions: NotGivenOr[str] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        tools: NotGivenOr[list[llm.Tool]] = NOT_GIVEN,
    ) -> asyncio.Future[llm.GenerationCreatedEvent]:
        fut: asyncio.Future[llm.GenerationCreatedEvent] = asyncio.Future()
        self._reply_futures.append(fut)

        text = instructions if is_given(instructions) else None
        self._enqueue(lambda: self._core.respond(instructions=text))

        def timeout() -> None:
            if not fut.done():
                fut.set_exception(llm.RealtimeError("generate_reply timed out."))

        handle = asyncio.get_running_loop().call_later(10.0, timeout)
        fut.add_done_callback(lambda _: handle.cancel())
        return fut

    def commit_audio(self) -> None:
        self._enqueue(self._core.commit)

    def clear_audio(self) -> None:
        self._enqueue(self._core.clear_audio)

    def interrupt(self) -> None:
        if self._generation is not None:
            self._enqueue(self._core.interrupt)

    def truncate(
        self,
        *,
        message_id: str,
        modalities: list[Literal["text", "audio"]],
        audio_end_ms: int,
        audio_transcript: NotGivenOr[str] = NOT_GIVEN,
    ) -> None:
        """Not supported by the service (``message_truncation=False``): a no-op."""

    async def aclose(self) -> None:
        # let what was already pushed go out first (a bounded wait), then close
        connected = self._connected.done() and self._connected.exception() is None
        if connected:
            with contextlib.suppress(asyncio.TimeoutError, QwenOmniError):
                await asyncio.wait_for(self._enqueue(_noop), 5)
        self._pump.cancel()
        await self._core.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(self._main, timeout=5)
        if self._generation is not None:
            self._generation.close()
