"""Chunks → events → OmniResponse, on chunk shapes from reference §5."""

import base64
import io
import wave

import pytest

from qwen_omni import (
    APIError,
    AudioDelta,
    Finish,
    ReasoningDelta,
    Started,
    TextDelta,
    ToolCallDelta,
    UsageEvent,
)
from qwen_omni._stream import ResponseBuilder, StreamDecoder


def chunk(delta=None, finish=None, usage=None, choices=True):
    c = {"id": "chatcmpl-req-1", "model": "qwen3-omni-flash", "object": "chat.completion.chunk"}
    c["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else []
    c["usage"] = usage
    return c


def run(chunks):
    decoder, builder, events = StreamDecoder(), ResponseBuilder(), []
    for c in chunks:
        for e in decoder.feed(c):
            builder.add(e)
            events.append(e)
    return events, builder.build()


def test_text_stream_with_usage_last():
    usage = {
        "prompt_tokens": 207,
        "completion_tokens": 103,
        "total_tokens": 310,
        "completion_tokens_details": {"audio_tokens": 83, "text_tokens": 20},
        "prompt_tokens_details": {"text_tokens": 7, "video_tokens": 150, "audio_tokens": 50},
    }
    events, r = run(
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": "Hel"}),
            chunk({"content": "lo"}),
            chunk({"content": ""}, finish="stop"),
            chunk(choices=False, usage=usage),
        ]
    )
    assert isinstance(events[0], Started) and events[0].request_id == "req-1"
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo"]
    assert isinstance(events[-2], Finish) and isinstance(events[-1], UsageEvent)
    assert r.text == "Hello" and r.finish_reason == "stop" and r.model == "qwen3-omni-flash"
    assert r.usage.input_tokens == 207 and r.usage.output_audio_tokens == 83
    assert r.usage.input_video_tokens == 150 and r.usage.input_audio_tokens == 50
    assert r.usage.input_image_tokens == 0  # omitted keys mean zero


def test_audio_deltas_assemble_into_valid_wav():
    pcm1, pcm2 = b"\x01\x00\x02\x00", b"\x03\x00\x04\x00"
    events, r = run(
        [
            chunk({"content": "Hi"}),
            chunk({"audio": {"data": base64.b64encode(pcm1).decode(), "id": "audio_1",
                             "expires_at": 1}}),
            chunk({"audio": {"data": base64.b64encode(pcm2).decode(), "expires_at": 1}}),
            chunk(finish="stop"),
        ]
    )
    assert [e.data for e in events if isinstance(e, AudioDelta)] == [pcm1, pcm2]
    assert r.audio_pcm == pcm1 + pcm2 and r.audio_id == "audio_1"
    with wave.open(io.BytesIO(r.audio_wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24000, 1, 2)
        assert w.readframes(10) == pcm1 + pcm2
    assert r.audio_seconds == pytest.approx(4 / 24000)  # 4 samples at 24 kHz


def test_transcript_only_models_give_text_without_doubling():
    # Older models: text only in delta.audio.transcript.
    _, old = run(
        [
            chunk({"audio": {"transcript": "Hel", "data": ""}}),
            chunk({"audio": {"transcript": "lo", "data": ""}}),
            chunk(finish="stop"),
        ]
    )
    assert old.text == "Hello" and old.transcript == "Hello"
    # Both sources: content wins, the transcript is kept separately, never appended twice.
    _, both = run(
        [
            chunk({"content": "Hello"}),
            chunk({"audio": {"transcript": "Hello", "data": ""}}),
            chunk(finish="stop"),
        ]
    )
    assert both.text == "Hello" and both.transcript == "Hello"


def test_tool_call_fragments_merge_by_index():
    events, r = run(
        [
            chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                                   "function": {"name": "get_weather", "arguments": '{"ci'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Paris"}'}}]}),
            chunk({"tool_calls": [{"index": 1, "id": "call_b",
                                   "function": {"name": "get_time", "arguments": "{}"}}]}),
            chunk(finish="tool_calls"),
        ]
    )
    assert sum(isinstance(e, ToolCallDelta) for e in events) == 3
    calls = [(c.id, c.name) for c in r.tool_calls]
    assert calls == [("call_a", "get_weather"), ("call_b", "get_time")]
    assert r.tool_calls[0].parsed_arguments() == {"city": "Paris"}
    assert r.finish_reason == "tool_calls"


def test_reasoning_then_answer():
    events, r = run(
        [
            chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
            chunk({"reasoning_content": "Let me think."}),
            chunk({"content": "42"}),
            chunk(finish="stop"),
            chunk(choices=False, usage={"prompt_tokens": 5, "completion_tokens": 9,
                                        "total_tokens": 14,
                                        "completion_tokens_details": {"reasoning_tokens": 7}}),
        ]
    )
    assert [type(e) for e in events[1:3]] == [ReasoningDelta, TextDelta]
    assert r.reasoning == "Let me think." and r.text == "42" and r.usage.reasoning_tokens == 7


def test_error_event_in_stream_raises():
    decoder = StreamDecoder()
    with pytest.raises(APIError, match="boom") as info:
        decoder.feed({"error": {"message": "boom", "code": "internal_error"}, "request_id": "r9"})
    assert info.value.code == "internal_error" and info.value.request_id == "r9"


def test_bad_audio_base64_is_an_error_not_silence():
    with pytest.raises(APIError, match="undecodable audio"):
        StreamDecoder().feed(chunk({"audio": {"data": "@@@not-base64@@@"}}))


def test_save_audio_without_audio_explains(tmp_path):
    _, r = run([chunk({"content": "x"}), chunk(finish="stop")])
    assert r.audio_wav is None
    with pytest.raises(ValueError, match="modalities"):
        r.save_audio(tmp_path / "x.wav")


def test_wav_stream_encoder_pieces_join_into_one_valid_wav():
    from qwen_omni.response import WavStreamEncoder, fix_streamed_wav

    pcm = bytes(range(256)) * 40  # 10,240 bytes = 5,120 samples
    encoder = WavStreamEncoder()
    pieces = [encoder.feed(pcm[i : i + 1001]) for i in range(0, len(pcm), 1001)]
    pieces.append(encoder.flush())
    # every piece but the last decodes on its own to whole PCM16 samples
    assert all(len(base64.b64decode(p)) % 2 == 0 for p in pieces[:-1] if p)
    wav = fix_streamed_wav(base64.b64decode("".join(pieces)))
    with wave.open(io.BytesIO(wav)) as w:
        assert w.getnframes() == len(pcm) // 2 and w.readframes(len(pcm)) == pcm
