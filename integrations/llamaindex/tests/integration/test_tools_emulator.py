"""The tool spec end to end against the emulator, and a FunctionAgent that uses it."""

from __future__ import annotations

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCall, ToolCallResult

from qwen_omni.tasks import AccessPolicy
from qwen_omni_emulator import Reply

pytestmark = pytest.mark.filterwarnings(
    # llama-index-workflows inspects pydantic members of the agent (not our code).
    "ignore::pydantic.warnings.PydanticDeprecatedSince20",
    "ignore::pydantic.warnings.PydanticDeprecatedSince211",
)


@pytest.fixture
def media_root(media, tmp_path, colour_video):
    root = tmp_path / "media"
    root.mkdir()
    for path in media.values():
        (root / path.name).write_bytes(path.read_bytes())
    colour_video(root / "red.mp4", ["red"], seconds_each=2)
    return root


@pytest.fixture
def spec(qwen_omni_emulator, media_root):
    from llama_index.tools.qwen_omni import QwenOmniToolSpec

    spec = QwenOmniToolSpec(
        policy=AccessPolicy(roots=[media_root]),
        base_url=qwen_omni_emulator.base_url,
        api_key=qwen_omni_emulator.api_key,
    )
    yield spec
    spec.close()


@pytest.mark.parametrize(
    ("tool", "kwargs", "perceived"),
    [
        ("analyze_video", {"source": "clip.mp4", "question": "what?"}, "video: 3.00 s mp4"),
        ("analyze_image", {"source": "picture.png", "question": "what?"}, "image: 64x48 png"),
        ("analyze_audio", {"source": "tone.wav", "question": "what?"}, "audio: 2.00 s wav"),
        ("transcribe", {"source": "tone.wav"}, "audio: 2.00 s wav"),
    ],
)
async def test_tools_sync_and_async(spec, qwen_omni_emulator, tool, kwargs, perceived):
    sync_text = getattr(spec, tool)(**kwargs)
    async_text = await getattr(spec, f"a{tool}")(**kwargs)
    for text in (sync_text, async_text):
        assert perceived in text
    assert len(qwen_omni_emulator.requests.chat()) == 2


def test_did_call_mention(spec, qwen_omni_emulator):
    qwen_omni_emulator.script(
        Reply.json(
            {
                "mentions": [
                    {"topic": "pricing", "mentioned": True, "evidence": "it costs ten",
                     "time_s": 1.0, "confidence": 0.9},
                    {"topic": "a refund", "mentioned": False, "confidence": 0.8},
                ]
            }
        )
    )  # fmt: skip
    text = spec.did_call_mention("tone.wav", ["pricing", "a refund"])
    assert "pricing: MENTIONED at ~0:01" in text
    assert "a refund: not mentioned" in text
    assert qwen_omni_emulator.requests.chat()[-1].perceived[0]["kind"] == "audio"


async def test_caption_product_video(spec, qwen_omni_emulator):
    caption = {
        "scene_description": "A gradient with a moving box.",
        "product_features": ["moves", "colourful"],
        "target_audience": "testers",
        "music_style": "a steady tone",
    }
    qwen_omni_emulator.script(Reply.json(caption))
    text = await spec.acaption_product_video("clip.mp4")
    assert text.splitlines() == [
        "scene_description: A gradient with a moving box.",
        "product_features: moves; colourful",
        "target_audience: testers",
        "music_style: a steady tone",
    ]
    assert qwen_omni_emulator.requests.chat()[-1].perceived[0]["kind"] == "video"


def test_summarize_long_video_splits(spec, qwen_omni_emulator):
    text = spec.summarize_long_video("clip.mp4", focus="the box")
    assert "video: 3.00 s mp4" in text


def test_tools_in_the_list_call_through(spec):
    tools = {t.metadata.name: t for t in spec.to_tool_list()}
    out = tools["analyze_image"].call(source="picture.png", question="what?")
    assert "image: 64x48 png" in out.content
    assert not out.is_error


async def test_function_agent_answers_about_a_video_with_analyze_video(
    spec, qwen_omni_emulator, colour_vision
):
    from llama_index.llms.qwen_omni import QwenOmni

    llm = QwenOmni(base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key)
    agent = FunctionAgent(llm=llm, tools=spec.to_tool_list())
    handler = agent.run("What colour fills the video 'red.mp4'?")
    calls, results = [], []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            results.append(event)
        elif isinstance(event, ToolCall):
            calls.append(event)
    answer = str(await handler)

    assert [c.tool_name for c in calls] == ["analyze_video"]
    assert calls[0].tool_kwargs["source"] == "red.mp4"
    # The tool really watched the file: the emulator decoded the frames and saw red.
    assert "solid red colour" in results[0].tool_output.content
    assert "red" in answer
    roles = [[m["role"] for m in r.body["messages"]] for r in qwen_omni_emulator.requests.chat()]
    assert roles == [["user"], ["user"], ["user", "assistant", "tool"]]
