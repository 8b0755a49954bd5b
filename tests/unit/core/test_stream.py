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
    with pytest.raises(APIError, match="undecodable base64 audio"):
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


# --- tool calls that must never be executed (issue 12) ---------------------------------------


def call(index, id=None, name=None, arguments=None):
    function = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    out = {"index": index, "type": "function", "function": function}
    if id is not None:
        out["id"] = id
    return out


def test_cut_off_arguments_with_finish_length_are_invalid_not_callable():
    events, r = run(
        [
            chunk({"tool_calls": [call(0, "call_a", "transfer", '{"to":"alice",')]}),
            chunk({"tool_calls": [call(0, arguments='"amount":1000000')]}),
            chunk(finish="length"),
        ]
    )
    assert r.tool_calls == []
    (bad,) = r.invalid_tool_calls
    assert (bad.id, bad.name, bad.index) == ("call_a", "transfer", 0)
    assert bad.arguments == '{"to":"alice","amount":1000000'
    assert "cut off" in bad.error and "max_tokens" in bad.error
    finish = events[-1]
    assert isinstance(finish, Finish) and finish.invalid_tool_calls == (bad,)


def test_stream_ending_mid_arguments_leaves_no_callable_call():
    _, r = run([chunk({"tool_calls": [call(0, "c1", "transfer", '{"to":"al')]})])
    assert r.finish_reason is None and r.tool_calls == []
    assert r.invalid_tool_calls[0].name == "transfer"


@pytest.mark.parametrize(
    ("arguments", "finish", "fragment"),
    [
        ('{"a": 1', "tool_calls", "not valid JSON"),
        ("[1, 2]", "tool_calls", "JSON list"),
        ('"x"', "tool_calls", "JSON str"),
        ("", "length", "cut off before"),
        ('{"a": 1}}', "tool_calls", "not valid JSON"),
        ("[" * 5000, "length", "cut off"),
    ],
)
def test_arguments_that_are_not_one_json_object_are_invalid(arguments, finish, fragment):
    _, r = run([chunk({"tool_calls": [call(0, "c", "f", arguments)]}), chunk(finish=finish)])
    assert r.tool_calls == [] and fragment in r.invalid_tool_calls[0].error


def test_complete_calls_stay_callable_next_to_a_cut_one():
    _, r = run(
        [
            chunk({"tool_calls": [call(0, "c1", "get_weather", '{"city":"Paris"}')]}),
            chunk({"tool_calls": [call(1, "c2", "transfer", '{"amount":')]}),
            chunk(finish="length"),
        ]
    )
    assert [(c.name, c.parsed_arguments()) for c in r.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert [c.name for c in r.invalid_tool_calls] == ["transfer"]


def test_no_argument_call_is_callable_when_finished():
    _, r = run([chunk({"tool_calls": [call(0, "c1", "now", "")]}), chunk(finish="tool_calls")])
    assert [(c.name, c.arguments) for c in r.tool_calls] == [("now", "{}")]


def test_two_calls_sharing_a_wire_index_with_different_ids_stay_two():
    events, r = run(
        [
            chunk({"tool_calls": [call(0, "call_1", "get_weather", '{"city":')]}),
            chunk({"tool_calls": [call(0, arguments='"Paris"}')]}),
            chunk({"tool_calls": [call(0, "call_2", "get_time", '{"tz":"CET"}')]}),
            chunk(finish="tool_calls"),
        ]
    )
    assert [(c.id, c.name, c.arguments) for c in r.tool_calls] == [
        ("call_1", "get_weather", '{"city":"Paris"}'),
        ("call_2", "get_time", '{"tz":"CET"}'),
    ]
    # The events carry distinct indices too, so frameworks merging by index keep them apart.
    assert [e.index for e in events if isinstance(e, ToolCallDelta)] == [0, 0, 1]


def test_repeated_name_and_id_in_every_fragment_is_one_call():
    _, r = run(
        [
            chunk({"tool_calls": [call(0, "c1", "get_weather", '{"city":')]}),
            chunk({"tool_calls": [call(0, "c1", "get_weather", '"Oslo"}')]}),
            chunk(finish="tool_calls"),
        ]
    )
    assert [(c.name, c.arguments) for c in r.tool_calls] == [("get_weather", '{"city":"Oslo"}')]


# --- malformed chunks are a typed service error, never a KeyError -----------------------------


@pytest.mark.parametrize(
    "bad",
    [
        [1, 2],
        "text",
        None,
        {"choices": "x"},
        {"choices": [1]},
        {"choices": [{"index": 0, "delta": "x"}]},
        {"choices": [{"index": 0, "delta": {"content": 5}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": {"a": 1}}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [5]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": "x"}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": -1}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": 3}]}}]},
        {"choices": [{"index": 0, "delta": {"audio": {"data": "!!!not base64"}}}]},
        {"choices": [{"index": 0, "delta": {"audio": "x"}}]},
        {"choices": [{"index": 0, "finish_reason": 7}]},
        {"choices": [], "usage": {"prompt_tokens": "many"}},
        {"choices": [], "usage": [1]},
        {"id": 5, "choices": []},
    ],
)
def test_malformed_chunk_is_a_malformed_response_error(bad):
    from qwen_omni import MalformedResponseError, ServiceError

    decoder = StreamDecoder()
    if isinstance(bad, dict) and "id" not in bad:
        decoder.feed(chunk({"content": "ok"}))
    with pytest.raises(MalformedResponseError, match="malformed") as info:
        decoder.feed(bad)
    assert isinstance(info.value, ServiceError)  # retried before output, a service failure


def test_several_choices_are_never_interleaved():
    c0 = {"index": 0, "delta": {"content": "A"}, "finish_reason": None}
    c1 = {"index": 1, "delta": {"content": "B"}, "finish_reason": None}
    end0 = {"index": 0, "delta": {}, "finish_reason": "stop"}
    end1 = {"index": 1, "delta": {}, "finish_reason": "length"}
    _, r = run([{"choices": [c0, c1]}, {"choices": [c1, c0]}, {"choices": [end1, end0]}])
    assert r.text == "AA" and r.finish_reason == "stop"


@pytest.mark.parametrize(
    ("body", "cls_name"),
    [
        ({"error": {"code": "Arrearage", "message": "account in arrears"}}, "QuotaExceededError"),
        ({"error": {"code": "data_inspection_failed", "message": "bad input"}}, "BadRequestError"),
        ({"error": {"code": "Throttling.RateQuota", "message": "slow down"}}, "RateLimitError"),
        ({"error": {"code": "InternalError", "message": "oops"}}, "ServiceError"),
        ({"error": {"code": "InvalidApiKey", "message": "bad key"}}, "AuthenticationError"),
        ({"code": "Arrearage", "message": "arrears", "request_id": "r1"}, "QuotaExceededError"),
    ],
)  # fmt: skip
def test_error_chunk_maps_like_its_http_status(body, cls_name):
    import qwen_omni

    with pytest.raises(getattr(qwen_omni, cls_name)):
        StreamDecoder().feed(body if "error" in body else {"error": body})


# --- bounded SSE parsing (issue 12) ------------------------------------------------------------


def test_sse_parser_reads_every_line_ending_and_skips_comments_and_a_bom():
    from qwen_omni._sse import SSEParser

    p = SSEParser()
    raw = b'\xef\xbb\xbf: ping\r\ndata: {"a":\rdata: 1}\r\n\r\nevent: x\nid: 3\ndata: [DONE]\n\n'
    got = []
    for i in range(len(raw)):  # one byte at a time: every split point
        got += p.feed(raw[i : i + 1])
    assert got == ['{"a":\n1}'] and p.done


def test_sse_parser_caps_a_line_and_an_event():
    from qwen_omni import MalformedResponseError
    from qwen_omni._sse import SSEParser

    with pytest.raises(MalformedResponseError, match="line longer than 2,048"):
        SSEParser(2048).feed(b"data: " + b"a" * 3000)
    p = SSEParser(2048)
    with pytest.raises(MalformedResponseError, match="event longer than 2,048"):
        p.feed((b"data: " + b"a" * 500 + b"\n") * 10)


def test_stream_body_caps_a_whole_answer():
    from qwen_omni import MalformedResponseError
    from qwen_omni._sse import StreamBody

    body = StreamBody(max_event_bytes=4096, max_response_bytes=10_000)
    event = b'data: {"choices": []}\n\n'
    with pytest.raises(MalformedResponseError, match="more than 10,000 bytes"):
        body.feed(event * 1000)


def test_inflater_steps_through_a_bomb():
    import zlib

    from qwen_omni._sse import INFLATE_STEP, Inflater

    bomb = zlib.compress(b"\0" * (50 * 1024 * 1024))
    pieces = Inflater("deflate").feed(bomb)
    first = next(pieces)
    assert len(first) <= INFLATE_STEP  # nothing like 50 MB in one go
