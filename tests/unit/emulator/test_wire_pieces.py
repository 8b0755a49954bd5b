"""Pure pieces of the emulator: SSE encoding, error bodies, replies, faults, the log's masking."""

from __future__ import annotations

import json

import pytest

from qwen_omni_emulator.bodies import MSG, compat_error_body, status_error
from qwen_omni_emulator.faults import Fault, FaultRates, FaultSyntaxError, parse_fault_header
from qwen_omni_emulator.log import RecordedRequest, RequestLog, mask_headers, mask_secret
from qwen_omni_emulator.replies import Reply, ToolCall
from qwen_omni_emulator.sse import DONE, ChunkEncoder


def _decode(event: bytes) -> dict:
    assert event.startswith(b"data: ")
    assert event.endswith(b"\n\n")
    return json.loads(event[6:-2])


def test_choice_chunk_has_the_documented_shape():
    enc = ChunkEncoder(model="qwen3-omni-flash", completion_id="chatcmpl-1", created=7)
    chunk = _decode(enc.content("我"))
    assert chunk == {
        "choices": [
            {"delta": {"content": "我"}, "finish_reason": None, "index": 0, "logprobs": None}
        ],
        "object": "chat.completion.chunk",
        "usage": None,
        "created": 7,
        "system_fingerprint": None,
        "model": "qwen3-omni-flash",
        "id": "chatcmpl-1",
    }
    assert "我".encode() in enc.content("我")  # not \\u-escaped, as the service sends it


def test_finish_and_usage_chunks():
    enc = ChunkEncoder(model="m", completion_id="chatcmpl-1", created=7)
    finish = _decode(enc.delta({"content": ""}, finish_reason="stop"))
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert finish["choices"][0]["delta"] == {"content": ""}
    usage = _decode(enc.usage({"total_tokens": 3}))
    assert usage["choices"] == []
    assert usage["usage"] == {"total_tokens": 3}
    assert usage["id"] == "chatcmpl-1"
    assert usage["model"] == "m"
    assert DONE == b"data: [DONE]\n\n"


def test_compat_error_body_shape():
    body = compat_error_body(MSG.STREAM_ONLY, request_id="r-1")
    assert body == {
        "error": {
            "code": "invalid_parameter_error",
            "param": None,
            "message": MSG.STREAM_ONLY,
            "type": "invalid_request_error",
        },
        "id": "chatcmpl-r-1",
        "request_id": "r-1",
    }
    assert MSG.STREAM_ONLY.endswith("the model. ")


@pytest.mark.parametrize(
    ("status", "code", "type_"),
    [
        (429, "limit_requests", "limit_requests"),
        (500, "internal_error", "internal_error"),
        (503, "model_unavailable", "model_unavailable"),
        (401, "invalid_api_key", "invalid_request_error"),
        (502, "internal_error", "internal_error"),
    ],
)
def test_status_errors(status, code, type_):
    err = status_error(status, request_id="r", retry_after=2 if status == 429 else None)
    assert err.status == status
    assert err.body["error"]["code"] == code
    assert err.body["error"]["type"] == type_
    assert err.body["request_id"] == "r"
    assert "id" not in err.body
    assert err.headers == ({"retry-after": "2"} if status == 429 else {})


def test_voice_message_lists_the_voices_like_the_docs():
    assert MSG.voice(("Cherry", "Serena", "Ethan", "Chelsie")) == (
        "Input should be 'Cherry', 'Serena', 'Ethan' or 'Chelsie': parameters.audio.voice"
    )
    assert MSG.voice(("Ethan",)) == "Input should be 'Ethan': parameters.audio.voice"


def test_reply_defaults_are_data_not_builders():
    # a field named like a classmethod would take the method as its default
    reply = Reply()
    assert reply.tool_calls == ()
    assert reply.failure is None
    assert reply.content == ""
    assert Reply.text("hi").failure is None


def test_reply_builders():
    assert Reply.text("abcdef", chunk_chars=4).content_deltas() == ["abcd", "ef"]
    assert Reply.stream(["a", "", "b"]).content_deltas() == ["a", "", "b"]
    assert Reply.json({"k": "值"}).content == '{"k": "值"}'
    call = Reply.tool_call("f", {"x": 1}, id="call_1")
    assert call.tool_calls == (ToolCall("f", '{"x": 1}', "call_1"),)
    assert call.final_finish_reason() == "tool_calls"
    assert Reply.text("x").final_finish_reason() == "stop"
    failure = Reply.error(429, retry_after=1).failure
    assert failure is not None
    assert failure.status == 429
    assert failure.retry_after == 1
    pair = Reply.parallel_tool_calls(("a", {}), ToolCall.of("b", "{}"))
    assert [c.name for c in pair.tool_calls] == ["a", "b"]
    assert ToolCall.of("f").id.startswith("call_")


@pytest.mark.parametrize(
    ("value", "fault"),
    [
        ("429", Fault.http(429)),
        ("429; retry_after=2.5", Fault.http(429, retry_after=2.5)),
        ("500", Fault.server_error()),
        ("disconnect", Fault.disconnect()),
        ("drop;after=3", Fault.drop(3)),
        ("drop", Fault.drop(0)),
        ("cut;after=5;done=1", Fault.cut(5, done=True)),
        ("CUT", Fault.cut(1)),
        ("slow;seconds=1.5", Fault.slow_first_byte(1.5)),
    ],
)
def test_fault_header_parsing(value, fault):
    parsed = parse_fault_header(value)
    assert parsed == fault
    assert parse_fault_header(parsed.header_value()) == parsed


@pytest.mark.parametrize(
    "value", ["", "boom", "200", "drop;after", "drop;after=x", "slow;seconds=a"]
)
def test_bad_fault_headers(value):
    with pytest.raises(FaultSyntaxError):
        parse_fault_header(value)


def test_fault_rates_are_seeded_and_proportional():
    def draws(seed: int) -> list[str | None]:
        rates = FaultRates(rate_limit=0.2, drop=0.1, seed=seed)
        return [f.kind if f else None for f in (rates.draw() for _ in range(2000))]

    first = draws(1)
    assert first == draws(1)
    assert first != draws(2)
    assert 300 < first.count("status") < 500  # ~20 %
    assert 120 < first.count("drop") < 280  # ~10 %


def test_fault_rates_must_be_probabilities():
    with pytest.raises(ValueError):
        FaultRates(rate_limit=0.7, server_error=0.5)
    with pytest.raises(ValueError):
        FaultRates(cut=-0.1)


def test_secrets_are_masked():
    assert mask_secret("Bearer sk-abc123") == "Bearer ***(9 chars)"
    assert mask_secret("sk-abc") == "***(6 chars)"
    masked = mask_headers({"authorization": "Bearer sk-1", "x-api-key": "k", "accept": "*/*"})
    assert masked == {
        "authorization": "Bearer ***(4 chars)",
        "x-api-key": "***(1 chars)",
        "accept": "*/*",
    }


def test_request_log_is_bounded_and_filters_chat():
    log = RequestLog(maxlen=2)
    for path in ("/a", "/compatible-mode/v1/chat/completions", "/b"):
        log.add(RecordedRequest("id", "GET", path, "", {}))
    assert [r.path for r in log] == ["/compatible-mode/v1/chat/completions", "/b"]
    assert len(log.chat()) == 1
    assert log.last.path == "/b"
    assert log[0].path.endswith("completions")
    record = log.last
    record.finish()
    first = record.elapsed_s
    record.finish()
    assert record.elapsed_s == first is not None
