"""Fault injection: queued faults, the X-Emulator-Fault header, seeded rates, latency, bandwidth."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from qwen_omni.errors import RateLimitError, ServiceError, map_api_error
from qwen_omni_emulator import Emulator, Fault, FaultRates, Reply

from .conftest import MODEL, post_json, raw_stream, user

RATE_LIMIT_MESSAGE = (
    "You have exceeded your current request limit. For details, see: "
    "https://help.aliyun.com/zh/model-studio/error-code#rate-limit"
)


def _ask(client: openai.OpenAI, **kw) -> str:
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True, **kw
    )
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_queued_429_has_the_documented_body_and_retry_after(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.rate_limit(retry_after=2))
    qwen_omni_emulator.script(Reply.text("after the storm"))

    response = post_json(
        qwen_omni_emulator, {"model": MODEL, "stream": True, "messages": [user("x")]}
    )

    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    body = response.json()
    assert body["error"] == {
        "code": "limit_requests",
        "param": None,
        "message": RATE_LIMIT_MESSAGE,
        "type": "limit_requests",
    }
    assert body["request_id"] == response.headers["x-request-id"]
    # the fault replaced that request's reply; the script is still there
    assert qwen_omni_emulator.pending_replies == 1
    assert _ask(qwen_omni_emulator.client()) == "after the storm"
    assert qwen_omni_emulator.requests[0].fault == "429;retry_after=2"


def test_429_maps_to_rate_limit_error_with_retry_after(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.rate_limit(retry_after=3))
    with pytest.raises(openai.RateLimitError) as info:
        _ask(qwen_omni_emulator.client())
    error = map_api_error(info.value)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 3
    assert error.request_id == info.value.body.get("request_id") or error.request_id


def test_openai_retries_honour_the_fault_then_succeed(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.rate_limit(retry_after=0.01), times=2)
    qwen_omni_emulator.script(Reply.text("third time lucky"))
    assert _ask(qwen_omni_emulator.client(max_retries=3)) == "third time lucky"
    assert [r.status for r in qwen_omni_emulator.requests.chat()] == [429, 429, 200]


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [
        ("500", 500, "internal_error"),
        ("503", 503, "model_unavailable"),
        ("429;retry_after=1", 429, "limit_requests"),
    ],
)
def test_fault_header_status(qwen_omni_emulator, value, status, code):
    response = post_json(
        qwen_omni_emulator,
        {"model": MODEL, "stream": True, "messages": [user("x")]},
        headers={"X-Emulator-Fault": value},
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    if status == 500:
        assert response.json()["error"]["message"] == (
            "An internal error has occured, please try again later or contact service support."
        )
        error = map_api_error(
            openai.InternalServerError("x", response=response, body=response.json())
        )
        assert isinstance(error, ServiceError)


def test_bad_fault_header_is_a_400(qwen_omni_emulator):
    response = post_json(
        qwen_omni_emulator,
        {"model": MODEL, "stream": True, "messages": [user("x")]},
        headers={"X-Emulator-Fault": "explode"},
    )
    assert response.status_code == 400
    assert "unknown X-Emulator-Fault" in response.json()["error"]["message"]


def test_disconnect_before_any_byte(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.disconnect())
    with pytest.raises(openai.APIConnectionError):
        _ask(qwen_omni_emulator.client())
    # the server is fine afterwards
    assert _ask(qwen_omni_emulator.client()).startswith("I am the")


def test_drop_after_n_chunks_resets_the_connection(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.stream(["a", "b", "c", "d", "e"]))
    received = []
    stream = qwen_omni_emulator.client().chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "x"}],
        stream=True,
        extra_headers={"X-Emulator-Fault": "drop;after=3"},
    )
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        received.extend(chunk.choices[0].delta.content for chunk in stream)
    assert received == ["", "a", "b"]  # the role chunk, then two deltas


def test_drop_after_zero_chunks_sends_only_the_headers(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.drop(0))
    with httpx.Client(trust_env=False) as client:
        with client.stream(
            "POST",
            f"{qwen_omni_emulator.base_url}/chat/completions",
            json={"model": MODEL, "stream": True, "messages": [user("x")]},
            headers={"Authorization": f"Bearer {qwen_omni_emulator.api_key}"},
        ) as response:
            assert response.status_code == 200
            with pytest.raises(httpx.HTTPError):
                response.read()


def test_cut_ends_the_stream_cleanly_without_finish_reason(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.stream(["a", "b", "c"]))
    stream = raw_stream(
        qwen_omni_emulator,
        {"messages": [user("x")], "stream_options": {"include_usage": True}},
        headers={"X-Emulator-Fault": "cut;after=2"},
    )
    assert stream.status == 200
    assert [d["content"] for d in stream.deltas] == ["", "a"]
    assert all(c["choices"][0]["finish_reason"] is None for c in stream.choice_chunks)
    assert stream.usage is None
    assert "[DONE]" not in stream.events


def test_cut_never_reaches_the_finish_chunk_and_can_send_done(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.cut(after=100, done=True))
    qwen_omni_emulator.script(Reply.stream(["a", "b"]))
    stream = raw_stream(qwen_omni_emulator, {"messages": [user("x")]})
    assert [d["content"] for d in stream.deltas] == ["", "a", "b"]
    assert all(c["choices"][0]["finish_reason"] is None for c in stream.choice_chunks)
    assert stream.events[-1] == "[DONE]"


def test_slow_first_byte_trips_a_client_timeout(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.slow_first_byte(3.0))
    client = qwen_omni_emulator.client(timeout=0.3)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        _ask(client)
    assert time.monotonic() - started < 2.5  # the client gave up; the answer never came


def test_slow_first_byte_then_a_normal_answer(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("late"))
    started = time.monotonic()
    stream = raw_stream(
        qwen_omni_emulator,
        {"messages": [user("x")]},
        headers={"X-Emulator-Fault": "slow;seconds=0.3"},
    )
    assert stream.text == "late"
    assert time.monotonic() - started >= 0.3


def test_seeded_rates_are_deterministic(qwen_omni_emulator):
    def run() -> list[int]:
        qwen_omni_emulator.reset()
        qwen_omni_emulator.fault_rates = FaultRates(rate_limit=0.3, server_error=0.2, seed=42)
        return [
            post_json(
                qwen_omni_emulator, {"model": MODEL, "stream": True, "messages": [user("x")]}
            ).status_code
            for _ in range(20)
        ]

    first, second = run(), run()
    assert first == second
    assert {200, 429, 500} <= set(first)
    qwen_omni_emulator.fault_rates = None
    assert (
        post_json(
            qwen_omni_emulator, {"model": MODEL, "stream": True, "messages": [user("x")]}
        ).status_code
        == 200
    )


def test_fault_queued_for_uploads_only_hits_uploads(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.server_error(), endpoint="uploads")
    assert _ask(qwen_omni_emulator.client()).startswith("I am the")  # chat is untouched
    with httpx.Client(trust_env=False) as client:
        response = client.get(
            f"{qwen_omni_emulator.api_base_url}/uploads",
            params={"action": "getPolicy", "model": MODEL},
            headers={"Authorization": f"Bearer {qwen_omni_emulator.api_key}"},
        )
    assert response.status_code == 500


def test_reply_delay_and_chunk_delay(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("abcd", chunk_chars=1, delay=0.2, chunk_delay=0.05))
    started = time.monotonic()
    with httpx.Client(trust_env=False) as client:
        with client.stream(
            "POST",
            f"{qwen_omni_emulator.base_url}/chat/completions",
            json={"model": MODEL, "stream": True, "messages": [user("x")]},
            headers={"Authorization": f"Bearer {qwen_omni_emulator.api_key}"},
        ) as response:
            arrivals = [time.monotonic() - started for line in response.iter_lines() if line]
    assert len(arrivals) == 7  # role, 4 deltas, finish, [DONE]
    # lower bounds only (a loaded machine may read late, never early): 0.2 s before the first
    # byte, then 6 gaps of 50 ms between the 7 chunks
    assert arrivals[0] >= 0.2
    assert arrivals[-1] >= 0.2 + 6 * 0.05 - 0.01


def test_latency_and_bandwidth_cap():
    with Emulator(latency_s=0.15, bandwidth_bps=50_000) as emu:
        emu.script(Reply.text("x" * 10_000, chunk_chars=100))
        started = time.monotonic()
        stream = raw_stream(emu, {"messages": [user("x")]})
        elapsed = time.monotonic() - started
    assert len(stream.text) == 10_000
    size = sum(len(e) for e in stream.events)
    assert size > 20_000
    assert elapsed >= 0.15 + size / 50_000 * 0.8
