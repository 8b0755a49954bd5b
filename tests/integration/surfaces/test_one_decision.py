"""One decision, every surface: the same scenario through LangChain (``ChatQwenOmni``),
LlamaIndex (``QwenOmni``) and the core, against the emulator, with the same outcome.

Each decision lives once in the core (``qwen_omni.rules.resolve_tool_choice``,
``qwen_omni.tool_results.lift_tool_media``); these tests fail if a surface decides on its own.
The expected values come from the reference (§2: tool_choice is "auto", "none" or one forced
function; no forced choice while thinking; media only in user messages), not from the code.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool

from langchain_qwen_omni import ChatQwenOmni
from llama_index.llms.qwen_omni import QwenOmni
from qwen_omni import OmniClient, RequestValidationError, get_model, image
from qwen_omni.content import Message, Text, ToolCall
from qwen_omni.rules import resolve_tool_choice
from qwen_omni.tool_results import lift_tool_media

pytestmark = pytest.mark.integration


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return "sunny"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return "noon"


TOOLS = {"get_weather": get_weather, "get_time": get_time}


def _specs(names: list[str]) -> list[dict[str, Any]]:
    return [FunctionTool.from_defaults(TOOLS[n]).metadata.to_openai_tool() for n in names]


# Three surfaces, one call each: (tool names, the framework's "a call is required" or a name,
# thinking) -> the request the emulator received.


def via_langchain(emulator: Any, names: list[str], choice: Any, thinking: bool | None, **kw: Any):
    llm = ChatQwenOmni(
        api_key=emulator.api_key, base_url=emulator.base_url, enable_thinking=thinking, **kw
    )
    llm.bind_tools([TOOLS[n] for n in names], tool_choice=choice).invoke("Weather in Paris?")
    return emulator.requests.chat()[-1]


def via_llamaindex(emulator: Any, names: list[str], choice: Any, thinking: bool | None, **kw: Any):
    llm = QwenOmni(
        api_key=emulator.api_key, api_base=emulator.base_url, enable_thinking=thinking, **kw
    )
    tools = [FunctionTool.from_defaults(TOOLS[n]) for n in names]
    if choice in ("any", True, "required"):
        llm.chat_with_tools(tools, user_msg="Weather in Paris?", tool_required=True)
    else:
        llm.chat_with_tools(tools, user_msg="Weather in Paris?", tool_choice=choice)
    return emulator.requests.chat()[-1]


def via_core(emulator: Any, names: list[str], choice: Any, thinking: bool | None, **kw: Any):
    client = OmniClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)
    sent = resolve_tool_choice(
        choice,
        names,
        spec=get_model(client.model),
        dialect=client.settings.dialect,
        enable_thinking=thinking,
    )
    client.complete(
        "Weather in Paris?", tools=_specs(names), tool_choice=sent, enable_thinking=thinking
    )
    return emulator.requests.chat()[-1]


SURFACES: dict[str, Callable[..., Any]] = {
    "langchain": via_langchain,
    "llamaindex": via_llamaindex,
    "core": via_core,
}
FORCED = {"type": "function", "function": {"name": "get_weather"}}


@pytest.mark.parametrize("surface", SURFACES)
def test_required_among_several_tools_is_auto_with_a_warning_on_dashscope(emulator, surface):
    with pytest.warns(UserWarning, match="DashScope has no tool_choice='required'"):
        record = SURFACES[surface](emulator, ["get_weather", "get_time"], "required", None)
    assert record.status == 200
    assert record.body["tool_choice"] == "auto"


@pytest.mark.parametrize("surface", SURFACES)
def test_required_with_one_tool_forces_it(emulator, surface):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = SURFACES[surface](emulator, ["get_weather"], "required", None)
    assert record.body["tool_choice"] == FORCED
    assert record.tool_calls[0]["name"] == "get_weather"


@pytest.mark.parametrize("surface", SURFACES)
def test_required_among_several_tools_is_sent_to_vllm(emulator, surface):
    emulator.state.config.allow_required_tool_choice = True  # a vLLM server accepts it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            record = SURFACES[surface](
                emulator, ["get_weather", "get_time"], "required", None, dialect="vllm"
            )
    finally:
        emulator.state.config.allow_required_tool_choice = False
    assert record.body["tool_choice"] == "required"


@pytest.mark.parametrize("surface", SURFACES)
def test_a_required_call_while_thinking_is_auto_with_a_warning(emulator, surface):
    with pytest.warns(UserWarning, match="thinking mode allows no forced tool_choice"):
        record = SURFACES[surface](emulator, ["get_weather"], "required", True)
    assert record.body["tool_choice"] == "auto"
    assert record.body["enable_thinking"] is True


@pytest.mark.parametrize("surface", SURFACES)
def test_forcing_a_named_tool_while_thinking_is_refused_before_sending(emulator, surface):
    with pytest.raises(RequestValidationError) as info:
        SURFACES[surface](emulator, ["get_weather", "get_time"], "get_weather", True)
    assert info.value.rule == "tool_choice_thinking"
    assert emulator.requests.chat() == []


@pytest.mark.parametrize("surface", SURFACES)
def test_a_tool_name_that_is_not_bound_is_refused(emulator, surface):
    with pytest.raises(RequestValidationError, match="names no bound tool"):
        SURFACES[surface](emulator, ["get_weather"], "get_time", None)
    assert emulator.requests.chat() == []


# --- media returned by a tool -------------------------------------------------------------------


@pytest.fixture(scope="module")
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A noisy 640×480 PNG (hundreds of KB: pasted as base64 text it would swamp the window)."""
    import random

    from PIL import Image

    rnd = random.Random(7)
    img = Image.frombytes(
        "RGB", (640, 480), bytes(rnd.getrandbits(8) for _ in range(640 * 480 * 3))
    )
    path = tmp_path_factory.mktemp("tool-media") / "screen.png"
    img.save(path)
    return path


def _tool_turn_langchain(emulator: Any, png: Path) -> Any:
    b64 = base64.b64encode(png.read_bytes()).decode()
    ChatQwenOmni(api_key=emulator.api_key, base_url=emulator.base_url).invoke(
        [
            HumanMessage("Take a screenshot and describe it."),
            AIMessage("", tool_calls=[{"name": "screenshot", "args": {}, "id": "call_1"}]),
            ToolMessage(
                [
                    {"type": "text", "text": "screenshot taken"},
                    {"type": "image", "base64": b64, "mime_type": "image/png"},
                ],
                tool_call_id="call_1",
            ),
        ]
    )
    return emulator.requests.chat()[-1]


def _tool_turn_llamaindex(emulator: Any, png: Path) -> Any:
    QwenOmni(api_key=emulator.api_key, api_base=emulator.base_url).chat(
        [
            ChatMessage(role="user", content="Take a screenshot and describe it."),
            ChatMessage(
                role="assistant",
                blocks=[
                    ToolCallBlock(tool_call_id="call_1", tool_name="screenshot", tool_kwargs={})
                ],
            ),
            ChatMessage(
                role="tool",
                blocks=[TextBlock(text="screenshot taken"), ImageBlock(path=png)],
                additional_kwargs={"tool_call_id": "call_1"},
            ),
        ]
    )
    return emulator.requests.chat()[-1]


def _tool_turn_core(emulator: Any, png: Path) -> Any:
    messages = [
        Message(role="user", content="Take a screenshot and describe it."),
        Message(
            role="assistant", content="", tool_calls=(ToolCall(id="call_1", name="screenshot"),)
        ),
        Message(
            role="tool",
            content=(Text(text="screenshot taken"), image(png)),
            tool_call_id="call_1",
        ),
    ]
    client = OmniClient(api_key=emulator.api_key, base_url=emulator.base_url)
    client.complete(lift_tool_media(messages))
    return emulator.requests.chat()[-1]


TOOL_TURNS = {
    "langchain": _tool_turn_langchain,
    "llamaindex": _tool_turn_llamaindex,
    "core": _tool_turn_core,
}


def _shape(body: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for m in body["messages"]:
        content = m.get("content")
        if isinstance(content, list):
            out.append((m["role"], [p["type"] for p in content]))
        else:
            out.append((m["role"], content))
    return out


@pytest.mark.parametrize("surface", TOOL_TURNS)
def test_media_returned_by_a_tool_follows_as_a_user_message(emulator, screenshot, surface):
    assert screenshot.stat().st_size > 500_000
    record = TOOL_TURNS[surface](emulator, screenshot)
    assert record.status == 200
    assert _shape(record.body) == [
        ("user", "Take a screenshot and describe it."),
        ("assistant", None),  # tool calls only
        ("tool", "screenshot taken"),  # text only: the image is not pasted as base64 text
        ("user", ["text", "image_url"]),
    ]
    assert record.body["messages"][3]["content"][0]["text"] == (
        "(media returned by tool call call_1)"
    )
    (perceived,) = record.perceived
    assert perceived["kind"] == "image"
    assert record.usage["prompt_tokens"] < 5_000  # an image's tokens, not 800,000 characters
