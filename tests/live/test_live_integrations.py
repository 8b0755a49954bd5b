"""The integrations and tools against the real service (skipped without DASHSCOPE_API_KEY)."""

from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "media" / "sample.mp4"


def test_langchain_chat_with_a_video():
    from langchain_core.messages import HumanMessage

    from langchain_qwen_omni import ChatQwenOmni

    llm = ChatQwenOmni(model="qwen3-omni-flash", max_tokens=200)
    reply = llm.invoke(
        [HumanMessage([{"type": "video", "path": str(SAMPLE)},
                       {"type": "text", "text": "Describe this clip in one sentence."}])]
    )
    assert reply.text and reply.usage_metadata["input_tokens"] > 0
    assert reply.response_metadata["finish_reason"] in ("stop", "length")


def test_llamaindex_chat_with_a_video():
    from llama_index.core.llms import ChatMessage, TextBlock, VideoBlock

    from llama_index.llms.qwen_omni import QwenOmni

    llm = QwenOmni(model="qwen3-omni-flash", max_tokens=200)
    reply = llm.chat(
        [ChatMessage(role="user", blocks=[VideoBlock(path=SAMPLE),
                                          TextBlock(text="Describe this clip in one sentence.")])]
    )
    assert reply.message.content


@pytest.mark.parametrize("model", ["qwen3-omni-flash"])
def test_analyze_video_tool_reports_cost(model):
    from qwen_omni.tasks import OmniTasks

    with OmniTasks(model=model) as tasks:
        result = tasks.analyze_video(str(SAMPLE), "What colours do you see?")
    assert result.answer and result.sent.usage and result.sent.usage.input_tokens > 0
