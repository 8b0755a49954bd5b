"""ChatQwenOmni against a fake core client: parameters, streaming, async, tools, structured."""

from __future__ import annotations

import asyncio
import base64
import gc
import io
import wave
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from pydantic import BaseModel, Field

from langchain_qwen_omni import ChatQwenOmni, get_audio
from qwen_omni.content import Image, Text, Video
from qwen_omni.response import (
    AudioDelta,
    Finish,
    Started,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageEvent,
)


class Joke(BaseModel):
    """A joke."""

    setup: str = Field(description="the question")
    punchline: str = Field(description="the answer")


def _tool_call_events(name: str, arguments: str) -> list:
    return [
        Started("chatcmpl-t", "qwen3-omni-flash", "req-t"),
        ToolCallDelta(0, "call_1", name, arguments[:5]),
        ToolCallDelta(0, None, None, arguments[5:]),
        Finish("tool_calls"),
        UsageEvent(Usage.from_dict({"prompt_tokens": 9, "completion_tokens": 4})),
    ]


def _audio_events(pcm: bytes) -> list:
    half = len(pcm) // 2 + 1
    return [
        Started("chatcmpl-a", "qwen3-omni-flash", "req-a"),
        TextDelta("Hi"),
        AudioDelta(pcm[:half], id="audio_x"),
        AudioDelta(pcm[half:]),
        Finish("stop"),
        UsageEvent(
            Usage.from_dict(
                {
                    "prompt_tokens": 5,
                    "completion_tokens": 12,
                    "total_tokens": 17,
                    "completion_tokens_details": {"audio_tokens": 10, "text_tokens": 2},
                }
            )
        ),
    ]


# --- construction, secrets, tracing -----------------------------------------------------------


def test_construction_is_lazy_and_secrets_stay_hidden() -> None:
    model = ChatQwenOmni(api_key="sk-very-secret", base_url="http://127.0.0.1:9/v1")
    assert "_client" not in model.__dict__  # no client (and no I/O) until the first call
    for text in (repr(model), str(model), dumps(model), str(dumpd(model))):
        assert "sk-very-secret" not in text
    assert dumpd(model)["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["DASHSCOPE_API_KEY"],
    }


def test_serialization_roundtrip_with_an_explicit_allowlist(monkeypatch: Any) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-env")
    model = ChatQwenOmni(model="qwen3.5-omni-plus", temperature=0.2, voice="Tina")
    revived = load(
        dumpd(model),
        valid_namespaces=["langchain_qwen_omni"],
        allowed_objects=[ChatQwenOmni],
        secrets_from_env=True,
    )
    assert isinstance(revived, ChatQwenOmni)
    assert (revived.model, revived.temperature, revived.voice) == ("qwen3.5-omni-plus", 0.2, "Tina")
    assert revived.api_key is not None
    assert revived.api_key.get_secret_value() == "sk-env"


def test_aliases_and_env(monkeypatch: Any) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-env")
    monkeypatch.setenv("QWEN_OMNI_MODEL", "qwen3.5-omni-flash")
    model = ChatQwenOmni(max_completion_tokens=50, thinking=True, model_kwargs={"x": 1})
    assert model.model == "qwen3.5-omni-flash"
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == "sk-env"
    assert (model.max_tokens, model.enable_thinking, model.extra_body) == (50, True, {"x": 1})
    assert ChatQwenOmni(model_name="qwen-omni-turbo").model == "qwen-omni-turbo"


def test_ls_params() -> None:
    model = ChatQwenOmni(api_key="k", temperature=0.5, max_tokens=7, stop=["END"])
    params = model._get_ls_params()
    assert params["ls_provider"] == "qwen_omni"
    assert params["ls_model_name"] == "qwen3-omni-flash"
    assert (params["ls_temperature"], params["ls_max_tokens"], params["ls_stop"]) == (
        0.5,
        7,
        ["END"],
    )
    assert model._get_ls_params(model="qwen3.5-omni-plus")["ls_model_name"] == "qwen3.5-omni-plus"


@pytest.mark.parametrize(
    ("name", "tools", "audio_out", "reasoning"),
    [
        ("qwen3-omni-flash", True, True, True),
        ("qwen3.5-omni-plus", True, True, False),
        ("qwen-omni-turbo", False, True, False),
        ("qwen3.8-omni-flash", True, False, True),
    ],
)
def test_profile_comes_from_the_catalog(
    name: str, tools: bool, audio_out: bool, reasoning: bool
) -> None:
    profile = ChatQwenOmni(model=name, api_key="k").profile
    assert profile is not None
    assert profile["tool_calling"] is tools
    assert profile["audio_outputs"] is audio_out
    assert profile["reasoning_output"] is reasoning
    assert profile["video_inputs"] is True
    assert profile["audio_inputs"] is True
    assert profile["image_inputs"] is True
    assert profile["pdf_inputs"] is False
    assert profile["max_output_tokens"] > 0


# --- requests ---------------------------------------------------------------------------------


def test_invoke_sends_fields_and_call_kwargs(fake_model: ChatQwenOmni, fake: Any) -> None:
    model = fake_model.model_copy(
        update={
            "temperature": 0.3,
            "max_tokens": 64,
            "seed": 7,
            "stop": ["END"],
            "extra_body": {"vl_high_resolution_images": True},
        }
    )
    model.__dict__["_client"] = fake
    result = model.invoke("Hi", top_k=5, model="qwen3.5-omni-flash")
    assert isinstance(result, AIMessage)
    assert result.content == "Hello from the fake."
    (call,) = fake.calls
    assert call.model == "qwen3.5-omni-flash"
    assert call.params == {
        "temperature": 0.3,
        "max_tokens": 64,
        "seed": 7,
        "stop": ["END"],
        "extra_body": {"vl_high_resolution_images": True},
        "top_k": 5,
    }
    [message] = call.messages
    assert (message.role, message.content) == ("user", "Hi")


def test_stop_argument_overrides_the_field(fake_model: ChatQwenOmni, fake: Any) -> None:
    fake_model.stop = ["a"]
    fake_model.invoke("x", stop=["b"])
    assert fake.calls[-1].params["stop"] == ["b"]


def test_invoke_result_has_usage_metadata_and_response_metadata(
    fake_model: ChatQwenOmni,
) -> None:
    result = fake_model.invoke("Hi")
    assert result.usage_metadata == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    assert result.response_metadata["model_name"] == "qwen3-omni-flash"
    assert result.response_metadata["finish_reason"] == "stop"
    assert result.response_metadata["request_id"] == "req-1"


def test_multimodal_message_reaches_the_core_as_parts(fake_model: ChatQwenOmni, fake: Any) -> None:
    fake_model.invoke(
        [
            HumanMessage(
                [
                    {"type": "video", "path": "/data/clip.mp4"},
                    {"type": "image_url", "image_url": {"url": "https://x.org/a.png"}},
                    {"type": "text", "text": "what now?"},
                ]
            )
        ]
    )
    [message] = fake.calls[-1].messages
    kinds = [type(p) for p in message.parts]
    assert kinds == [Video, Image, Text]


def test_stream_yields_text_as_it_arrives_and_ends_with_last(
    fake_model: ChatQwenOmni,
) -> None:
    chunks = list(fake_model.stream("Hi"))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert "".join(c.text for c in chunks) == "Hello from the fake."
    assert len(chunks) > 3
    assert chunks[-1].chunk_position == "last"
    assert [c.usage_metadata is not None for c in chunks].count(True) == 1


def test_streaming_true_invoke_notifies_tokens(fake_model: ChatQwenOmni) -> None:
    tokens: list[str] = []

    class Collect(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    fake_model.streaming = True
    result = fake_model.invoke("Hi", config={"callbacks": [Collect()]})
    assert result.content == "Hello from the fake."
    assert "".join(tokens) == "Hello from the fake."
    assert len(tokens) > 3


def test_spoken_reply_invoke_gives_an_exact_wav(fake_model: ChatQwenOmni, fake: Any) -> None:
    pcm = bytes(range(256)) * 41  # 10,496 bytes
    fake.script.append(_audio_events(pcm))
    speaker = fake_model.model_copy(update={"modalities": ["text", "audio"], "voice": "Ethan"})
    speaker.__dict__["_client"] = fake
    result = speaker.invoke("Say hi")
    assert fake.calls[-1].params["modalities"] == ["text", "audio"]
    assert fake.calls[-1].params["voice"] == "Ethan"
    assert result.text == "Hi"
    (audio,) = [b for b in result.content if b["type"] == "audio"]
    assert audio["mime_type"] == "audio/wav"
    with wave.open(io.BytesIO(base64.b64decode(audio["base64"]))) as w:
        assert w.getnframes() == len(pcm) // 2
        assert w.readframes(w.getnframes()) == pcm
    assert [b["type"] for b in result.content_blocks] == ["text", "audio"]
    assert result.usage_metadata is not None
    assert result.usage_metadata["output_token_details"] == {"audio": 10}


def test_spoken_reply_stream_merges_to_the_same_audio(fake_model: ChatQwenOmni, fake: Any) -> None:
    pcm = bytes(range(256)) * 41
    fake.script.append(_audio_events(pcm))
    merged = None
    for chunk in fake_model.stream("Say hi", modalities=["text", "audio"]):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    wav = get_audio(merged)
    assert wav is not None
    with wave.open(io.BytesIO(wav)) as w:
        assert w.readframes(w.getnframes()) == pcm


def test_v1_output_version(fake_model: ChatQwenOmni) -> None:
    fake_model.output_version = "v1"
    result = fake_model.invoke("Hi")
    assert result.content == [{"type": "text", "text": "Hello from the fake."}]


# --- async --------------------------------------------------------------------------------


async def test_ainvoke_astream_abatch_use_the_async_client(
    fake_model: ChatQwenOmni, fake: Any
) -> None:
    result = await fake_model.ainvoke("Hi")
    assert result.content == "Hello from the fake."
    chunks = [c async for c in fake_model.astream("Hi")]
    assert "".join(c.text for c in chunks) == "Hello from the fake."
    assert chunks[-1].chunk_position == "last"
    results = await fake_model.abatch(["a", "b", "c"])
    assert [r.content for r in results] == ["Hello from the fake."] * 3
    assert len(fake.calls) == 5


def test_async_client_follows_the_running_loop() -> None:
    model = ChatQwenOmni(api_key="k", base_url="http://127.0.0.1:9/v1")

    async def client() -> object:
        return model._async_client()

    async def twice() -> tuple[object, object]:
        return await client(), await client()

    a, b = asyncio.run(twice())
    assert a is b  # one client per loop
    loop = asyncio.new_event_loop()
    try:
        c = loop.run_until_complete(client())
        assert c is not a  # another loop, another HTTP pool
        gc.collect()
        assert len(model._async_clients) == 1  # the first loop is closed and collected
    finally:
        loop.close()
    del loop
    gc.collect()
    assert len(model._async_clients) == 0


# --- tools --------------------------------------------------------------------------------


def _add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def _mul(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@pytest.mark.parametrize(
    ("choice", "tools", "expected"),
    [
        ("auto", [_add, _mul], "auto"),
        ("none", [_add], "none"),
        ("_mul", [_add, _mul], {"type": "function", "function": {"name": "_mul"}}),
        ("any", [_add], {"type": "function", "function": {"name": "_add"}}),
        (True, [_add], {"type": "function", "function": {"name": "_add"}}),
        ({"type": "function", "function": {"name": "_add"}}, [_add, _mul], None),
    ],
)
def test_bind_tools_maps_tool_choice(
    fake_model: ChatQwenOmni, fake: Any, choice: Any, tools: list, expected: Any
) -> None:
    bound = fake_model.bind_tools(tools, tool_choice=choice)
    assert [t["function"]["name"] for t in bound.kwargs["tools"]] == [  # type: ignore[attr-defined]
        t.__name__ for t in tools
    ]
    bound.invoke("hi")  # resolved per call, by the core's policy
    assert fake.calls[-1].params["tool_choice"] == (choice if expected is None else expected)


def test_bind_tools_rejects_an_unknown_tool_name() -> None:
    with pytest.raises(ValueError, match="names no bound tool"):
        ChatQwenOmni(api_key="k").bind_tools([_add], tool_choice="nope")


def test_any_with_several_tools_is_sent_as_auto_on_dashscope(
    fake_model: ChatQwenOmni, fake: Any
) -> None:
    bound = fake_model.bind_tools([_add, _mul], tool_choice="any", parallel_tool_calls=True)
    with pytest.warns(UserWarning, match="no tool_choice='required'"):
        bound.invoke("add 1 and 2")
    params = fake.calls[-1].params
    assert params["tool_choice"] == "auto"
    assert params["parallel_tool_calls"] is True
    assert len(params["tools"]) == 2


def test_any_with_several_tools_is_required_on_vllm(fake: Any, install_fake: Any) -> None:
    from qwen_omni.config import resolve_settings

    fake.settings = resolve_settings(api_key="k", base_url="http://gpu:8000/v1", dialect="vllm")
    model = install_fake(ChatQwenOmni(api_key="k", dialect="vllm"), fake)
    model.bind_tools([_add, _mul], tool_choice="any").invoke("add 1 and 2")
    assert fake.calls[-1].params["tool_choice"] == "required"
    assert model._client_kwargs()["dialect"] == "vllm"


def test_tool_calls_are_parsed(fake_model: ChatQwenOmni, fake: Any) -> None:
    fake.script.append(_tool_call_events("_add", '{"a": 1, "b": 2}'))
    result = fake_model.bind_tools([_add]).invoke("1+2?")
    assert result.tool_calls == [
        {"name": "_add", "args": {"a": 1, "b": 2}, "id": "call_1", "type": "tool_call"}
    ]
    assert result.response_metadata["finish_reason"] == "tool_calls"


# --- structured output ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_by_tool_calling(
    fake_model: ChatQwenOmni, fake: Any, method: str
) -> None:
    fake.script.append(_tool_call_events("Joke", '{"setup": "s", "punchline": "p"}'))
    fake.script.append(_tool_call_events("Joke", '{"setup": "s", "punchline": "p"}'))
    joke = fake_model.with_structured_output(Joke, method=method).invoke("joke")  # type: ignore[arg-type]
    assert joke == Joke(setup="s", punchline="p")
    assert fake.calls[-1].params["tool_choice"] == {
        "type": "function",
        "function": {"name": "Joke"},
    }
    as_dict = fake_model.with_structured_output(Joke.model_json_schema(), method=method)  # type: ignore[arg-type]
    assert as_dict.invoke("joke") == {"setup": "s", "punchline": "p"}


def test_structured_output_json_mode(fake_model: ChatQwenOmni, fake: Any) -> None:
    events = [
        Started("c", "m", None),
        TextDelta('{"setup": "s", '),
        TextDelta('"punchline": "p"}'),
        Finish("stop"),
    ]
    fake.script += [events, list(events)]
    joke = fake_model.with_structured_output(Joke, method="json_mode").invoke("as JSON")
    assert joke == Joke(setup="s", punchline="p")
    assert fake.calls[-1].params["response_format"] == {"type": "json_object"}
    raw = fake_model.with_structured_output(None, method="json_mode", include_raw=True)
    out = raw.invoke("as JSON")
    assert out["parsed"] == {"setup": "s", "punchline": "p"}  # type: ignore[index]
    assert isinstance(out["raw"], AIMessage)  # type: ignore[index]


def test_structured_output_include_raw_keeps_parsing_errors(
    fake_model: ChatQwenOmni, fake: Any
) -> None:
    fake.script.append(_tool_call_events("Joke", '{"setup": "only"}'))
    out = fake_model.with_structured_output(Joke, include_raw=True).invoke("joke")
    assert out["parsed"] is None  # type: ignore[index]
    assert out["parsing_error"] is not None  # type: ignore[index]


def test_structured_output_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        ChatQwenOmni(api_key="k").with_structured_output(Joke, method="xml")  # type: ignore[arg-type]


def test_unknown_call_kwargs_are_refused_before_sending() -> None:
    model = ChatQwenOmni(api_key="k", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(Exception, match="temprature"):
        model.invoke("hi", temprature=0.1)


def test_image_budget_reaches_the_core_client():
    assert ChatQwenOmni(api_key="k")._client.image_budget is True
    assert ChatQwenOmni(api_key="k", image_budget=False)._client.image_budget is False
