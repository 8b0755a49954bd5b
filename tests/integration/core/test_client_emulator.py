"""OmniClient / AsyncOmniClient over real loopback sockets against the emulator."""

import asyncio
import io
import wave

import pytest

from qwen_omni import (
    APITimeoutError,
    AsyncOmniClient,
    AuthenticationError,
    BadRequestError,
    OmniClient,
    RateLimitError,
    ServiceError,
    StreamInterrupted,
    TextDelta,
    Timeouts,
    ToolCallDelta,
    audio,
    video,
)
from qwen_omni_emulator import Fault, Reply

pytestmark = pytest.mark.integration


@pytest.fixture
def client(qwen_omni_emulator):
    with OmniClient(**qwen_omni_emulator.connection, max_retries=2) as c:
        yield c


def test_complete_always_streams_with_usage(qwen_omni_emulator, client):
    qwen_omni_emulator.script(Reply.text("Hello from the emulator"))
    # stream=False from the caller must not turn streaming off: the service only streams.
    r = client.complete("Say hello", stream=False)
    assert r.text == "Hello from the emulator" and r.finish_reason == "stop"
    assert r.usage is not None and r.usage.input_tokens > 0 and r.request_id
    body = qwen_omni_emulator.requests.last.body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_stream_yields_deltas_in_order(qwen_omni_emulator, client):
    qwen_omni_emulator.script(Reply.stream(["a", "b", "c"]))
    with client.stream("x") as s:
        texts = [e.text for e in s if isinstance(e, TextDelta)]
    assert texts == ["a", "b", "c"] and s.response.text == "abc"


def test_spoken_reply_is_a_valid_wav(qwen_omni_emulator, client):
    qwen_omni_emulator.script(Reply.text("Hello there"))
    r = client.complete("Say hello", modalities=["text", "audio"], voice="Cherry")
    assert r.text == "Hello there" and r.audio_seconds > 0.1
    with wave.open(io.BytesIO(r.audio_wav)) as w:
        assert w.getframerate() == 24000 and w.getnframes() * 2 == len(r.audio_pcm)
    assert qwen_omni_emulator.requests.last.body["audio"] == {"voice": "Cherry", "format": "wav"}


def test_tool_calls_round_trip(qwen_omni_emulator, client):
    qwen_omni_emulator.script(Reply.tool_call("get_weather", {"city": "Paris"}))
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    with client.stream("Weather in Paris?", tools=tools) as s:
        fragments = [e for e in s if isinstance(e, ToolCallDelta)]
    r = s.response
    assert fragments and r.finish_reason == "tool_calls"
    assert r.tool_calls[0].name == "get_weather"
    assert r.tool_calls[0].parsed_arguments() == {"city": "Paris"}


def test_local_video_is_delivered_inline_and_perceived(qwen_omni_emulator, client, tmp_path):
    from qwen_omni.media.synthetic import make_video

    clip = make_video(tmp_path / "clip.mp4", seconds=2, width=320, height=240, fps=10)
    r = client.complete([video(clip), "What is in this clip?"])
    record = qwen_omni_emulator.requests.last
    part = record.body["messages"][0]["content"][0]
    assert part["type"] == "video_url" and part["video_url"]["url"].startswith("data:;base64,")
    perceived = record.perceived[0]
    assert perceived["modality"] == "video" and perceived["width"] == 320
    assert perceived["duration_s"] == pytest.approx(2.0, abs=0.2)
    assert r.usage.input_video_tokens > 0


def test_local_audio_gets_a_format(qwen_omni_emulator, client, tmp_path):
    from qwen_omni.media.synthetic import make_audio

    clip = make_audio(tmp_path / "a.wav", seconds=1.5)
    client.complete([audio(clip), "Transcribe"])
    part = qwen_omni_emulator.requests.last.body["messages"][0]["content"][0]
    assert part["input_audio"]["format"] == "wav"
    assert part["input_audio"]["data"].startswith("data:;base64,")


def test_rate_limit_is_retried_honouring_retry_after(qwen_omni_emulator, client):
    qwen_omni_emulator.fail_next(Fault.rate_limit(retry_after=0.2))
    qwen_omni_emulator.script(Reply.text("after the wait"))
    r = client.complete("x")
    assert r.text == "after the wait"
    statuses = [rec.status for rec in qwen_omni_emulator.requests.chat()]
    assert statuses == [429, 200]


def test_retries_are_bounded(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.server_error(500), times=5)
    with OmniClient(**qwen_omni_emulator.connection, max_retries=2) as c:
        with pytest.raises(ServiceError) as info:
            c.complete("x")
    assert info.value.status_code == 500
    assert len(qwen_omni_emulator.requests.chat()) == 3  # first try + 2 retries


def test_bad_request_is_not_retried(qwen_omni_emulator, client):
    qwen_omni_emulator.script(Reply.error(400, message="bad thing"))
    with pytest.raises(BadRequestError, match="bad thing"):
        client.complete("x")
    assert len(qwen_omni_emulator.requests.chat()) == 1


def test_drop_before_output_is_retried(qwen_omni_emulator, client):
    qwen_omni_emulator.fail_next(Fault.drop(after=0))
    # A drop streams (part of) the next scripted reply before resetting the connection.
    qwen_omni_emulator.script(Reply.text("lost"), Reply.text("second try"))
    assert client.complete("x").text == "second try"


def test_drop_after_output_raises_interrupted_with_partial(qwen_omni_emulator, client):
    qwen_omni_emulator.fail_next(Fault.drop(after=3))
    qwen_omni_emulator.script(Reply.stream(["one ", "two ", "three ", "four"]))
    with pytest.raises(StreamInterrupted) as info:
        client.complete("x")
    assert info.value.partial is not None
    assert info.value.partial.text and "four" not in info.value.partial.text
    assert len(qwen_omni_emulator.requests.chat()) == 1  # output had reached us: no retry


def test_stream_without_finish_reason_is_never_a_short_answer(qwen_omni_emulator, client):
    qwen_omni_emulator.fail_next(Fault.cut(after=3, done=True))
    qwen_omni_emulator.script(Reply.stream(["one ", "two ", "three ", "four"]))
    with pytest.raises(StreamInterrupted, match="finish reason"):
        client.complete("x")


def test_slow_first_byte_times_out(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.slow_first_byte(3.0))
    with OmniClient(**qwen_omni_emulator.connection, max_retries=0,
                    timeout=Timeouts(connect=2, first_byte=0.5, total=10)) as c:
        with pytest.raises(APITimeoutError):
            c.complete("x")


def test_wrong_key_is_an_authentication_error(qwen_omni_emulator):
    with OmniClient(base_url=qwen_omni_emulator.base_url, api_key="sk-wrong-key") as c:
        with pytest.raises(AuthenticationError) as info:
            c.complete("x")
    assert "sk-wrong-key" not in str(info.value)


def test_rate_limit_exhausted_keeps_status_and_request_id(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.rate_limit(retry_after=0), times=3)
    with OmniClient(**qwen_omni_emulator.connection, max_retries=1) as c:
        with pytest.raises(RateLimitError) as info:
            c.complete("x")
    assert info.value.status_code == 429 and info.value.request_id


async def test_async_stream_and_concurrency_limit(qwen_omni_emulator):
    qwen_omni_emulator.script(*[Reply.text(f"answer {i}", delay=0.15) for i in range(8)])
    peak = 0
    async with AsyncOmniClient(**qwen_omni_emulator.connection,
                               max_concurrency=3) as client:

        async def one(i):
            nonlocal peak
            async with client.stream(f"q{i}") as s:
                async for _ in s:
                    peak = max(peak, client.in_flight)
            return s.response.text

        texts = await asyncio.gather(*(one(i) for i in range(8)))
    assert sorted(texts) == sorted(f"answer {i}" for i in range(8))
    assert 1 <= peak <= 3


async def test_async_interruption_carries_partial(qwen_omni_emulator):
    qwen_omni_emulator.fail_next(Fault.drop(after=2))
    qwen_omni_emulator.script(Reply.stream(["alpha ", "beta ", "gamma"]))
    async with AsyncOmniClient(**qwen_omni_emulator.connection) as client:
        with pytest.raises(StreamInterrupted) as info:
            await client.complete("x")
    assert info.value.partial.text.startswith("alpha")
