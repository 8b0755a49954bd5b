"""Realtime sessions against the emulator's WebSocket route, over loopback.

Protocol facts asserted here come from shared/reference/realtime.md (16 kHz PCM16 in, 24 kHz
out, 100 ms packets, JPEG ≤ 256 KB base64 at ≤ 1 fps after audio, the error wording), not from
the emulator's code.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
import wave

import numpy as np
import pytest

from qwen_omni.errors import AuthenticationError, RequestValidationError
from qwen_omni.realtime import (
    AsyncRealtimeSession,
    AudioDelta,
    ErrorEvent,
    Interrupted,
    Reconnected,
    ResponseDone,
    SpeechStarted,
    SpeechStopped,
    ToolCallEvent,
    ToolResultSent,
)
from qwen_omni_emulator import RealtimeFault, RealtimeReply

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

RATE = 16_000


def tone(seconds: float, amplitude: float = 0.3, rate: int = RATE) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * 32767 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()


def quiet(seconds: float) -> bytes:
    return b"\x00\x00" * int(seconds * RATE)


def session(qwen_omni_emulator, **kw) -> AsyncRealtimeSession:
    kw.setdefault("keepalive_s", None)
    kw.setdefault("turn_detection", None)
    return AsyncRealtimeSession(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key, **kw
    )


async def collect(s: AsyncRealtimeSession, until=ResponseDone, timeout: float = 20.0) -> list:
    seen: list = []

    async def run() -> None:
        async for event in s.events():
            seen.append(event)
            if isinstance(event, until):
                return

    await asyncio.wait_for(run(), timeout)
    return seen


def appended_packets(log) -> list[int]:
    return [
        int(e["audio"].strip("<>").split()[0])
        for e in log.events
        if e["type"] == "input_audio_buffer.append"
    ]


async def test_manual_turn_resamples_to_100ms_packets_and_saves_a_valid_wav(
    qwen_omni_emulator, tmp_path
):
    from qwen_omni.media import make_audio

    qwen_omni_emulator.script_realtime(
        RealtimeReply(text="Paris is the capital.", input_transcript="capital?")
    )
    wav_in = make_audio(tmp_path / "q.wav", seconds=1.0, sample_rate=44_100, channels=2)
    async with session(qwen_omni_emulator, input_transcription="gummy-realtime-v1") as s:
        sent = await s.send_audio(wav_in)
        await s.commit()
        await s.respond()
        events = await collect(s)
    turn = events[-1].turn
    assert sent == pytest.approx(1.0, abs=0.01)
    log = qwen_omni_emulator.realtime_log[0]
    assert log.model == "qwen3-omni-flash-realtime"
    assert (
        log.headers["authorization"] != f"Bearer {qwen_omni_emulator.api_key}"
    )  # masked in the log
    # 1 s at 16 kHz mono PCM16 = 32,000 bytes, in packets of 3,200 bytes (100 ms)
    assert log.audio_bytes == pytest.approx(32_000, abs=64)
    sizes = appended_packets(log)
    assert max(sizes) == len(base64.b64encode(b"\0" * 3200))
    update = log.events[0]
    assert update["type"] == "session.update"
    assert update["session"]["turn_detection"] is None
    assert update["session"]["input_audio_format"] == "pcm"
    assert log.types()[-3:] == ["input_audio_buffer.commit", "response.create", "session.finish"]
    types = [e.type for e in events]
    assert types.index("input_audio_buffer.committed") < types.index("response.created")
    assert "conversation.item.input_audio_transcription.completed" in types
    assert turn.status == "completed"
    assert turn.transcript == "Paris is the capital."
    assert turn.usage["output_token_details"]["audio_tokens"] > 0
    assert s.history == [("user", "capital?"), ("assistant", "Paris is the capital.")]
    path = turn.save_audio(tmp_path / "reply.wav")
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24_000, 1, 2)
        assert w.getnframes() == len(turn.audio_pcm) // 2 > 0


async def test_vad_turn_and_barge_in(qwen_omni_emulator):
    long_reply = RealtimeReply(text="word " * 40, chunk_chars=5, chunk_delay=0.03)
    qwen_omni_emulator.script_realtime(long_reply, RealtimeReply(text="Second answer."))
    vad = {"type": "server_vad", "silence_duration_ms": 200}
    async with session(qwen_omni_emulator, turn_detection=vad) as s:
        await s.append_audio(tone(0.5))
        await s.append_audio(quiet(0.4))  # the client keeps streaming silence in VAD mode
        seen = []
        barged = False
        async for event in s.events():
            seen.append(event)
            if isinstance(event, AudioDelta) and not barged:
                barged = True
                await s.append_audio(tone(0.3))  # the user talks over the reply
                await s.append_audio(quiet(0.4))
            if isinstance(event, ResponseDone) and event.turn.transcript.startswith("Second"):
                break
    kinds = [type(e) for e in seen]
    assert kinds.index(SpeechStarted) < kinds.index(SpeechStopped)
    first_done = next(e for e in seen if isinstance(e, ResponseDone))
    assert first_done.turn.status == "cancelled"
    assert len(first_done.turn.transcript) < len(long_reply.text)
    interrupted = [e for e in seen if isinstance(e, Interrupted)]
    assert interrupted and interrupted[0].response_id == first_done.turn.response_id
    assert seen.index(interrupted[0]) < seen.index(first_done)
    assert seen[-1].turn.status == "completed"


async def test_images_refused_before_audio_throttled_and_capped(qwen_omni_emulator):
    from PIL import Image

    noise = np.random.default_rng(0).integers(0, 255, (2160, 3840, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, format="PNG")
    big_png = buf.getvalue()
    assert len(base64.b64encode(big_png)) > 256 * 1024
    async with session(qwen_omni_emulator) as s:
        with pytest.raises(RequestValidationError, match="before the first image") as err:
            await s.send_image(big_png)
        assert err.value.rule == "image_after_audio"
        await s.append_audio(quiet(0.1))
        assert await s.send_image(big_png) is True
        assert await s.send_image(big_png) is False  # < 1 s later: dropped
        t0 = time.monotonic()
        assert await s.send_image(big_png, wait=True) is True
        assert time.monotonic() - t0 >= 0.8
        await s.commit()
        await s.respond()
        turn = (await collect(s))[-1].turn
    log = qwen_omni_emulator.realtime_log[0]
    assert "input_image_buffer.append" not in log.types()[: log.types().index(
        "input_audio_buffer.append")]  # fmt: skip
    assert len(log.images) == 2
    assert all(size <= 256 * 1024 for size in log.images)
    assert log.errors == []
    assert "2 images" in turn.transcript


async def test_the_emulator_refuses_an_image_before_audio_with_the_service_wording(
    qwen_omni_emulator,
):
    from websockets.asyncio.client import connect

    url = f"{qwen_omni_emulator.realtime_url}?model=qwen3-omni-flash-realtime"
    headers = {"Authorization": f"Bearer {qwen_omni_emulator.api_key}"}
    async with connect(url, additional_headers=headers) as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
        jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\0" * 100).decode()
        await ws.send(json.dumps({"type": "input_image_buffer.append", "image": jpeg}))
        error = json.loads(await ws.recv())
    assert error["type"] == "error"
    assert error["error"]["message"] == "Error append image before append audio."


async def test_tool_call_round_trip_with_chat_style_definitions(qwen_omni_emulator):
    weather = {"type": "function", "function": {
        "name": "get_weather", "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}  # fmt: skip
    qwen_omni_emulator.script_realtime(
        RealtimeReply.tool_call("get_weather", {"city": "Paris"}),
        RealtimeReply(text="It is sunny in Paris."),
    )
    calls = []

    async def handler(call: ToolCallEvent) -> dict:
        calls.append(json.loads(call.arguments))
        return {"city": "Paris", "sky": "sunny"}

    async with session(qwen_omni_emulator, model="qwen3.5-omni-plus-realtime", tools=[weather],
                       tool_handler=handler) as s:  # fmt: skip
        await s.append_audio(tone(0.5))
        await s.commit()
        await s.respond()
        first = await collect(s)
        second = await collect(s)
    assert calls == [{"city": "Paris"}]
    tool_turn = first[-1].turn
    assert [c.name for c in tool_turn.tool_calls] == ["get_weather"]
    assert tool_turn.audio_pcm == b""  # a tool call produces no audio
    sent = [e for e in second if isinstance(e, ToolResultSent)]
    assert sent and sent[0].call_id == tool_turn.tool_calls[0].call_id
    assert second[-1].turn.transcript == "It is sunny in Paris."
    log = qwen_omni_emulator.realtime_log[0]
    assert log.events[0]["session"]["tools"][0]["name"] == "get_weather"
    outputs = [e["item"] for e in log.events if e["type"] == "conversation.item.create"]
    assert outputs[0]["type"] == "function_call_output"
    assert outputs[0]["call_id"] == tool_turn.tool_calls[0].call_id
    assert json.loads(outputs[0]["output"]) == {"city": "Paris", "sky": "sunny"}
    assert log.types()[-2:] == ["response.create", "session.finish"]


async def test_reconnect_after_a_drop_replays_config_and_history(qwen_omni_emulator):
    qwen_omni_emulator.script_realtime(
        RealtimeReply(text="this reply is cut " * 5, chunk_chars=4),
        RealtimeReply(text="Back again."),
    )
    qwen_omni_emulator.fail_realtime(RealtimeFault("drop", after=3))
    async with session(qwen_omni_emulator, instructions="Be brief.", voice="Ethan") as s:
        await s.send_text("My name is Ada.")
        await s.append_audio(tone(0.3))
        await s.commit()
        await s.respond()
        events = await collect(s, until=Reconnected)
        assert s.connections == 2
        await s.append_audio(tone(0.3))
        await s.commit()
        await s.respond()
        turn = (await collect(s))[-1].turn
    cut = next(e for e in events if isinstance(e, ResponseDone)).turn
    assert cut.status == "interrupted"
    assert any(isinstance(e, Interrupted) for e in events)
    assert events[-1].replayed_items == 1
    first, second = qwen_omni_emulator.realtime_log
    assert first.closed_by == "fault_drop"
    assert second.events[0]["type"] == "session.update"
    assert second.events[0]["session"] == first.events[0]["session"]
    assert second.events[0]["session"]["voice"] == "Ethan"
    replay = second.events[1]
    assert replay["type"] == "conversation.item.create"
    assert replay["item"]["content"][0]["text"] == "My name is Ada."
    assert turn.transcript == "Back again."


async def test_keepalive_prevents_the_idle_cut(qwen_omni_emulator, monkeypatch):
    monkeypatch.setattr(qwen_omni_emulator.config, "realtime_idle_s", 0.6)
    async with session(qwen_omni_emulator, keepalive_s=0.2) as s:
        await asyncio.sleep(1.5)
        assert s.connections == 1
    log = qwen_omni_emulator.realtime_log[0]
    assert log.closed_by == "client_finish"
    # manual mode: silence appended, then cleared (nothing left in the buffer)
    assert "input_audio_buffer.append" in log.types()
    assert "input_audio_buffer.clear" in log.types()


async def test_without_keepalive_the_idle_cut_reconnects(qwen_omni_emulator, monkeypatch):
    monkeypatch.setattr(qwen_omni_emulator.config, "realtime_idle_s", 0.4)
    async with session(qwen_omni_emulator, instructions="Remember me.") as s:
        events = await collect(s, until=Reconnected, timeout=10)
    assert isinstance(events[-1], Reconnected)
    first, second = qwen_omni_emulator.realtime_log[:2]
    assert first.closed_by == "idle_cut"
    assert second.events[0]["session"]["instructions"] == "Remember me."


async def test_session_length_cut_reconnects(qwen_omni_emulator, monkeypatch):
    monkeypatch.setattr(qwen_omni_emulator.config, "realtime_max_session_s", 0.5)
    async with session(qwen_omni_emulator, keepalive_s=0.1) as s:
        await collect(s, until=Reconnected, timeout=10)
    assert qwen_omni_emulator.realtime_log[0].closed_by == "session_cut"


async def test_cancel_without_response_done_ends_the_turn_after_a_timeout(qwen_omni_emulator):
    qwen_omni_emulator.script_realtime(
        RealtimeReply(text="long " * 50, chunk_chars=5, chunk_delay=0.05)
    )
    qwen_omni_emulator.fail_realtime(RealtimeFault("cancel_without_done"))
    async with session(qwen_omni_emulator, cancel_done_timeout_s=0.3) as s:
        await s.append_audio(tone(0.3))
        await s.commit()
        await s.respond()
        seen = []
        async for event in s.events():
            seen.append(event)
            if isinstance(event, AudioDelta) and not any(isinstance(e, Interrupted) for e in seen):
                await s.interrupt()
            if isinstance(event, ResponseDone):
                break
    assert seen[-1].turn.status == "cancelled_no_done"
    assert "response.cancel" in qwen_omni_emulator.realtime_log[0].types()


async def test_voice_is_locked_after_the_first_spoken_reply(qwen_omni_emulator):
    from websockets.asyncio.client import connect

    qwen_omni_emulator.script_realtime(RealtimeReply(text="Hello."))
    async with session(qwen_omni_emulator) as s:
        await s.append_audio(tone(0.2))
        await s.commit()
        await s.respond()
        await collect(s)
        with pytest.raises(RequestValidationError, match="locked") as err:
            await s.update(voice="Ethan")
        assert err.value.rule == "cannot_update_voice"
        await s.update(instructions="Now in French.")  # other changes still work
        assert s.session["instructions"] == "Now in French."
    # the service's own answer to a late voice change
    url = f"{qwen_omni_emulator.realtime_url}?model=qwen3-omni-flash-realtime"
    headers = {"Authorization": f"Bearer {qwen_omni_emulator.api_key}"}
    async with connect(url, additional_headers=headers) as ws:
        await ws.recv()
        audio = base64.b64encode(tone(0.2)).decode()
        for kind in ("input_audio_buffer.append", "input_audio_buffer.commit", "response.create"):
            await ws.send(json.dumps({"type": kind, "audio": audio}))
        while json.loads(await ws.recv())["type"] != "response.done":
            pass
        await ws.send(json.dumps({"type": "session.update", "session": {"voice": "Ethan"}}))
        error = json.loads(await ws.recv())
    assert error["error"]["code"] == "cannot_update_voice"


async def test_nested_schema_for_qwen38(qwen_omni_emulator):
    qwen_omni_emulator.script_realtime(RealtimeReply(text="Nested hello."))
    async with session(qwen_omni_emulator, model="qwen3.8-omni-flash-realtime") as s:
        assert s.session["audio"]["output"]["voice"] == "longanlingxin"
        await s.append_audio(tone(0.3))
        await s.commit()
        await s.respond()
        turn = (await collect(s))[-1].turn
    update = qwen_omni_emulator.realtime_log[0].events[0]["session"]
    assert "voice" not in update and "input_audio_format" not in update
    assert update["audio"]["input"]["format"] == {"type": "pcm", "sample_rate": 16000}
    assert turn.transcript == "Nested hello." and turn.audio_pcm


async def test_the_emulator_refuses_the_wrong_schema(qwen_omni_emulator):
    from websockets.asyncio.client import connect

    headers = {"Authorization": f"Bearer {qwen_omni_emulator.api_key}"}
    wrong = {
        "qwen3.8-omni-flash-realtime": {"voice": "Cherry"},
        "qwen3-omni-flash-realtime": {"audio": {"output": {"voice": "Cherry"}}},
    }
    for model, body in wrong.items():
        async with connect(
            f"{qwen_omni_emulator.realtime_url}?model={model}", additional_headers=headers
        ) as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "session.update", "session": body}))
            answer = json.loads(await ws.recv())
        assert answer["type"] == "error", model


async def test_error_events_are_typed_and_not_fatal(qwen_omni_emulator):
    async with session(qwen_omni_emulator) as s:
        await s.commit()  # empty buffer
        event = (await collect(s, until=ErrorEvent))[-1]
        assert not event.fatal and event.error is not None
        assert "empty" in str(event.error)
        qwen_omni_emulator.script_realtime(RealtimeReply(text="Still here."))
        await s.append_audio(tone(0.2))
        await s.commit()
        await s.respond()
        assert (await s.next_turn(10)).transcript == "Still here."


async def test_wrong_key_is_an_authentication_error(qwen_omni_emulator):
    s = AsyncRealtimeSession(
        base_url=qwen_omni_emulator.base_url, api_key="wrong", keepalive_s=None
    )
    with pytest.raises(AuthenticationError):
        await s.connect()


async def test_chat_models_are_refused_for_realtime_and_the_reverse(qwen_omni_emulator):
    from qwen_omni import AsyncOmniClient, text

    with pytest.raises(RequestValidationError, match="realtime"):
        AsyncRealtimeSession(
            base_url=qwen_omni_emulator.base_url, api_key="k", model="qwen3-omni-flash"
        )
    client = AsyncOmniClient(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key
    )
    with pytest.raises(RequestValidationError, match="AsyncRealtimeSession") as err:
        await client.complete([text("hi")], model="qwen3-omni-flash-realtime")
    assert err.value.limit == "qwen3-omni-flash"
    assert len(qwen_omni_emulator.requests) == 0  # refused before sending


async def test_feeding_a_video_sends_audio_then_paced_frames(qwen_omni_emulator, tmp_path):
    from qwen_omni.media import make_video
    from qwen_omni.realtime import feed_file

    clip = make_video(tmp_path / "clip.mp4", seconds=2.2, width=320, height=240, fps=10)
    qwen_omni_emulator.script_realtime(RealtimeReply(text="I saw it."))
    async with session(qwen_omni_emulator) as s:
        t0 = time.monotonic()
        result = await feed_file(s, clip)
        elapsed = time.monotonic() - t0
        await s.commit()
        await s.respond()
        turn = await s.next_turn(10)
    assert result.audio_seconds == pytest.approx(2.2, abs=0.15)
    assert elapsed >= 1.9  # paced in real time
    assert (result.frames_sent, result.frames_dropped) == (2, 0)  # t = 0 and 1 s at 1 fps
    log = qwen_omni_emulator.realtime_log[0]
    assert log.errors == []
    assert log.types().index("input_audio_buffer.append") < log.types().index(
        "input_image_buffer.append"
    )
    assert turn.transcript == "I saw it."


def test_sync_session(qwen_omni_emulator):
    from qwen_omni.realtime import RealtimeSession

    qwen_omni_emulator.script_realtime(RealtimeReply(text="Sync reply."))
    with RealtimeSession(base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key,
                         turn_detection=None, keepalive_s=None) as s:  # fmt: skip
        s.send_audio(tone(0.3), sample_rate=RATE)
        s.commit()
        s.respond()
        turn = s.next_turn(10)
    assert turn.transcript == "Sync reply."
    assert turn.wav[:4] == b"RIFF"


async def test_tool_calls_run_on_our_agent_tools_with_their_access_policy(
    qwen_omni_emulator, tmp_path
):
    from qwen_omni.media import make_image
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks, get_tool
    from qwen_omni_emulator import Reply

    picture = make_image(tmp_path / "shelf.png", width=64, height=48)
    qwen_omni_emulator.script(
        Reply.text("Three red boxes on a shelf.")
    )  # the chat model behind the tool
    qwen_omni_emulator.script_realtime(
        RealtimeReply.tool_call("analyze_image", {"source": str(picture), "question": "What?"}),
        RealtimeReply.tool_call("analyze_image", {"source": "/etc/passwd", "question": "What?"}),
    )
    tasks = AsyncOmniTasks(
        base_url=qwen_omni_emulator.base_url,
        api_key=qwen_omni_emulator.api_key,
        policy=AccessPolicy(roots=[tmp_path]),
    )
    async with (
        tasks,
        session(qwen_omni_emulator, tools=[get_tool("analyze_image")], tasks=tasks) as s,
    ):
        await s.append_audio(tone(0.3))
        await s.commit()
        await s.respond()
        results = []
        async for event in s.events():
            if isinstance(event, ToolResultSent):
                results.append(event.output)
            if len(results) == 2:
                break
    assert "Three red boxes on a shelf." in results[0]
    assert "refused" in results[1].lower()  # the agent policy applies to the model's arguments
    log = qwen_omni_emulator.realtime_log[0]
    assert log.events[0]["session"]["tools"][0]["name"] == "analyze_image"
    assert qwen_omni_emulator.requests.last.model == "qwen3-omni-flash"


async def test_push_audio_streams_live_48k_stereo_frames_as_16k_packets(qwen_omni_emulator):
    qwen_omni_emulator.script_realtime(RealtimeReply(text="Heard you."))
    t = np.arange(48_000) / 48_000
    mono = (0.3 * 32767 * np.sin(2 * np.pi * 300 * t)).astype("<i2")
    stereo = np.stack([mono, mono], axis=1).tobytes()  # 1 s, 48 kHz, 2 channels
    async with session(qwen_omni_emulator) as s:
        for i in range(0, len(stereo), 1920):  # 10 ms WebRTC-sized frames
            await s.push_audio(stereo[i : i + 1920], sample_rate=48_000, channels=2)
        await s.commit()  # sends the remainder first
        await s.respond()
        turn = await s.next_turn(10)
    log = qwen_omni_emulator.realtime_log[0]
    assert log.audio_bytes == pytest.approx(32_000, abs=128)
    assert appended_packets(log)[:-1] == [len(base64.b64encode(b"\0" * 3200))] * (
        len(appended_packets(log)) - 1
    )
    assert turn.transcript == "Heard you."
