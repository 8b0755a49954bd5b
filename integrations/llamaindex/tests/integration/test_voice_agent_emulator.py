"""QwenOmniVoiceAgent (llama-index-core's BaseVoiceAgent) against the emulator's realtime route."""

from __future__ import annotations

import io
import json
import wave

import numpy as np
import pytest
from llama_index.core.base.llms.types import AudioBlock, MessageRole, TextBlock
from llama_index.core.tools import FunctionTool
from llama_index.core.voice_agents import (
    BaseVoiceAgent,
    BaseVoiceAgentInterface,
    BaseVoiceAgentWebsocket,
)

from qwen_omni_emulator import RealtimeReply

pytestmark = pytest.mark.timeout(60)


def tone(seconds: float) -> bytes:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return (0.3 * 32767 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()


def agent_for(qwen_omni_emulator, **kw):
    from llama_index.voice_agents.qwen_omni import QwenOmniVoiceAgent

    kw.setdefault("keepalive_s", None)
    return QwenOmniVoiceAgent(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key, **kw
    )


async def test_a_voice_turn_with_a_llamaindex_tool(qwen_omni_emulator):
    from llama_index.voice_agents.qwen_omni import BufferedAudioInterface

    calls = []

    def get_weather(city: str) -> str:
        """The weather in a city."""
        calls.append(city)
        return f"Sunny in {city}, 24 C."

    qwen_omni_emulator.script_realtime(
        RealtimeReply.tool_call("get_weather", {"city": "Hangzhou"}),
        RealtimeReply(text="It is sunny in Hangzhou.", input_transcript="Weather?"),
    )
    agent = agent_for(
        qwen_omni_emulator,
        model="qwen3.5-omni-plus-realtime",
        turn_detection=None,
        input_transcription="gummy-realtime-v1",
        tools=[FunctionTool.from_defaults(get_weather)],
    )
    assert isinstance(agent, BaseVoiceAgent)
    assert isinstance(agent.ws, BaseVoiceAgentWebsocket)
    assert isinstance(agent.interface, BaseVoiceAgentInterface)
    await agent.start()
    await agent.send(tone(0.5))
    await agent.commit()
    await agent.respond()
    tool_turn = await agent.wait_for_turn(20)
    reply = await agent.wait_for_turn(20)
    await agent.stop()
    assert calls == ["Hangzhou"]
    assert [c.name for c in tool_turn.tool_calls] == ["get_weather"]
    assert reply.transcript == "It is sunny in Hangzhou."
    log = qwen_omni_emulator.realtime_log[0]
    sent_tools = log.events[0]["session"]["tools"]
    assert sent_tools[0]["name"] == "get_weather"
    assert sent_tools[0]["parameters"]["properties"]["city"]["type"] == "string"
    output = next(e["item"] for e in log.events if e["type"] == "conversation.item.create")
    assert output["output"] == "Sunny in Hangzhou, 24 C."
    messages = agent.export_messages()
    assert messages[0].role == MessageRole.USER
    last = messages[-1]
    assert last.role == MessageRole.ASSISTANT
    assert isinstance(last.blocks[0], TextBlock)
    assert "Hangzhou" in last.blocks[0].text
    assert isinstance(last.blocks[1], AudioBlock)
    assert isinstance(agent.interface, BufferedAudioInterface)
    with wave.open(io.BytesIO(agent.interface.output())) as w:
        assert w.getframerate() == 24_000
        assert w.getnframes() > 0
    types = [e.type_t for e in agent.export_events()]
    assert "response.function_call_arguments.done" in types
    assert json.loads(agent.export_events()[0].model_dump_json(by_alias=True))["type"]


async def test_barge_in_flushes_the_interface(qwen_omni_emulator):
    qwen_omni_emulator.script_realtime(
        RealtimeReply(text="a long answer " * 20, chunk_chars=4, chunk_delay=0.03),
        RealtimeReply(text="ok"),
    )
    agent = agent_for(
        qwen_omni_emulator, turn_detection={"type": "server_vad", "silence_duration_ms": 200}
    )
    await agent.start()
    await agent.send(tone(0.4) + b"\0\0" * 6400)
    for _ in range(100):  # wait until reply audio is queued
        if agent.interface.queued:
            break
        import asyncio

        await asyncio.sleep(0.02)
    await agent.send(tone(0.3) + b"\0\0" * 6400)  # the user talks over the reply
    first = await agent.wait_for_turn(20)
    await agent.wait_for_turn(20)
    await agent.stop()
    assert first.status == "cancelled"
    assert agent.interface.interruptions >= 1
