"""transcribe: Qwen-Omni by default, a chat ASR model or Paraformer when configured."""

from __future__ import annotations

import json

import pytest

from qwen_omni.tasks import (
    AccessPolicy,
    AsyncOmniTasks,
    ChatAsrTranscriber,
    OmniTranscriber,
    ParaformerTranscriber,
    ToolRefusal,
    TranscriptResult,
    transcriber_for,
)
from qwen_omni_emulator import Reply

pytestmark = pytest.mark.integration


def test_routing_by_model_name():
    assert isinstance(transcriber_for(None), OmniTranscriber)
    assert isinstance(transcriber_for("paraformer-v2"), ParaformerTranscriber)
    assert isinstance(transcriber_for("fun-asr"), ParaformerTranscriber)
    assert isinstance(transcriber_for("qwen3-asr-flash"), ChatAsrTranscriber)


async def test_default_is_omni_with_a_verbatim_prompt(tasks, emu, media):
    emu.script(Reply.text("hello and welcome to the call"))
    result = await tasks.transcribe(str(media.call), language="en")
    assert isinstance(result, TranscriptResult)
    assert (result.engine, result.model, result.text) == (
        "omni",
        "qwen3-omni-flash",
        "hello and welcome to the call",
    )
    prompt = emu.requests[0].body["messages"][0]["content"][-1]["text"]
    assert "verbatim" in prompt
    assert "'en'" in prompt
    assert result.sent.cost_cny is not None


async def test_chat_asr_model_gets_the_audio_alone(emu, media, policy):
    async with AsyncOmniTasks(
        base_url=emu.base_url, api_key=emu.api_key, policy=policy, asr_model="qwen3-asr-flash"
    ) as tasks:
        emu.script(Reply.text("hello"))
        result = await tasks.run_tool("transcribe", {"source": "call.mp3", "language": "zh"})
    assert isinstance(result, TranscriptResult)
    assert (result.engine, result.model) == ("asr", "qwen3-asr-flash")
    body = emu.requests[0].body
    assert body["model"] == "qwen3-asr-flash"
    assert [p["type"] for p in body["messages"][0]["content"]] == ["input_audio"]
    assert body["asr_options"] == {"language": "zh"}


async def test_paraformer_submit_poll_and_fetch(emu, media, origin):
    audio_url = origin.serve("/call.mp3", media.call.read_bytes())
    origin.serve(
        "POST /api/v1/services/audio/asr/transcription",
        json.dumps(
            {"output": {"task_id": "t-1", "task_status": "PENDING"}, "request_id": "r1"}
        ).encode(),
    )
    origin.serve(
        "/api/v1/tasks/t-1",
        json.dumps(
            {
                "output": {
                    "task_id": "t-1",
                    "task_status": "SUCCEEDED",
                    "results": [
                        {
                            "file_url": audio_url,
                            "transcription_url": origin.url("/result.json"),
                            "subtask_status": "SUCCEEDED",
                        }
                    ],
                }
            }
        ).encode(),
    )
    origin.serve(
        "/result.json",
        json.dumps(
            {
                "transcripts": [
                    {
                        "channel_id": 0,
                        "text": "Hello. Pricing is ten dollars.",
                        "sentences": [
                            {"begin_time": 0, "end_time": 1200, "text": "Hello."},
                            {
                                "begin_time": 1300,
                                "end_time": 3900,
                                "text": "Pricing is ten dollars.",
                            },
                        ],
                    }
                ]
            }
        ).encode(),
    )
    policy = AccessPolicy(allow_private_hosts=("127.0.0.1",))
    transcriber = ParaformerTranscriber(
        "paraformer-v2", api_base_url=origin.url("/api/v1"), poll_interval_s=0.01
    )
    async with AsyncOmniTasks(
        base_url=emu.base_url, api_key=emu.api_key, policy=policy, transcriber=transcriber
    ) as tasks:
        result = await tasks.run_tool("transcribe", {"source": audio_url, "language": "en"})
    assert isinstance(result, TranscriptResult), result
    assert result.engine == "paraformer"
    assert result.text == "Hello. Pricing is ten dollars."
    assert [(s.start_s, s.end_s) for s in result.segments] == [(0.0, 1.2), (1.3, 3.9)]
    [(_path, headers, raw)] = origin.posts
    body = json.loads(raw)
    assert body == {
        "model": "paraformer-v2",
        "input": {"file_urls": [audio_url]},
        "parameters": {"language_hints": ["en"]},
    }
    assert headers["X-DashScope-Async"] == "enable"
    assert headers["Authorization"] == f"Bearer {emu.api_key}"
    assert not emu.requests  # no chat request at all


async def test_paraformer_task_failure_is_reported(emu, media, origin):
    audio_url = origin.serve("/call.mp3", media.call.read_bytes())
    origin.serve(
        "POST /api/v1/services/audio/asr/transcription",
        b'{"output": {"task_id": "t-2", "task_status": "PENDING"}}',
    )
    origin.serve(
        "/api/v1/tasks/t-2",
        b'{"output": {"task_id": "t-2", "task_status": "FAILED", "code": "InvalidFile",'
        b' "message": "The audio format is illegal"}}',
    )
    transcriber = ParaformerTranscriber(api_base_url=origin.url("/api/v1"), poll_interval_s=0.01)
    async with AsyncOmniTasks(
        base_url=emu.base_url,
        api_key=emu.api_key,
        policy=AccessPolicy(allow_private_hosts=("127.0.0.1",)),
        transcriber=transcriber,
    ) as tasks:
        result = await tasks.run_tool("transcribe", {"source": audio_url})
    assert isinstance(result, ToolRefusal)
    assert "The audio format is illegal" in result.message


async def test_paraformer_refuses_inline_delivery_for_local_files(emu, media, policy):
    transcriber = ParaformerTranscriber(api_base_url="http://127.0.0.1:9/api/v1")
    async with AsyncOmniTasks(
        base_url=emu.base_url,
        api_key=emu.api_key,
        policy=policy,
        transcriber=transcriber,
        delivery="inline",
    ) as tasks:
        from qwen_omni.errors import ConfigurationError

        with pytest.raises(ConfigurationError, match="only by URL"):
            await tasks.transcribe(str(media.call))
