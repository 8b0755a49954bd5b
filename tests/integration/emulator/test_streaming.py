"""The streaming endpoint: SSE shape (§5), scripted replies, reasoning, JSON, audio, tools."""

from __future__ import annotations

import base64
import json

import openai
import pytest

from qwen_omni.catalog import get_model
from qwen_omni.media.tokens import audio_tokens
from qwen_omni_emulator import Reply, ToolCall
from qwen_omni_emulator.speech import SAMPLE_RATE

from .conftest import MODEL, raw_stream, user

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather at a location.",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}
MAGIC_TOOL = {
    "type": "function",
    "function": {
        "name": "magic_function",
        "description": "Apply a magic function to an input.",
        "parameters": {
            "type": "object",
            "properties": {"input": {"type": "integer"}},
            "required": ["input"],
        },
    },
}


def test_sse_shape_role_first_finish_last_then_usage_then_done(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("Hello there, friend", chunk_chars=5))

    stream = raw_stream(
        qwen_omni_emulator,
        {"messages": [user("hi")], "stream_options": {"include_usage": True}},
    )

    assert stream.status == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.events[-1] == "[DONE]"
    chunks = stream.chunks
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["id"].startswith("chatcmpl-")
    assert {c["model"] for c in chunks} == {MODEL}
    deltas = stream.deltas
    assert deltas[0] == {"content": "", "role": "assistant"}
    assert all("role" not in d for d in deltas[1:])
    finishes = [c["choices"][0]["finish_reason"] for c in stream.choice_chunks]
    assert finishes[-1] == "stop"
    assert set(finishes[:-1]) == {None}
    assert [d["content"] for d in deltas[1:-1]] == ["Hello", " ther", "e, fr", "iend"]
    # the usage chunk: last before [DONE], choices empty, usage only there
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0
    assert all(c["usage"] is None for c in chunks[:-1])
    first = stream.choice_chunks[0]["choices"][0]
    assert first["index"] == 0
    assert first["logprobs"] is None


def test_no_usage_chunk_without_include_usage(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("ok"))
    stream = raw_stream(qwen_omni_emulator, {"messages": [user("hi")]})
    assert stream.usage is None
    assert all(c["choices"] for c in stream.chunks)


def test_openai_client_reads_a_scripted_answer_and_usage(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("The answer is 42."))
    client = qwen_omni_emulator.client()

    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "What is the answer?"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The answer is 42."
    usage = chunks[-1].usage
    assert usage is not None
    assert chunks[-1].choices == []
    assert usage.completion_tokens == usage.completion_tokens_details.text_tokens == 5
    assert usage.prompt_tokens_details.text_tokens == usage.prompt_tokens
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    # zero entries are omitted, as in the documented samples
    assert "audio_tokens" not in qwen_omni_emulator.requests.last.usage["completion_tokens_details"]
    assert qwen_omni_emulator.pending_replies == 0


def test_script_is_a_queue_then_the_default_reply_takes_over(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("one"), Reply.text("two"))
    client = qwen_omni_emulator.client()

    def ask() -> str:
        stream = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "go"}], stream=True
        )
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    assert [ask(), ask()] == ["one", "two"]
    assert ask().startswith("I am the qwen-omni emulator (model qwen3-omni-flash).")


def test_exact_deltas_are_streamed_one_chunk_each(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.stream(["a", "", "bc", "漢字"]))
    stream = raw_stream(qwen_omni_emulator, {"messages": [user("hi")]})
    assert [d["content"] for d in stream.deltas[1:-1]] == ["a", "", "bc", "漢字"]


def test_responder_sees_the_parsed_request(qwen_omni_emulator):
    seen = []

    def responder(request):
        seen.append((request.model, request.last_user_text, request.include_usage))
        return Reply.text(f"echo: {request.last_user_text}")

    qwen_omni_emulator.responder = responder
    stream = raw_stream(qwen_omni_emulator, {"messages": [user("ping")]})
    assert stream.text == "echo: ping"
    assert seen == [(MODEL, "ping", False)]


def test_responder_returning_none_falls_back_to_default(qwen_omni_emulator):
    qwen_omni_emulator.responder = lambda request: None
    assert raw_stream(qwen_omni_emulator, {"messages": [user("x")]}).text.startswith("I am the")


def test_thinking_streams_reasoning_first(qwen_omni_emulator):
    stream = raw_stream(
        qwen_omni_emulator,
        {
            "messages": [user("Why is the sky blue?")],
            "enable_thinking": True,
            "stream_options": {"include_usage": True},
        },
    )
    deltas = stream.deltas
    assert deltas[0] == {"content": None, "role": "assistant", "reasoning_content": ""}
    kinds = ["reasoning" if d.get("reasoning_content") else "content" for d in deltas[1:-1]]
    assert kinds[0] == "reasoning"
    assert "content" in kinds
    assert kinds == sorted(kinds, key=lambda k: k != "reasoning")  # all reasoning first
    reasoning = "".join(d.get("reasoning_content") or "" for d in deltas)
    assert "Why is the sky blue?" in reasoning
    details = stream.usage["completion_tokens_details"]
    assert details["reasoning_tokens"] > 0
    assert details["text_tokens"] > 0


def test_no_reasoning_without_thinking(qwen_omni_emulator):
    stream = raw_stream(qwen_omni_emulator, {"messages": [user("hi")], "enable_thinking": False})
    assert not any("reasoning_content" in d for d in stream.deltas)


def test_json_object_answer_is_valid_json_with_the_keys_the_prompt_names(qwen_omni_emulator):
    prompt = (
        "Tell me a joke about cats. Return the result as a JSON with 'setup' and "
        "'punchline' keys. Return nothing other than JSON."
    )
    stream = raw_stream(
        qwen_omni_emulator, {"messages": [user(prompt)], "response_format": {"type": "json_object"}}
    )
    assert set(json.loads(stream.text)) == {"setup", "punchline"}


def test_json_schema_answer_follows_the_schema(qwen_omni_emulator):
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["title", "rating", "tags"],
    }
    stream = raw_stream(
        qwen_omni_emulator,
        {
            "messages": [user("Rate the movie 'Alien' as json")],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "r", "schema": schema},
            },
        },
    )
    value = json.loads(stream.text)
    assert value["title"] == "Alien"
    assert 1 <= value["rating"] <= 5
    assert isinstance(value["tags"], list)


def test_audio_output_streams_pcm16_24khz_with_transcript(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("Hello, this is a spoken answer."))
    client = qwen_omni_emulator.client()
    pcm = b""
    transcript = ""
    ids = set()
    usage = None
    for chunk in client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Say hello"}],
        modalities=["text", "audio"],
        audio={"voice": "Cherry", "format": "wav"},
        stream=True,
        stream_options={"include_usage": True},
    ):
        if chunk.usage:
            usage = chunk.usage
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        transcript += delta.content or ""
        audio = getattr(delta, "audio", None)
        if audio:
            audio = audio if isinstance(audio, dict) else audio.model_dump()
            pcm += base64.b64decode(audio["data"])
            ids.add(audio["id"])
            assert isinstance(audio["expires_at"], int)
    assert transcript == "Hello, this is a spoken answer."
    assert len(ids) == 1
    assert next(iter(ids)).startswith("audio_")
    assert len(pcm) % 2 == 0
    seconds = len(pcm) / 2 / SAMPLE_RATE
    assert 1.0 < seconds < 5.0  # proportional to the transcript
    expected = audio_tokens(seconds, get_model(MODEL).tokens, output=True)
    assert usage.completion_tokens_details.audio_tokens == expected


def test_forced_tool_choice_calls_that_tool_with_schema_valid_arguments(qwen_omni_emulator):
    client = qwen_omni_emulator.client()
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Hello!"}],
            tools=[WEATHER_TOOL, MAGIC_TOOL],
            tool_choice={"type": "function", "function": {"name": "magic_function"}},
            stream=True,
        )
    )
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls[0].function.name == "magic_function"
    assert calls[0].id.startswith("call_")
    arguments = "".join(tc.function.arguments or "" for tc in calls)
    assert isinstance(json.loads(arguments)["input"], int)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_tool_named_in_the_prompt_is_called_with_values_from_the_prompt(qwen_omni_emulator):
    stream = raw_stream(
        qwen_omni_emulator,
        {
            "messages": [user("What is the value of magic_function(3)? Use the tool.")],
            "tools": [MAGIC_TOOL, WEATHER_TOOL],
        },
    )
    assert qwen_omni_emulator.requests.last.tool_calls[0]["name"] == "magic_function"
    assert json.loads(qwen_omni_emulator.requests.last.tool_calls[0]["arguments"]) == {"input": 3}
    assert stream.choice_chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_agent_loop_call_then_answer_with_the_tool_result(qwen_omni_emulator):
    client = qwen_omni_emulator.client()
    question = {"role": "user", "content": "What is the weather in San Francisco, CA?"}

    first = list(
        client.chat.completions.create(
            model=MODEL, messages=[question], tools=[WEATHER_TOOL], stream=True
        )
    )
    calls = [tc for c in first if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    call_id, name = calls[0].id, calls[0].function.name
    arguments = "".join(tc.function.arguments or "" for tc in calls)
    assert name == "get_weather"
    assert json.loads(arguments) == {"location": "San Francisco, CA"}

    second = client.chat.completions.create(
        model=MODEL,
        messages=[
            question,
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call_id, "content": "It's sunny."},
        ],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    text = "".join(c.choices[0].delta.content or "" for c in second if c.choices)
    assert "It's sunny." in text
    assert "get_weather" in text


def test_tool_choice_none_answers_in_text(qwen_omni_emulator):
    stream = raw_stream(
        qwen_omni_emulator,
        {"messages": [user("weather please")], "tools": [WEATHER_TOOL], "tool_choice": "none"},
    )
    assert not any("tool_calls" in d for d in stream.deltas)
    assert stream.text.startswith("I am the")


def test_unrelated_prompt_with_tools_answers_in_text(qwen_omni_emulator):
    stream = raw_stream(qwen_omni_emulator, {"messages": [user("Hello!")], "tools": [WEATHER_TOOL]})
    assert not any("tool_calls" in d for d in stream.deltas)


def test_required_tool_choice_when_enabled_calls_some_tool():
    from qwen_omni_emulator import Emulator

    with Emulator(allow_required_tool_choice=True) as emu:
        stream = raw_stream(
            emu,
            {"messages": [user("Hello!")], "tools": [WEATHER_TOOL], "tool_choice": "required"},
        )
    assert stream.status == 200
    tool_deltas = [d["tool_calls"][0] for d in stream.deltas if "tool_calls" in d]
    assert tool_deltas[0]["function"]["name"] == "get_weather"


def test_scripted_parallel_tool_calls_stream_with_indexes(qwen_omni_emulator):
    qwen_omni_emulator.script(
        Reply.parallel_tool_calls(
            ("get_weather", {"location": "Paris"}),
            ToolCall.of("magic_function", {"input": 1}, id="call_fixed"),
        )
    )
    stream = raw_stream(
        qwen_omni_emulator, {"messages": [user("both")], "tools": [WEATHER_TOOL, MAGIC_TOOL]}
    )
    calls: dict[int, dict] = {}
    for delta in stream.deltas:
        for tc in delta.get("tool_calls", []):
            entry = calls.setdefault(tc["index"], {"name": None, "arguments": "", "id": None})
            entry["id"] = tc.get("id") or entry["id"]
            entry["name"] = tc.get("function", {}).get("name") or entry["name"]
            entry["arguments"] += tc.get("function", {}).get("arguments", "")
    assert calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"]) == {"location": "Paris"}
    assert calls[1] == {"name": "magic_function", "arguments": '{"input": 1}', "id": "call_fixed"}


def test_unicode_arguments_are_not_escaped(qwen_omni_emulator):
    tool = {
        "type": "function",
        "function": {
            "name": "unicode_customer",
            "parameters": {
                "type": "object",
                "properties": {
                    "customer_name": {"type": "string"},
                    "description": {"type": "string"},
                },
                "required": ["customer_name", "description"],
            },
        },
    }
    raw_stream(
        qwen_omni_emulator,
        {
            "messages": [user("Create a customer named '你好啊集团' (Hello Group)")],
            "tools": [tool],
            "tool_choice": {"type": "function", "function": {"name": "unicode_customer"}},
        },
    )
    arguments = qwen_omni_emulator.requests.last.tool_calls[0]["arguments"]
    assert "你好啊集团" in arguments
    assert json.loads(arguments)["customer_name"] == "你好啊集团"


def test_max_tokens_truncates_with_finish_reason_length(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("x" * 400))
    stream = raw_stream(qwen_omni_emulator, {"messages": [user("long")], "max_tokens": 10})
    assert stream.text == "x" * 40
    assert stream.choice_chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_stop_sequence_cuts_the_answer(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("Hello you there"))
    stream = raw_stream(qwen_omni_emulator, {"messages": [user("hi")], "stop": ["you"]})
    assert stream.text == "Hello "
    assert stream.choice_chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_scripted_error_reply_is_consumed(qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.error(503), Reply.text("back"))
    client = qwen_omni_emulator.client()
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True
        )
    assert info.value.status_code == 503
    assert info.value.body["code"] == "model_unavailable"
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "back"


def test_models_endpoint_lists_the_catalog(qwen_omni_emulator):
    ids = {m.id for m in qwen_omni_emulator.client().models.list()}
    assert {"qwen3-omni-flash", "qwen-omni-turbo", "qwen3.5-omni-plus"} <= ids
