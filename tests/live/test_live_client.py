"""Against the real DashScope service (skipped without DASHSCOPE_API_KEY; see conftest.py).

Costs a few thousand tokens of qwen3-omni-flash per run. QWEN_OMNI_REGION picks the endpoint.
"""

import pytest

from qwen_omni import (
    AsyncOmniClient,
    MediaFetchError,
    MediaNotFetchableError,
    OmniClient,
    TextDelta,
    image,
    video,
)


@pytest.fixture(scope="module")
def sample_clip(tmp_path_factory):
    from qwen_omni.media.synthetic import make_video

    return make_video(tmp_path_factory.mktemp("live") / "clip.mp4", seconds=3, width=320,
                      height=240, fps=12)


def test_text_answer_streams_with_usage():
    with OmniClient() as client:
        stream = client.stream("Reply with the single word: pong", max_tokens=10)
        deltas = [e for e in stream if isinstance(e, TextDelta)]
        r = stream.response
    assert deltas and "pong" in r.text.lower()
    assert r.finish_reason in ("stop", "length") and r.usage and r.usage.output_tokens > 0
    assert r.request_id


def test_inline_video_reaches_the_model(sample_clip):
    with OmniClient() as client:
        r = client.complete([video(sample_clip), "How many seconds long is this clip, roughly?"])
    assert r.usage.input_video_tokens > 0 and r.text


def test_spoken_reply_is_valid_wav(tmp_path):
    with OmniClient() as client:
        r = client.complete("Say: hello", modalities=["text", "audio"], voice="Cherry")
    assert r.audio_seconds > 0.2 and r.save_audio(tmp_path / "a.wav").stat().st_size > 1000


async def test_async_client():
    async with AsyncOmniClient() as client:
        r = await client.complete("Reply with the single word: pong", max_tokens=10)
    assert "pong" in r.text.lower()


def test_unfetchable_url_is_a_media_error():
    with OmniClient() as client, pytest.raises((MediaFetchError, MediaNotFetchableError)):
        client.complete([image("https://example.invalid/nope.png"), "What is this?"])
