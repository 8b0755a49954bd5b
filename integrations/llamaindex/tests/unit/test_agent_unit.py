"""A ``FunctionAgent`` drives ``QwenOmni`` through a tool turn (scripted core, no sockets)."""

from __future__ import annotations

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCall, ToolCallResult

from llama_index.llms.qwen_omni import QwenOmni

pytestmark = pytest.mark.filterwarnings(
    # llama-index-workflows inspects pydantic members of the agent (not our code).
    "ignore::pydantic.warnings.PydanticDeprecatedSince20",
    "ignore::pydantic.warnings.PydanticDeprecatedSince211",
)


def analyze_video(video: str, question: str) -> str:
    """Answer a question about a video."""
    return f"In {video}: a red square moves left to right."


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_calls_the_tool_then_answers(sx, streaming):
    aclient = sx.AsyncClient(
        sx.tools(
            ("call_1", "analyze_video", ['{"video": "clip.mp4", ', '"question": "what moves?"}'])
        ),
        sx.text("A red square ", "moves to the right."),
    )
    agent = FunctionAgent(
        llm=QwenOmni(async_client=aclient), tools=[analyze_video], streaming=streaming
    )
    handler = agent.run("What moves in clip.mp4?")
    calls, results = [], []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            results.append(event)
        elif isinstance(event, ToolCall):
            calls.append(event)
    answer = await handler

    assert str(answer).endswith("A red square moves to the right.")
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [
        ("analyze_video", {"video": "clip.mp4", "question": "what moves?"})
    ]
    assert results[0].tool_output.content == "In clip.mp4: a red square moves left to right."
    # Second request: the tool call and its result went back to the model.
    second = aclient.requests[1].messages
    assert second[-2].tool_calls[0].id == "call_1"
    assert (second[-1].role, second[-1].tool_call_id) == ("tool", "call_1")
    assert "red square moves left to right" in second[-1].text
