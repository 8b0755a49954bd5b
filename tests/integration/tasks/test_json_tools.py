"""did_call_mention and caption_product_video: JSON mode, validation, repair, one retry."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field

from qwen_omni.tasks import (
    CaptionResult,
    InvalidModelOutput,
    MentionResult,
    ProductCaption,
    ToolRefusal,
)
from qwen_omni_emulator import Reply

pytestmark = pytest.mark.integration

GOOD = {
    "mentions": [
        {
            "topic": "pricing",
            "mentioned": True,
            "evidence": "the plan costs ten dollars",
            "time_s": 2.5,
            "confidence": 0.92,
        },
        {
            "topic": "refund",
            "mentioned": False,
            "evidence": None,
            "time_s": None,
            "confidence": 0.8,
        },
    ]
}


async def test_did_call_mention_one_request_for_all_topics(tasks, emu, media):
    emu.script(Reply.json(GOOD))
    result = await tasks.did_call_mention(str(media.call), ["Pricing", "refund"])
    assert isinstance(result, MentionResult)
    assert [m.topic for m in result.mentions] == ["Pricing", "refund"]  # caller's spelling
    pricing = result.mention("pricing")
    assert pricing.mentioned
    assert pricing.evidence == "the plan costs ten dollars"
    assert pricing.time_s == 2.5
    assert pricing.confidence == pytest.approx(0.92)
    assert not result.mention("refund").mentioned
    assert result.repaired is False
    assert result.sent.attempts == 1
    assert len(emu.requests) == 1
    body = emu.requests[0].body
    assert body["response_format"] == {"type": "json_object"}
    prompt = body["messages"][0]["content"][-1]["text"]
    assert "- Pricing" in prompt
    assert "- refund" in prompt
    assert "JSON" in prompt
    assert body["messages"][0]["content"][0]["type"] == "input_audio"
    assert "MENTIONED at ~0:02" in result.to_text() or "MENTIONED at ~0:03" in result.to_text()


async def test_sloppy_json_is_repaired_without_another_request(tasks, emu, media):
    sloppy = (
        "Here you go:\n```json\n{'mentions': [{'topic': 'pricing', 'mentioned': True, "
        "'evidence': 'ten dollars', 'time_s': '0:03', 'confidence': 0.9,}]}\n```"
    )
    emu.script(Reply.text(sloppy))
    result = await tasks.did_call_mention(str(media.call), ["pricing"])
    assert result.repaired is True
    assert result.mentions[0].time_s == 3.0
    assert len(emu.requests) == 1


async def test_invalid_answer_is_re_asked_once_with_the_errors(tasks, emu, media):
    missing_topic = {"mentions": [GOOD["mentions"][0]]}
    emu.script(Reply.json(missing_topic), Reply.json(GOOD))
    result = await tasks.did_call_mention(str(media.call), ["pricing", "refund"])
    assert result.repaired is True
    assert result.sent.attempts == 2
    assert len(emu.requests) == 2
    retry = emu.requests[1].body["messages"]
    assert [m["role"] for m in retry] == ["user", "assistant", "user"]
    assert retry[1]["content"] == json.dumps(missing_topic)
    assert "missing topics: ['refund']" in retry[2]["content"]
    # the usage of both requests is counted
    first, second = (r.usage for r in emu.requests)
    assert result.sent.usage.input_tokens == first["prompt_tokens"] + second["prompt_tokens"]


async def test_invalid_twice_is_an_error_then_a_refusal_for_agents(tasks, emu, media):
    emu.script(Reply.text("I think pricing came up."), Reply.text("Pricing: yes."))
    with pytest.raises(InvalidModelOutput) as info:
        await tasks.did_call_mention(str(media.call), ["pricing"])
    assert len(info.value.request_ids) == 2
    emu.script(Reply.text("nope"), Reply.json({"mentions": []}))
    refusal = await tasks.run_tool(
        "did_call_mention", {"source": "call.mp3", "topics": ["pricing"]}
    )
    assert isinstance(refusal, ToolRefusal)
    assert refusal.kind == "model_output"
    assert "missing topics" in refusal.message


async def test_json_mode_refused_by_the_service_falls_back_to_the_prompt(tasks, emu, media):
    emu.script(
        Reply.error(400, "response_format json_object is not supported for this model"),
        Reply.json(GOOD),
    )
    result = await tasks.did_call_mention(str(media.call), ["pricing", "refund"])
    assert result.mention("pricing").mentioned
    assert "response_format" in emu.requests[0].body
    assert "response_format" not in emu.requests[1].body
    emu.script(Reply.json(GOOD))
    await tasks.did_call_mention(str(media.call), ["pricing", "refund"])
    assert "response_format" not in emu.requests[2].body  # remembered per model


async def test_call_recording_may_be_a_video_with_sound_but_not_a_silent_one(tasks, emu):
    emu.script(Reply.json({"mentions": [GOOD["mentions"][1]]}))
    ok = await tasks.run_tool("did_call_mention", {"source": "clip.mp4", "topics": ["refund"]})
    assert isinstance(ok, MentionResult)
    silent = await tasks.run_tool(
        "did_call_mention", {"source": "silent.mp4", "topics": ["refund"]}
    )
    assert isinstance(silent, ToolRefusal)
    assert silent.reason == "wrong_modality"


CAPTION = {
    "scene_description": "A bottle on a table, then a runner drinking from it.",
    "product_features": ["insulated steel", "one-hand lid"],
    "target_audience": "runners",
    "music_style": "upbeat electronic",
}


async def test_caption_product_video(tasks, emu, media):
    emu.script(Reply.json(CAPTION))
    result = await tasks.caption_product_video(str(media.clip))
    assert isinstance(result, CaptionResult)
    assert isinstance(result.caption, ProductCaption)
    assert result.caption.product_features == ["insulated steel", "one-hand lid"]
    prompt = emu.requests[0].body["messages"][0]["content"][-1]["text"]
    for field in ("scene_description", "product_features", "target_audience", "music_style"):
        assert field in prompt
    assert "product_features: insulated steel; one-hand lid" in result.to_text()


class ShortCaption(BaseModel):
    headline: str = Field(max_length=40)
    hashtags: list[str]


async def test_caption_with_another_schema_and_a_retry(tasks, emu, media):
    emu.script(
        Reply.json({"headline": "x" * 80, "hashtags": ["#run"]}),
        Reply.json({"headline": "Run further", "hashtags": ["#run"]}),
    )
    result = await tasks.caption_product_video(str(media.clip), schema=ShortCaption)
    assert isinstance(result.caption, ShortCaption)
    assert result.caption.headline == "Run further"
    assert result.repaired
    assert result.sent.attempts == 2
    assert "headline" in emu.requests[1].body["messages"][2]["content"]


async def test_caption_tool_for_agents_returns_structured_content(tasks, emu):
    emu.script(Reply.json(CAPTION))
    result = await tasks.run_tool("caption_product_video", {"source": "clip.mp4"})
    assert isinstance(result, CaptionResult)
    dumped = result.model_dump(mode="json")
    assert dumped["caption"]["music_style"] == "upbeat electronic"
    assert dumped["sent"]["media"][0]["kind"] == "video"
