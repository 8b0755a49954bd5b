"""Pure parts of qwen_omni.realtime, pinned to shared/reference/realtime.md (not our emulator)."""

from __future__ import annotations

import base64
import io

import pytest

from qwen_omni.catalog import get_model, realtime_models
from qwen_omni.errors import (
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    RequestValidationError,
)
from qwen_omni.realtime import (
    AudioDelta,
    InputTranscript,
    ServerEvent,
    SessionConfig,
    ToolCallEvent,
    TurnDetection,
    build_session,
    realtime_url,
    turn_cost,
)
from qwen_omni.realtime.audio import PACKET_BYTES, packets, pcm_packets
from qwen_omni.realtime.events import parse_event
from qwen_omni.realtime.images import base64_size, jpeg_frame
from qwen_omni.realtime.protocol import check_model, error_from_event, realtime_tools


def test_the_realtime_models_of_the_reference_are_in_the_catalog():
    assert set(realtime_models()) >= {
        "qwen3.5-omni-plus-realtime",
        "qwen3.5-omni-flash-realtime",
        "qwen3-omni-flash-realtime",
        "qwen-omni-turbo-realtime",
        "qwen3.8-omni-flash-realtime",
    }
    # default voices per family (reference, "Per family")
    assert get_model("qwen3.5-omni-plus-realtime").default_voice == "Tina"
    assert get_model("qwen3-omni-flash-realtime").default_voice == "Cherry"
    assert get_model("qwen-omni-turbo-realtime").default_voice == "Chelsie"
    assert get_model("qwen3.8-omni-flash-realtime").default_voice == "longanlingxin"
    # semantic_vad: Qwen3.5-Omni only
    assert "semantic_vad" in get_model("qwen3.5-omni-flash-realtime").realtime.vad_types
    assert "semantic_vad" not in get_model("qwen3-omni-flash-realtime").realtime.vad_types
    facts = get_model("qwen3-omni-flash-realtime").realtime
    assert (facts.input_sample_rate, facts.output_sample_rate) == (16_000, 24_000)
    assert facts.image_max_base64_bytes == 256 * 1024
    assert facts.image_max_fps == 1.0
    assert facts.idle_timeout_s == 300
    assert get_model("qwen3.8-omni-flash-realtime").realtime.schema == "nested"
    assert get_model("qwen3.5-omni-plus-realtime").realtime.schema == "flat"


def test_realtime_url_per_region_and_for_the_emulator():
    assert (
        realtime_url(
            "https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen3-omni-flash-realtime"
        )
        == "wss://dashscope.aliyuncs.com/api-ws/v1/realtime?model=qwen3-omni-flash-realtime"
    )
    assert realtime_url("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "m").startswith(
        "wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime?"
    )
    assert (
        realtime_url("http://127.0.0.1:8000/compatible-mode/v1", "m")
        == "ws://127.0.0.1:8000/api-ws/v1/realtime?model=m"
    )
    assert (
        realtime_url("wss://gw.example.com/custom/rt", "m")
        == "wss://gw.example.com/custom/rt?model=m"
    )


def test_flat_session_update():
    spec = get_model("qwen3-omni-flash-realtime")
    config = SessionConfig(
        voice="Ethan",
        instructions="Be brief.",
        turn_detection=TurnDetection("server_vad", threshold=0.5, silence_duration_ms=800),
        input_transcription="gummy-realtime-v1",
    )
    session = build_session(spec, config)
    assert session == {
        "modalities": ["text", "audio"],
        "instructions": "Be brief.",
        "voice": "Ethan",
        "input_audio_format": "pcm",
        "output_audio_format": "pcm",
        "turn_detection": {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 800},
        "input_audio_transcription": {"model": "gummy-realtime-v1"},
    }


def test_nested_session_update_for_qwen38():
    spec = get_model("qwen3.8-omni-flash-realtime")
    session = build_session(
        spec, SessionConfig(voice="longanlingxin", turn_detection=TurnDetection(None))
    )
    assert "voice" not in session and "input_audio_format" not in session
    assert session["audio"]["input"]["format"] == {"type": "pcm", "sample_rate": 16000}
    assert session["audio"]["output"]["voice"] == "longanlingxin"
    assert session["audio"]["output"]["format"] == {"type": "pcm", "sample_rate": 24000}
    assert session["audio"]["input"]["turn_detection"] is None


def test_manual_mode_sends_turn_detection_null():
    spec = get_model("qwen3.5-omni-plus-realtime")
    assert (
        build_session(spec, SessionConfig(turn_detection=TurnDetection.coerce(None)))[
            "turn_detection"
        ]
        is None
    )
    assert TurnDetection.coerce("manual").type is None
    assert TurnDetection.coerce({"type": "semantic_vad"}).to_wire() == {"type": "semantic_vad"}


def test_model_checks_before_connecting():
    with pytest.raises(RequestValidationError, match="chat model") as err:
        check_model(get_model("qwen3-omni-flash"), SessionConfig())
    assert err.value.rule == "realtime_model_required"
    with pytest.raises(RequestValidationError, match="semantic_vad") as err:
        check_model(
            get_model("qwen3-omni-flash-realtime"),
            SessionConfig(turn_detection=TurnDetection("semantic_vad")),
        )
    check_model(
        get_model("qwen3.5-omni-plus-realtime"),
        SessionConfig(turn_detection=TurnDetection("semantic_vad")),
    )
    with pytest.raises(RequestValidationError, match="empty"):
        check_model(get_model("qwen3-omni-flash-realtime"), SessionConfig(voice=" "))
    tools = realtime_tools([{"type": "function", "function": {"name": "f", "parameters": {}}}])
    with pytest.raises(RequestValidationError, match="mutually exclusive"):
        check_model(
            get_model("qwen3.5-omni-plus-realtime"),
            SessionConfig(tools=tools, enable_search=True),
        )


def test_chat_tool_definitions_become_realtime_ones():
    chat = {"type": "function", "function": {"name": "get_weather", "description": "d",
                                             "parameters": {"type": "object"}}}  # fmt: skip
    flat = {"type": "function", "name": "x", "parameters": {}}
    assert realtime_tools([chat, flat]) == (
        {"type": "function", "name": "get_weather", "description": "d",
         "parameters": {"type": "object"}},
        flat,
    )  # fmt: skip


def test_registry_tools_become_realtime_ones():
    from qwen_omni.tasks.registry import TOOLS

    out = realtime_tools(TOOLS)
    assert [t["name"] for t in out] == [t.name for t in TOOLS]
    assert all(t["parameters"]["type"] == "object" for t in out)


def test_parse_event_types():
    pcm = b"\x01\x00" * 10
    ev = parse_event({"type": "response.audio.delta", "response_id": "r",
                      "delta": base64.b64encode(pcm).decode()})  # fmt: skip
    assert isinstance(ev, AudioDelta) and ev.pcm == pcm and ev.response_id == "r"
    ev = parse_event({"type": "response.function_call_arguments.done", "call_id": "c",
                      "name": "f", "arguments": '{"a": 1}'})  # fmt: skip
    assert isinstance(ev, ToolCallEvent) and (ev.call_id, ev.name) == ("c", "f")
    ev = parse_event(
        {"type": "conversation.item.input_audio_transcription.completed", "transcript": "hi"}
    )
    assert isinstance(ev, InputTranscript) and ev.final and ev.text == "hi"
    assert isinstance(parse_event({"type": "something.new"}), ServerEvent)


def test_error_events_map_to_the_error_tree():
    err = error_from_event({"type": "error", "error": {"code": "cannot_update_voice",
                                                       "message": "voice locked"}})  # fmt: skip
    assert isinstance(err, BadRequestError) and err.code == "cannot_update_voice"
    assert isinstance(
        error_from_event({"error": {"code": "InvalidApiKey", "message": "Invalid API-key"}}),
        AuthenticationError,
    )
    assert isinstance(
        error_from_event({"error": {"code": "Throttling", "message": "rate limit"}}),
        RateLimitError,
    )


def test_turn_cost_with_the_quoted_qwen35_plus_realtime_prices():
    # reference: per 1M tokens, audio in 80, audio out 300, non-audio in 10, non-audio out 60
    spec = get_model("qwen3.5-omni-plus-realtime")
    usage = {
        "input_tokens": 1_100_000,
        "output_tokens": 1_000_000,
        "input_token_details": {"audio_tokens": 1_000_000, "text_tokens": 100_000},
        "output_token_details": {"audio_tokens": 1_000_000, "text_tokens": 50_000},
    }
    # 80 + 0.1 * 10 + 300 (the text of a spoken reply is free)
    assert turn_cost(spec, usage, "beijing") == pytest.approx(381.0)
    text_only = {"input_tokens": 1_000_000, "output_tokens": 1_000_000,
                 "input_token_details": {"text_tokens": 1_000_000},
                 "output_token_details": {"text_tokens": 1_000_000}}  # fmt: skip
    assert turn_cost(spec, text_only, "beijing") == pytest.approx(70.0)
    assert turn_cost(get_model("qwen3-omni-flash-realtime"), usage, "beijing") is None


def test_packets_are_100_ms_of_16khz_mono_pcm16():
    assert PACKET_BYTES == 3200  # 16,000 samples/s × 2 bytes × 0.1 s
    pcm = b"\x00\x01" * 16_000  # 1 s
    assert [len(p) for p in packets(pcm)] == [3200] * 10


def test_raw_pcm_is_resampled_and_downmixed():
    import numpy as np

    t = np.arange(48_000) / 48_000
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    stereo = np.stack([tone, tone], axis=1).tobytes()  # 1 s, 48 kHz, 2 channels
    out = b"".join(pcm_packets(stereo, sample_rate=48_000, channels=2))
    assert abs(len(out) - 32_000) <= 2 * 64  # 1 s of 16 kHz mono, give or take the filter tail
    with pytest.raises(ValueError, match="sample_rate"):
        list(pcm_packets(b"\x00\x01" * 100))


def test_wav_bytes_are_read_from_their_header(tmp_path):
    from qwen_omni.media import make_audio

    path = make_audio(tmp_path / "a.wav", seconds=0.5, sample_rate=44_100, channels=2)
    out = list(pcm_packets(path.read_bytes()))
    assert sum(map(len, out)) == pytest.approx(16_000, abs=256)
    assert all(len(p) == 3200 for p in out[:-1])


def test_jpeg_frame_fits_the_cap():
    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(1).integers(0, 255, (3000, 4000, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, format="PNG")
    jpeg = jpeg_frame(buf.getvalue())
    assert jpeg[:3] == b"\xff\xd8\xff"
    assert base64_size(len(jpeg)) <= 256 * 1024
    assert min(Image.open(io.BytesIO(jpeg)).size) <= 720
    small = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(small, format="JPEG")
    assert jpeg_frame(small.getvalue()) == small.getvalue()  # already fits: sent as is
    assert base64_size(3) == 4 and base64_size(4) == 8


def test_stream_resampler_keeps_state_across_chunks():
    import numpy as np

    from qwen_omni.realtime.audio import StreamResampler

    t = np.arange(48_000) / 48_000
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()
    whole = b"".join(pcm_packets(tone, sample_rate=48_000))
    stream = StreamResampler(48_000)
    pieces = [stream.push(tone[i : i + 960]) for i in range(0, len(tone), 960)]  # 10 ms frames
    streamed = b"".join(pieces) + stream.flush()
    assert abs(len(streamed) - 32_000) <= 128
    a = np.frombuffer(streamed[: len(whole)], "<i2").astype(float)
    b = np.frombuffer(whole[: len(streamed)], "<i2").astype(float)
    n = min(len(a), len(b))
    assert np.abs(a[:n] - b[:n]).max() < 200  # the same signal, no clicks at chunk edges
    passthrough = StreamResampler(16_000)
    assert passthrough.push(b"\x01\x00" * 5) == b"\x01\x00" * 5
