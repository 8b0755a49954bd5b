"""``QwenOmniVoiceAgent``: llama-index-core's voice-agent interface over a Qwen-Omni realtime
session (``qwen_omni.realtime``): the session owns the protocol, this class only adapts it.

- :class:`QwenOmniVoiceAgentWebsocket` (``BaseVoiceAgentWebsocket``): the session's socket;
- :class:`BufferedAudioInterface` (``BaseVoiceAgentInterface``): collects the spoken reply in
  memory and drops the unplayed part on an interruption (plug a real speaker/microphone
  interface in its place);
- :class:`QwenOmniVoiceAgent` (``BaseVoiceAgent``): ``start`` / ``send`` / ``handle_message`` /
  ``interrupt`` / ``stop``; LlamaIndex tools (``BaseTool``) run when the model calls them and
  their output goes back to the model; ``export_messages()`` returns the conversation as
  ``ChatMessage`` objects (transcripts as text, replies with an ``AudioBlock``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import AudioBlock, ChatMessage, MessageRole, TextBlock
from llama_index.core.tools import BaseTool
from llama_index.core.voice_agents import (
    BaseVoiceAgent,
    BaseVoiceAgentEvent,
    BaseVoiceAgentInterface,
    BaseVoiceAgentWebsocket,
)

from qwen_omni.realtime import (
    AsyncRealtimeSession,
    AudioDelta,
    InputTranscript,
    Interrupted,
    RealtimeEvent,
    ResponseDone,
    ToolCallEvent,
    Turn,
)

__all__ = [
    "BufferedAudioInterface",
    "QwenOmniVoiceAgent",
    "QwenOmniVoiceAgentEvent",
    "QwenOmniVoiceAgentWebsocket",
]


class QwenOmniVoiceAgentEvent(BaseVoiceAgentEvent):
    """One event of the conversation: the server event type and a short text (if any)."""

    text: str | None = None
    response_id: str | None = None


class QwenOmniVoiceAgentWebsocket(BaseVoiceAgentWebsocket):
    """The realtime session's WebSocket, in LlamaIndex's websocket interface.

    ``send`` takes PCM16 16 kHz bytes (appended as audio) or a dict client event.
    """

    def __init__(self, session: AsyncRealtimeSession) -> None:
        super().__init__(uri=session.url)
        self.session = session

    async def aconnect(self) -> None:
        """Open and configure the session."""
        await self.session.connect()
        self.ws = self.session.connection

    async def send(self, data: Any) -> None:
        """Audio bytes (PCM16 mono 16 kHz) or a client event dict."""
        if isinstance(data, (bytes, bytearray)):
            await self.session.append_audio(bytes(data))
            return
        if isinstance(data, dict):
            fields = {k: v for k, v in data.items() if k not in ("type", "event_id")}
            await self.session.send_event(str(data["type"]), **fields)
            return
        raise TypeError(f"send takes audio bytes or an event dict, not {type(data).__name__}")

    async def close(self) -> None:
        """End the session."""
        await self.session.close()


class BufferedAudioInterface(BaseVoiceAgentInterface):
    """An audio interface without devices: reply audio accumulates in memory.

    ``output()`` returns the reply audio received so far as WAV bytes (PCM16 mono 24 kHz);
    ``interrupt()`` drops what was not "played" yet, as a speaker queue would be flushed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.played = bytearray()
        self.queued = bytearray()
        self.started = False
        self.interruptions = 0

    def _speaker_callback(self, *args: Any, **kwargs: Any) -> bytes:
        """Move the queue to "played" (a real interface would write it to the device)."""
        data = bytes(self.queued)
        self.played += data
        self.queued.clear()
        return data

    def _microphone_callback(self, *args: Any, **kwargs: Any) -> None:
        """No microphone: audio is pushed with ``QwenOmniVoiceAgent.send``."""
        return None

    def start(self, *args: Any, **kwargs: Any) -> None:
        """Mark the interface as started."""
        self.started = True

    def stop(self) -> None:
        """Play what is queued and stop."""
        self._speaker_callback()
        self.started = False

    def interrupt(self) -> None:
        """Drop the audio not played yet (barge-in)."""
        self.queued.clear()
        self.interruptions += 1

    def output(self, *args: Any, **kwargs: Any) -> bytes:
        """The reply audio played so far, as a WAV file."""
        from qwen_omni.response import pcm_to_wav

        self._speaker_callback()
        return pcm_to_wav(bytes(self.played))

    def receive(self, data: bytes, *args: Any, **kwargs: Any) -> None:
        """Queue reply audio (PCM16 mono 24 kHz)."""
        self.queued += data


def _tool_defs(tools: Sequence[BaseTool]) -> list[dict[str, Any]]:
    return [tool.metadata.to_openai_tool() for tool in tools]


class QwenOmniVoiceAgent(BaseVoiceAgent):
    """A Qwen-Omni realtime voice agent with LlamaIndex tools.

    ::

        agent = QwenOmniVoiceAgent(model="qwen3.5-omni-plus-realtime", tools=[weather_tool],
                                   turn_detection=None)
        await agent.start()
        await agent.send(pcm16k)                 # microphone audio, PCM16 mono 16 kHz
        await agent.commit(); await agent.respond()
        turn = await agent.wait_for_turn()
        await agent.stop()
        agent.export_messages()                  # ChatMessage list (text + AudioBlock)

    Args:
        model, api_key, base_url, region, voice, instructions, turn_detection,
            input_transcription: as for :class:`qwen_omni.realtime.AsyncRealtimeSession`.
        tools: LlamaIndex tools; a call runs ``tool.acall(**arguments)`` and the output goes
            back to the model.
        interface: the audio interface (default :class:`BufferedAudioInterface`).
        session_kwargs: other :class:`AsyncRealtimeSession` arguments.
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        region: str | None = None,
        voice: str | None = None,
        instructions: str | None = None,
        turn_detection: Any = "server_vad",
        input_transcription: str | None = None,
        tools: list[BaseTool] | None = None,
        interface: BaseVoiceAgentInterface | None = None,
        **session_kwargs: Any,
    ) -> None:
        self._tools_by_name = {t.metadata.get_name(): t for t in tools or []}
        session = AsyncRealtimeSession(
            model=model,
            api_key=api_key,
            base_url=base_url,
            region=region,
            voice=voice,
            instructions=instructions,
            turn_detection=turn_detection,
            input_transcription=input_transcription,
            tools=_tool_defs(tools or []),
            tool_handler=self._call_tool if tools else None,
            **session_kwargs,
        )
        super().__init__(
            ws=QwenOmniVoiceAgentWebsocket(session),
            interface=interface or BufferedAudioInterface(),
            ws_url=session.url,
            api_key=None,  # held by the session as a secret, never on this object
            tools=tools,
        )
        self.session = session
        self._consumer: asyncio.Task[None] | None = None
        self._turns: asyncio.Queue[Turn] = asyncio.Queue()

    async def _call_tool(self, call: ToolCallEvent) -> str:
        tool = self._tools_by_name.get(call.name)
        if tool is None:
            return json.dumps({"error": f"unknown tool {call.name!r}"})
        arguments = json.loads(call.arguments or "{}")
        # FunctionTool and most tools are async-callable; the base interface is sync only
        acall = getattr(tool, "acall", None)
        if acall is not None:
            output = await acall(**arguments)
        else:
            output = await asyncio.to_thread(tool, **arguments)
        return str(output.content)

    async def start(self, *args: Any, **kwargs: Any) -> None:
        """Connect, configure the session and start handling its events."""
        assert isinstance(self.ws, QwenOmniVoiceAgentWebsocket)
        await self.ws.aconnect()
        if self.interface is not None:
            self.interface.start()
        self._consumer = asyncio.create_task(self._consume())

    async def _consume(self) -> None:
        async for event in self.session.events():
            await self.handle_message(event)

    async def send(self, audio: Any, *args: Any, **kwargs: Any) -> None:
        """Send audio: PCM16 mono 16 kHz bytes, or anything ``send_audio`` takes (a WAV file,
        a path, raw PCM with ``sample_rate=``)."""
        if isinstance(audio, (bytes, bytearray)) and "sample_rate" not in kwargs:
            kwargs["sample_rate"] = 16_000
        await self.session.send_audio(audio, **kwargs)

    async def commit(self) -> None:
        """Manual turns: end the user's turn."""
        await self.session.commit()

    async def respond(self) -> None:
        """Manual turns: ask for a reply."""
        await self.session.respond()

    async def handle_message(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        """Handle one :class:`qwen_omni.realtime.RealtimeEvent`: audio to the interface,
        transcripts and replies to the messages, every event to the event log."""
        if not isinstance(message, RealtimeEvent):
            raise TypeError(f"expected a RealtimeEvent, got {type(message).__name__}")
        text = getattr(message, "text", None)
        rid = getattr(message, "response_id", None)
        if not isinstance(message, AudioDelta):  # audio is too frequent to log one by one
            self._events.append(
                QwenOmniVoiceAgentEvent(type_t=message.type, text=text or None, response_id=rid)
            )
        if isinstance(message, AudioDelta) and self.interface is not None:
            self.interface.receive(message.pcm)
        elif isinstance(message, Interrupted) and self.interface is not None:
            self.interface.interrupt()
        elif isinstance(message, InputTranscript) and message.final:
            self._messages.append(ChatMessage(role=MessageRole.USER, content=message.text))
        elif isinstance(message, ResponseDone):
            turn = message.turn
            said = turn.transcript or turn.text
            blocks: list[Any] = []
            if said:
                blocks.append(TextBlock(text=said))
            if turn.wav is not None:
                blocks.append(AudioBlock(audio=turn.wav, format="wav"))
            if blocks:
                self._messages.append(ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks))
            self._turns.put_nowait(turn)
        return None

    async def wait_for_turn(self, timeout: float | None = 60.0) -> Turn:
        """The next finished reply."""
        return await asyncio.wait_for(self._turns.get(), timeout)

    async def interrupt(self) -> None:
        """Cancel the reply in progress and flush the interface's queued audio."""
        await self.session.interrupt()
        if self.interface is not None:
            self.interface.interrupt()

    async def stop(self) -> None:
        """End the session and stop the interface."""
        await self.session.close()
        if self._consumer is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._consumer, timeout=5)
        if self.interface is not None:
            self.interface.stop()
