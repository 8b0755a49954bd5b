"""RealtimeModel / RealtimeSession in LiveKit's own interface, against the emulator."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import llm

from qwen_omni.errors import RequestValidationError
from qwen_omni_emulator import RealtimeReply

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def frames(seconds: float, *, rate: int = 48_000, loud: bool = True) -> list[rtc.AudioFrame]:
    """10 ms stereo frames, as a WebRTC track delivers them."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    amp = 0.3 * 32767 if loud else 0.0
    mono = (amp * np.sin(2 * np.pi * 300 * t)).astype("<i2")
    stereo = np.stack([mono, mono], axis=1).reshape(-1)
    per = rate // 100
    return [
        rtc.AudioFrame(
            data=stereo[i * 2 : (i + per) * 2].tobytes(),
            sample_rate=rate,
            num_channels=2,
            samples_per_channel=per,
        )
        for i in range(0, n, per)
    ]


def model_for(qwen_omni_emulator, **kw):
    from livekit.plugins.qwen_omni import RealtimeModel

    kw.setdefault("keepalive_s", None)
    return RealtimeModel(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key, **kw
    )


async def drain(ev: llm.GenerationCreatedEvent) -> tuple[str, list[rtc.AudioFrame], list]:
    text = ""
    audio: list[rtc.AudioFrame] = []
    async for message in ev.message_stream:

        async def read_text(m=message) -> str:
            return "".join([t async for t in m.text_stream])

        async def read_audio(m=message) -> list:
            return [f async for f in m.audio_stream]

        t, a = await asyncio.gather(read_text(), read_audio())
        text += t
        audio += a
    calls = [c async for c in ev.function_stream]
    return text, audio, calls


async def settle(predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_interfaces_and_a_manual_turn(qwen_omni_emulator):
    from livekit.plugins.qwen_omni import RealtimeSession

    qwen_omni_emulator.script_realtime(RealtimeReply(text="Hello from Qwen-Omni."))
    model = model_for(qwen_omni_emulator, turn_detection=None)
    assert isinstance(model, llm.RealtimeModel)
    assert model.model == "qwen3-omni-flash-realtime"
    assert model.capabilities.audio_output
    assert not model.capabilities.message_truncation
    session = model.session()
    assert isinstance(session, (llm.RealtimeSession, RealtimeSession))
    created = []
    session.on("generation_created", created.append)
    for frame in frames(1.0):
        session.push_audio(frame)
    session.commit_audio()
    ev = await asyncio.wait_for(session.generate_reply(), 10)
    assert ev.user_initiated
    text, audio, calls = await asyncio.wait_for(drain(ev), 10)
    await model.aclose()
    assert text == "Hello from Qwen-Omni."
    assert calls == []
    assert audio
    assert all(f.sample_rate == 24_000 and f.num_channels == 1 for f in audio)
    assert created == [ev]
    log = qwen_omni_emulator.realtime_log[0]
    assert log.audio_bytes == pytest.approx(32_000, abs=128)  # 1 s of 16 kHz mono PCM16
    messages = session.chat_ctx.messages()
    assert [m.role for m in messages] == ["user", "assistant"]  # transcript, then the reply
    assert messages[1].text_content == "Hello from Qwen-Omni."


async def test_tools_round_trip_through_the_chat_context(qwen_omni_emulator):
    @llm.function_tool
    async def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"Sunny in {city}."

    qwen_omni_emulator.script_realtime(
        RealtimeReply.tool_call("get_weather", {"city": "Paris"}),
        RealtimeReply(text="It is sunny in Paris."),
    )
    model = model_for(qwen_omni_emulator, model="qwen3.5-omni-plus-realtime", turn_detection=None)
    session = model.session()
    await session.update_tools([get_weather])
    assert "get_weather" in session.tools.function_tools
    for frame in frames(0.3):
        session.push_audio(frame)
    session.commit_audio()
    ev = await asyncio.wait_for(session.generate_reply(), 10)
    _, audio, calls = await asyncio.wait_for(drain(ev), 10)
    assert [c.name for c in calls] == ["get_weather"]
    assert audio == []  # a tool call produces no audio
    ctx = session.chat_ctx
    ctx.items.append(calls[0])
    ctx.items.append(
        llm.FunctionCallOutput(
            call_id=calls[0].call_id, name="get_weather", output="Sunny in Paris.", is_error=False
        )
    )
    await session.update_chat_ctx(ctx)
    ev = await asyncio.wait_for(session.generate_reply(), 10)
    text, _, _ = await asyncio.wait_for(drain(ev), 10)
    await model.aclose()
    assert text == "It is sunny in Paris."
    log = qwen_omni_emulator.realtime_log[0]
    tools = next(
        e for e in log.events if e["type"] == "session.update" and e["session"].get("tools")
    )
    assert tools["session"]["tools"][0]["name"] == "get_weather"
    outputs = [e["item"] for e in log.events if e["type"] == "conversation.item.create"]
    assert outputs == [
        {"type": "function_call_output", "call_id": calls[0].call_id, "output": "Sunny in Paris."}
    ]


async def test_server_vad_events_and_video_frames(qwen_omni_emulator):
    qwen_omni_emulator.script_realtime(RealtimeReply(text="I see you."))
    model = model_for(
        qwen_omni_emulator, turn_detection={"type": "server_vad", "silence_duration_ms": 200}
    )
    session = model.session()
    seen: list[str] = []
    generations: list[llm.GenerationCreatedEvent] = []
    session.on("input_speech_started", lambda _: seen.append("started"))
    session.on("input_speech_stopped", lambda _: seen.append("stopped"))
    session.on("generation_created", generations.append)
    video = rtc.VideoFrame(64, 48, rtc.VideoBufferType.RGBA, bytes([200, 30, 30, 255]) * 64 * 48)
    await asyncio.sleep(0.3)  # connected
    session.push_video(video)  # before any audio: dropped, as the service would refuse it
    await asyncio.sleep(0.1)
    for frame in frames(0.5):
        session.push_audio(frame)
    await asyncio.sleep(0.2)
    session.push_video(video)
    for frame in frames(0.5, loud=False):  # keep streaming silence: the VAD ends the turn
        session.push_audio(frame)
    await settle(lambda: generations)
    text, _, _ = await asyncio.wait_for(drain(generations[0]), 10)
    await model.aclose()
    assert seen[:2] == ["started", "stopped"]
    assert not generations[0].user_initiated
    assert text == "I see you."
    log = qwen_omni_emulator.realtime_log[0]
    assert len(log.images) == 1
    assert log.errors == []
    assert log.types().index("input_audio_buffer.append") < log.types().index(
        "input_image_buffer.append"
    )


def test_chat_models_are_refused():
    from livekit.plugins.qwen_omni import RealtimeModel

    with pytest.raises(RequestValidationError, match="realtime"):
        RealtimeModel(model="qwen3-omni-flash", api_key="k", base_url="http://127.0.0.1:9/v1")
