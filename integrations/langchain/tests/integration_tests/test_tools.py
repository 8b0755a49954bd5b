"""The tools against the emulator: LangChain's tool suite, every task, refusals, agents."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_tests.integration_tests import ToolsIntegrationTests

from langchain_qwen_omni import AnalyzeVideoTool, ChatQwenOmni, QwenOmniToolkit
from qwen_omni.tasks import AnalyzeResult, MentionResult, TranscriptResult
from qwen_omni_emulator import Reply


@functools.cache
def _media_dir() -> Path:
    from qwen_omni.media.synthetic import make_video

    root = Path(tempfile.mkdtemp(prefix="lc-tools-"))
    make_video(root / "clip.mp4", seconds=3, width=160, height=120, fps=10)
    return root


class TestAnalyzeVideoToolEmulator(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[AnalyzeVideoTool]:
        return AnalyzeVideoTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        # base_url and api_key come from the environment (conftest): the emulator.
        return {"media_roots": [str(_media_dir())]}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"source": "clip.mp4", "question": "What happens in this clip?"}


@pytest.fixture
def toolkit(media: dict[str, Path]) -> Any:
    toolkit = QwenOmniToolkit(media_roots=[str(media["video"].parent)])
    yield toolkit
    toolkit.close()


def _tools(toolkit: QwenOmniToolkit) -> dict[str, Any]:
    return {t.name: t for t in toolkit.get_tools()}


def _call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_call", "id": f"call_{name}", "name": name, "args": args}


def test_analyze_video_reads_the_allowed_file(
    qwen_omni_emulator: Any, toolkit: QwenOmniToolkit, media: dict[str, Path]
) -> None:
    message = _tools(toolkit)["analyze_video"].invoke(
        _call("analyze_video", {"source": str(media["video"]), "question": "What happens?"})
    )
    assert isinstance(message, ToolMessage)
    assert message.status == "success"
    result = message.artifact
    assert isinstance(result, AnalyzeResult)
    (seen,) = qwen_omni_emulator.requests.chat()[-1].perceived
    assert seen["modality"] == "video"
    assert result.sent.usage is not None
    assert result.sent.usage.input_video_tokens == seen["tokens"] > 0
    assert "video: 3.0" in message.content


async def test_async_tools_run_on_the_callers_loop(
    qwen_omni_emulator: Any, toolkit: QwenOmniToolkit, media: dict[str, Path]
) -> None:
    tools = _tools(toolkit)
    audio = await tools["transcribe"].ainvoke(_call("transcribe", {"source": str(media["audio"])}))
    assert isinstance(audio.artifact, TranscriptResult)
    # The emulator's unscripted JSON does not follow a schema given in the prompt: script it.
    qwen_omni_emulator.script(
        Reply.json(
            {
                "mentions": [
                    {
                        "topic": "pricing",
                        "mentioned": True,
                        "evidence": "it costs ten",
                        "time_s": 1.5,
                        "confidence": 0.9,
                    }
                ]
            }
        )
    )
    mention = await tools["did_call_mention"].ainvoke(
        _call("did_call_mention", {"source": str(media["audio"]), "topics": ["pricing"]})
    )
    assert mention.status == "success"
    assert isinstance(mention.artifact, MentionResult)
    (entry,) = mention.artifact.mentions
    assert (entry.topic, entry.mentioned, entry.time_s) == ("pricing", True, 1.5)
    assert "it costs ten" in mention.content


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("/etc/passwd", "outside the allowed media directories"),
        ("http://127.0.0.1:8080/x.mp4", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ],
)
def test_unsafe_sources_are_refused_as_tool_messages(
    qwen_omni_emulator: Any, toolkit: QwenOmniToolkit, source: str, reason: str
) -> None:
    message = _tools(toolkit)["analyze_video"].invoke(
        _call("analyze_video", {"source": source, "question": "?"})
    )
    assert message.status == "error"
    assert message.content.startswith("Tool refused (access_denied)")
    assert reason in message.content
    assert qwen_omni_emulator.requests.chat() == []  # nothing reached the model


def test_wrong_modality_is_refused(
    qwen_omni_emulator: Any, toolkit: QwenOmniToolkit, media: dict[str, Path]
) -> None:
    message = _tools(toolkit)["analyze_image"].invoke(
        _call("analyze_image", {"source": str(media["audio"]), "question": "?"})
    )
    assert message.status == "error"
    assert "audio" in message.content


def test_agent_answers_about_a_generated_video_by_calling_analyze_video(
    qwen_omni_emulator: Any, toolkit: QwenOmniToolkit, media: dict[str, Path]
) -> None:
    from langchain.agents import create_agent

    agent = create_agent(ChatQwenOmni(), toolkit.get_tools())
    question = f"Use analyze_video: what happens in the video '{media['video']}'?"
    out = agent.invoke({"messages": [HumanMessage(question)]})
    messages = out["messages"]
    calls = [c for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    assert [c["name"] for c in calls] == ["analyze_video"]
    assert calls[0]["args"]["source"] == str(media["video"])
    (tool_message,) = [m for m in messages if isinstance(m, ToolMessage)]
    assert tool_message.status == "success"
    assert isinstance(tool_message.artifact, AnalyzeResult)
    final = messages[-1]
    assert isinstance(final, AIMessage)
    assert not final.tool_calls
    # The answer is built on what the tool saw in the clip.
    assert "video: 3.00 s mp4 160x120" in final.text
    # Requests: the agent's call, the tool's own request with the video, the final answer.
    bodies = [r.body for r in qwen_omni_emulator.requests.chat()]
    assert len(bodies) == 3
    assert [bool(b.get("tools")) for b in bodies] == [True, False, True]
    assert bodies[2]["messages"][-1]["role"] == "tool"


async def test_langgraph_react_agent_streams_the_same_loop(
    qwen_omni_emulator: Any, toolkit: QwenOmniToolkit, media: dict[str, Path]
) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # superseded by create_agent
        from langgraph.prebuilt import create_react_agent

        agent = create_react_agent(ChatQwenOmni(), toolkit.get_tools())
    question = f"Use analyze_video: what happens in the video '{media['video']}'?"
    nodes: list[str] = []
    async for update in agent.astream({"messages": [HumanMessage(question)]}):
        nodes.extend(update)
    assert nodes == ["agent", "tools", "agent"]
    assert len(qwen_omni_emulator.requests.chat()) == 3
