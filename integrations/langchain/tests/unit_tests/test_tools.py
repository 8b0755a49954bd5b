"""The tools and the toolkit without a network: schemas, results, refusals, sharing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_tests.unit_tests import ToolsUnitTests
from pydantic import BaseModel

from langchain_qwen_omni import (
    AnalyzeVideoTool,
    DidCallMentionTool,
    QwenOmniTool,
    QwenOmniToolkit,
)
from langchain_qwen_omni._runtime import TaskRuntime
from qwen_omni.tasks import TOOLS, AnalyzeResult, RequestReport, ToolRefusal


class TestAnalyzeVideoToolStandard(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[AnalyzeVideoTool]:
        return AnalyzeVideoTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": "sk-test", "media_roots": ["/srv/media"]}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"source": "clip.mp4", "question": "What happens?"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return {"DASHSCOPE_API_KEY": "sk-env"}, {}, {"api_key": "sk-env"}


class TestDidCallMentionToolStandard(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[DidCallMentionTool]:
        return DidCallMentionTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"source": "https://example.com/call.mp3", "topics": ["pricing", "a refund"]}


class FakeRuntime(TaskRuntime):
    """Answers every run with ``result`` (or raises it), recording the arguments."""

    def __init__(self, result: BaseModel | Exception) -> None:
        super().__init__()
        self.result = result
        self.arguments: list[dict[str, Any]] = []

    def async_tasks(self) -> Any:
        return self

    def run(self, make: Callable[[Any], Awaitable[Any]]) -> Any:
        return asyncio.run(make(self))  # type: ignore[arg-type]


@pytest.fixture
def patched_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every tool's core definition return what its runtime holds."""
    from qwen_omni.tasks.registry import ToolDef

    async def arun(self: ToolDef, tasks: FakeRuntime, arguments: Any, **_: Any) -> BaseModel:
        try:
            self.parse(arguments)
        except Exception as exc:
            from qwen_omni.tasks import refusal_for

            refusal = refusal_for(exc)
            assert refusal is not None
            return refusal
        tasks.arguments.append(dict(arguments))
        if isinstance(tasks.result, Exception):
            raise tasks.result
        return tasks.result

    monkeypatch.setattr(ToolDef, "arun", arun)


def _answer(text: str = "A cat jumps.") -> AnalyzeResult:
    return AnalyzeResult(answer=text, sent=RequestReport(model="qwen3-omni-flash"))


def _call(args: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_call", "id": "call_1", "name": "analyze_video", "args": args}


@pytest.mark.usefixtures("patched_definitions")
def test_result_is_text_for_the_model_and_the_pydantic_artifact() -> None:
    runtime = FakeRuntime(_answer())
    tool = AnalyzeVideoTool(api_key="k", runtime=runtime)
    message = tool.invoke(_call({"source": "clip.mp4", "question": "What happens?"}))
    assert isinstance(message, ToolMessage)
    assert message.status == "success"
    assert message.content.startswith("A cat jumps.")
    assert "[qwen3-omni-flash;" in message.content
    assert message.artifact == _answer()
    assert runtime.arguments == [{"source": "clip.mp4", "question": "What happens?"}]


@pytest.mark.usefixtures("patched_definitions")
async def test_async_path_uses_the_running_loop() -> None:
    runtime = FakeRuntime(_answer("async answer"))
    tool = AnalyzeVideoTool(api_key="k", runtime=runtime)
    message = await tool.ainvoke(_call({"source": "clip.mp4", "question": "?"}))
    assert message.artifact.answer == "async answer"


@pytest.mark.usefixtures("patched_definitions")
def test_refusals_become_error_tool_messages() -> None:
    refusal = ToolRefusal(
        kind="access_denied", message="/etc/passwd is outside the allowed media directories"
    )
    tool = AnalyzeVideoTool(api_key="k", runtime=FakeRuntime(refusal))
    message = tool.invoke(_call({"source": "/etc/passwd", "question": "?"}))
    assert message.status == "error"
    assert message.content == (
        "Tool refused (access_denied): /etc/passwd is outside the allowed media directories"
    )


@pytest.mark.usefixtures("patched_definitions")
def test_invalid_arguments_are_explained_to_the_agent() -> None:
    tool = AnalyzeVideoTool(api_key="k", runtime=FakeRuntime(_answer()))
    message = tool.invoke(_call({"source": "clip.mp4"}))
    assert message.status == "error"
    assert "question" in message.content
    assert "Field required" in message.content


@pytest.mark.usefixtures("patched_definitions")
def test_operator_errors_raise() -> None:
    from qwen_omni.errors import ConfigurationError

    tool = AnalyzeVideoTool(api_key="k", runtime=FakeRuntime(ConfigurationError("no key")))
    with pytest.raises(ConfigurationError):
        tool.invoke(_call({"source": "clip.mp4", "question": "?"}))


def test_toolkit_has_one_tool_per_task_sharing_one_runtime() -> None:
    toolkit = QwenOmniToolkit(api_key="sk-secret", media_roots=["/srv/media"])
    tools = toolkit.get_tools()
    assert [t.name for t in tools] == [d.name for d in TOOLS]
    assert all(isinstance(t, QwenOmniTool) for t in tools)
    assert all(t.response_format == "content_and_artifact" for t in tools)
    assert len({id(t.runtime) for t in tools}) == 1  # type: ignore[attr-defined]
    for tool, definition in zip(tools, TOOLS, strict=True):
        assert tool.args_schema is definition.input_model
        assert tool.description == definition.description
    assert "sk-secret" not in repr(toolkit) + "".join(repr(t) for t in tools)


def test_toolkit_include_and_unknown_names() -> None:
    toolkit = QwenOmniToolkit(api_key="k", include=["transcribe", "analyze_image"])
    assert [t.name for t in toolkit.get_tools()] == ["analyze_image", "transcribe"]
    with pytest.raises(ValueError, match="unknown tools"):
        QwenOmniToolkit(api_key="k", include=["analyse_video"]).get_tools()


def test_media_roots_extend_the_access_policy() -> None:
    from qwen_omni.tasks import AccessPolicy

    tool = AnalyzeVideoTool(
        api_key="k",
        media_roots=["/srv/media"],
        policy=AccessPolicy(allowed_hosts=("cdn.example.com",)),
    )
    policy = tool._get_runtime()._kwargs["policy"]
    assert [str(r) for r in policy.roots] == ["/srv/media"]
    assert policy.allowed_hosts == ("cdn.example.com",)
    assert AnalyzeVideoTool(api_key="k")._get_runtime()._kwargs["policy"].roots == ()


def test_tools_bind_to_the_chat_model() -> None:
    from langchain_qwen_omni import ChatQwenOmni

    tools: list[BaseTool] = QwenOmniToolkit(api_key="k").get_tools()
    bound = ChatQwenOmni(api_key="k").bind_tools(tools)
    names = [t["function"]["name"] for t in bound.kwargs["tools"]]  # type: ignore[attr-defined]
    assert names == [d.name for d in TOOLS]
    video = bound.kwargs["tools"][0]["function"]  # type: ignore[attr-defined]
    assert set(video["parameters"]["required"]) == {"source", "question"}
