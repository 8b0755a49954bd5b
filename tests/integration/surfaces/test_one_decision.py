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
from collections.abc import Callable, Iterator
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


def via_langchain(
    qwen_omni_emulator: Any, names: list[str], choice: Any, thinking: bool | None, **kw: Any
):
    llm = ChatQwenOmni(
        api_key=qwen_omni_emulator.api_key,
        base_url=qwen_omni_emulator.base_url,
        enable_thinking=thinking,
        **kw,
    )
    llm.bind_tools([TOOLS[n] for n in names], tool_choice=choice).invoke("Weather in Paris?")
    return qwen_omni_emulator.requests.chat()[-1]


def via_llamaindex(
    qwen_omni_emulator: Any, names: list[str], choice: Any, thinking: bool | None, **kw: Any
):
    llm = QwenOmni(
        api_key=qwen_omni_emulator.api_key,
        api_base=qwen_omni_emulator.base_url,
        enable_thinking=thinking,
        **kw,
    )
    tools = [FunctionTool.from_defaults(TOOLS[n]) for n in names]
    if choice in ("any", True, "required"):
        llm.chat_with_tools(tools, user_msg="Weather in Paris?", tool_required=True)
    else:
        llm.chat_with_tools(tools, user_msg="Weather in Paris?", tool_choice=choice)
    return qwen_omni_emulator.requests.chat()[-1]


def via_core(
    qwen_omni_emulator: Any, names: list[str], choice: Any, thinking: bool | None, **kw: Any
):
    client = OmniClient(
        api_key=qwen_omni_emulator.api_key, base_url=qwen_omni_emulator.base_url, **kw
    )
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
    return qwen_omni_emulator.requests.chat()[-1]


SURFACES: dict[str, Callable[..., Any]] = {
    "langchain": via_langchain,
    "llamaindex": via_llamaindex,
    "core": via_core,
}
FORCED = {"type": "function", "function": {"name": "get_weather"}}


@pytest.mark.parametrize("surface", SURFACES)
def test_required_among_several_tools_is_auto_with_a_warning_on_dashscope(
    qwen_omni_emulator, surface
):
    with pytest.warns(UserWarning, match="DashScope has no tool_choice='required'"):
        record = SURFACES[surface](
            qwen_omni_emulator, ["get_weather", "get_time"], "required", None
        )
    assert record.status == 200
    assert record.body["tool_choice"] == "auto"


@pytest.mark.parametrize("surface", SURFACES)
def test_required_with_one_tool_forces_it(qwen_omni_emulator, surface):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = SURFACES[surface](qwen_omni_emulator, ["get_weather"], "required", None)
    assert record.body["tool_choice"] == FORCED
    assert record.tool_calls[0]["name"] == "get_weather"


@pytest.mark.parametrize("surface", SURFACES)
def test_required_among_several_tools_is_sent_to_vllm(qwen_omni_emulator, surface):
    qwen_omni_emulator.state.config.allow_required_tool_choice = True  # a vLLM server accepts it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            record = SURFACES[surface](
                qwen_omni_emulator, ["get_weather", "get_time"], "required", None, dialect="vllm"
            )
    finally:
        qwen_omni_emulator.state.config.allow_required_tool_choice = False
    assert record.body["tool_choice"] == "required"


@pytest.mark.parametrize("surface", SURFACES)
def test_a_required_call_while_thinking_is_auto_with_a_warning(qwen_omni_emulator, surface):
    with pytest.warns(UserWarning, match="thinking mode allows no forced tool_choice"):
        record = SURFACES[surface](qwen_omni_emulator, ["get_weather"], "required", True)
    assert record.body["tool_choice"] == "auto"
    assert record.body["enable_thinking"] is True


@pytest.mark.parametrize("surface", SURFACES)
def test_forcing_a_named_tool_while_thinking_is_refused_before_sending(qwen_omni_emulator, surface):
    with pytest.raises(RequestValidationError) as info:
        SURFACES[surface](qwen_omni_emulator, ["get_weather", "get_time"], "get_weather", True)
    assert info.value.rule == "tool_choice_thinking"
    assert qwen_omni_emulator.requests.chat() == []


@pytest.mark.parametrize("surface", SURFACES)
def test_a_tool_name_that_is_not_bound_is_refused(qwen_omni_emulator, surface):
    with pytest.raises(RequestValidationError, match="names no bound tool"):
        SURFACES[surface](qwen_omni_emulator, ["get_weather"], "get_time", None)
    assert qwen_omni_emulator.requests.chat() == []


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


def _tool_turn_langchain(qwen_omni_emulator: Any, png: Path) -> Any:
    b64 = base64.b64encode(png.read_bytes()).decode()
    ChatQwenOmni(api_key=qwen_omni_emulator.api_key, base_url=qwen_omni_emulator.base_url).invoke(
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
    return qwen_omni_emulator.requests.chat()[-1]


def _tool_turn_llamaindex(qwen_omni_emulator: Any, png: Path) -> Any:
    QwenOmni(api_key=qwen_omni_emulator.api_key, api_base=qwen_omni_emulator.base_url).chat(
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
    return qwen_omni_emulator.requests.chat()[-1]


def _tool_turn_core(qwen_omni_emulator: Any, png: Path) -> Any:
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
    client = OmniClient(api_key=qwen_omni_emulator.api_key, base_url=qwen_omni_emulator.base_url)
    client.complete(lift_tool_media(messages))
    return qwen_omni_emulator.requests.chat()[-1]


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
def test_media_returned_by_a_tool_follows_as_a_user_message(
    qwen_omni_emulator, screenshot, surface
):
    assert screenshot.stat().st_size > 500_000
    record = TOOL_TURNS[surface](qwen_omni_emulator, screenshot)
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


# --- media → documents --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qwen_omni.media.synthetic import make_video

    root = tmp_path_factory.mktemp("documents")
    # A keyframe every second, so segments can be cut where asked.
    return make_video(root / "talk.mp4", seconds=7, width=160, height=120, fps=10, gop=10)


@pytest.fixture
def talk_url(talk: Path) -> Iterator[str]:
    """The video over HTTP on loopback: the pipeline downloads URLs to split them."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(talk.parent))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{talk.name}"
    server.shutdown()
    server.server_close()


def test_one_default_segment_length() -> None:
    from langchain_qwen_omni import QwenOmniMediaLoader
    from llama_index.readers.qwen_omni import QwenOmniMediaReader
    from qwen_omni.documents import DEFAULT_SEGMENT_SECONDS, MediaDocuments

    assert DEFAULT_SEGMENT_SECONDS == 30.0
    assert QwenOmniMediaLoader("a.mp4", api_key="k").pipeline.segment_seconds == 30.0
    assert QwenOmniMediaReader(api_key="k").pipeline.segment_seconds == 30.0
    assert MediaDocuments().segment_seconds == 30.0


@pytest.mark.parametrize("where", ["path", "url"])
def test_media_documents_are_the_same_through_every_surface(
    qwen_omni_emulator, talk, talk_url, where
):
    from langchain_qwen_omni import QwenOmniMediaLoader
    from llama_index.readers.qwen_omni import QwenOmniMediaReader
    from qwen_omni.documents import MediaDocuments

    source = str(talk) if where == "path" else talk_url
    conn = {"api_key": qwen_omni_emulator.api_key, "base_url": qwen_omni_emulator.base_url}
    lc = QwenOmniMediaLoader(source, segment_seconds=3, **conn).load()
    li = QwenOmniMediaReader(segment_seconds=3, **conn).load_data(source)
    core = list(MediaDocuments(segment_seconds=3).segments(OmniClient(**conn), source))

    assert len(lc) == len(li) == len(core) >= 2
    ranges = [(s.start_s, s.end_s) for s in core]
    assert ranges[0][0] == 0.0
    assert ranges[-1][1] == pytest.approx(7.0, abs=0.2)
    assert [(d.metadata["start_s"], d.metadata["end_s"]) for d in lc] == ranges
    assert [(d.metadata["start_time"], d.metadata["end_time"]) for d in li] == ranges
    # The same analysis: the same text for the same segment, whichever surface asked.
    assert [d.page_content for d in lc] == [d.text for d in li] == [s.text for s in core]
    # The source is kept verbatim (a URL stays a URL: no "http:/127.0.0.1…" path).
    assert {d.metadata["source"] for d in lc} == {d.metadata["file_path"] for d in li} == {source}
    assert li[0].metadata["file_name"] == "talk.mp4"
    # One id per segment, made in one place.
    assert [d.id for d in lc] == [d.id_ for d in li] == [s.doc_id for s in core]
    digest = core[1].media_sha256
    assert digest is not None and len(digest) == 64
    start, end = ranges[1]
    assert core[1].doc_id == f"{source}#t={start:.3f},{end:.3f}&sha256={digest[:16]}"
    assert len(qwen_omni_emulator.requests.chat()) == 3 * len(core)
