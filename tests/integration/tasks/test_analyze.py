"""analyze_video / analyze_image / analyze_audio against the emulator."""

from __future__ import annotations

import pytest

from qwen_omni.errors import MediaNotFoundError, MediaTooLongError, UnsupportedMediaError
from qwen_omni.tasks import AnalyzeResult, OmniTasks, Progress, ToolRefusal, to_text

pytestmark = pytest.mark.integration


async def test_analyze_video_local_file_reports_what_was_sent(tasks, emu, media):
    result = await tasks.analyze_video(str(media.clip), "What happens in this clip?")
    assert isinstance(result, AnalyzeResult)
    # the emulator describes what it perceived: the video really arrived
    assert "video: 3.00 s" in result.answer
    assert "What happens in this clip?" in result.answer
    sent = result.sent
    assert sent.model == "qwen3-omni-flash"
    [m] = sent.media
    assert (m.kind, m.origin, m.prepared) == ("video", "local", False)
    assert m.bytes == media.clip.stat().st_size
    assert (m.width, m.height) == (160, 90)
    assert m.duration_s == pytest.approx(3.0, abs=0.1)
    # our estimate uses the service's formula: it matches what the service counted
    assert sent.usage is not None
    counted = sent.usage.input_video_tokens + sent.usage.input_audio_tokens
    assert m.estimated_tokens == counted
    assert sent.cost_cny is not None
    assert sent.cost_cny > 0
    assert sent.price_region == "beijing"
    assert sent.request_id == emu.requests[-1].request_id
    body = emu.requests[-1].body
    assert body["stream"] is True
    parts = body["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["video_url", "text"]
    assert parts[0]["video_url"]["url"].startswith("data:")
    assert "qwen3-omni-flash" in to_text(result)


async def test_analyze_image_and_audio(tasks, media):
    image = await tasks.analyze_image(str(media.photo), "What colours?")
    assert "image" in image.answer
    assert image.sent.media[0].kind == "image"
    assert image.sent.media[0].estimated_tokens == image.sent.usage.input_image_tokens
    sound = await tasks.analyze_audio(str(media.call), "Is there speech?")
    assert "audio" in sound.answer
    assert sound.sent.media[0].estimated_tokens == sound.sent.usage.input_audio_tokens


async def test_progress_is_reported(tasks, media):
    events: list[Progress] = []

    async def on_progress(event: Progress) -> None:
        events.append(event)

    await tasks.analyze_audio(str(media.call), "Tone?", progress=on_progress)
    assert [e.stage for e in events] == ["prepare", "prepare", "request", "request"]
    # each message says what is happening now
    assert [e.message.split()[0] for e in events] == ["checking", "preparing", "asking", "answered"]
    assert events[-1].done == events[-1].total == 1


async def test_a_remote_url_is_passed_to_the_model_unchanged_for_direct_calls(tasks, emu, media):
    url = emu.host_media("https://cdn.example.com/media/clip.mp4?sig=1", media.clip.read_bytes())
    result = await tasks.analyze_video(url, "What is shown?")
    [m] = result.sent.media
    assert m.origin == "url"
    assert m.source == "https://cdn.example.com/media/clip.mp4"  # no signature in reports
    sent_part = emu.requests[-1].body["messages"][0]["content"][0]
    assert sent_part["video_url"]["url"] == url


async def test_wrong_modality_direct_and_agent(tasks, media):
    with pytest.raises(UnsupportedMediaError, match="needs an image"):
        await tasks.analyze_image(str(media.clip), "What is this?")
    refusal = await tasks.run_tool(
        "analyze_image", {"source": "clip.mp4", "question": "What is this?"}
    )
    assert isinstance(refusal, ToolRefusal)
    assert refusal.reason == "wrong_modality"
    fake = await tasks.run_tool("analyze_video", {"source": "fake.mp4", "question": "What?"})
    assert isinstance(fake, ToolRefusal)
    assert fake.reason == "wrong_modality"
    assert "not a readable" in fake.message


async def test_too_long_for_the_model_says_what_to_use(tasks, emu, media):
    requests_before = len(emu.requests)
    with pytest.raises(MediaTooLongError) as info:
        await tasks.analyze_video(str(media.long), "What happens?", model="qwen-omni-turbo")
    assert "summarize_long_video" in str(info.value)
    assert "qwen-omni-turbo" in str(info.value)
    assert len(emu.requests) == requests_before  # nothing was sent


async def test_missing_file_direct_call(tasks, media):
    with pytest.raises(MediaNotFoundError):
        await tasks.analyze_video(str(media.root / "nope.mp4"), "What?")


async def test_agent_relative_path_under_the_root(tasks):
    result = await tasks.run_tool("analyze_video", {"source": "clip.mp4", "question": "What?"})
    assert isinstance(result, AnalyzeResult)
    assert result.sent.media[0].source == "clip.mp4"


async def test_service_errors_become_refusals_for_agents(tasks, emu):
    from qwen_omni_emulator import Reply

    emu.script(Reply.error(429, retry_after=0))
    result = await tasks.run_tool("analyze_audio", {"source": "call.mp3", "question": "Tone?"})
    assert isinstance(result, ToolRefusal)
    assert result.kind == "service_busy"
    assert result.retryable


def test_sync_facade_shares_one_client(emu, media, policy):
    with OmniTasks(base_url=emu.base_url, api_key=emu.api_key, policy=policy) as tasks:
        first = tasks.analyze_audio(str(media.call), "Tone?")
        second = tasks.run_tool("analyze_audio", {"source": "call.mp3", "question": "Tone?"})
        assert isinstance(first, AnalyzeResult)
        assert isinstance(second, AnalyzeResult)
        assert tasks.aio.client._openai is not None  # created once, on the background loop


async def test_large_image_is_prepared_and_the_report_says_how(tasks, emu, tmp_path):
    from qwen_omni.media.synthetic import make_image

    big = make_image(tmp_path / "big.png", width=2400, height=1600)
    result = await tasks.analyze_image(str(big), "What is it?")
    [m] = result.sent.media
    assert m.prepared is True
    assert m.preparation  # each step, human-readable
    assert m.width * m.height <= 1280 * 720
    assert m.bytes < big.stat().st_size
    assert m.estimated_tokens == result.sent.usage.input_image_tokens
    assert "image" in result.answer


async def test_a_call_video_is_sent_as_its_sound_track(tasks, emu, media):
    from qwen_omni_emulator import Reply

    emu.script(Reply.json({"mentions": [{"topic": "x", "mentioned": False, "confidence": 1}]}))
    result = await tasks.did_call_mention(str(media.clip), ["x"])
    [m] = result.sent.media
    assert (m.kind, m.prepared) == ("audio", True)
    assert any("track" in step for step in m.preparation)
    part = emu.requests[-1].body["messages"][0]["content"][0]
    assert part["type"] == "input_audio"
    assert result.sent.usage.input_video_tokens == 0  # no picture paid for


async def test_preparation_can_be_turned_off(emu, media, policy, tmp_path):
    from qwen_omni.media.synthetic import make_image
    from qwen_omni.tasks import AsyncOmniTasks

    big = make_image(tmp_path / "big.png", width=2400, height=1600, content="graphic")
    async with AsyncOmniTasks(
        base_url=emu.base_url, api_key=emu.api_key, policy=policy, prepare=False
    ) as raw:
        result = await raw.analyze_image(str(big), "What is it?")
    [m] = result.sent.media
    assert m.prepared is False
    assert m.bytes == big.stat().st_size
