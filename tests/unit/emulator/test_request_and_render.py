"""The gateway's parser, the default responder, schema-driven arguments and rendering (pure)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from qwen_omni_emulator.bodies import ALGO_PREFIX, MSG, ServiceError
from qwen_omni_emulator.perception import PerceivedPart
from qwen_omni_emulator.render import apply_limits, render
from qwen_omni_emulator.replies import Reply
from qwen_omni_emulator.request import ParseOptions, parse_chat_request, text_tokens
from qwen_omni_emulator.responder import default_reply, tool_arguments
from qwen_omni_emulator.schema_args import Hints, value_from_schema
from qwen_omni_emulator.speech import SAMPLE_RATE, pcm_chunks, synthesize


def parse(body: dict[str, Any], **opts: Any):
    full = {"model": "qwen3-omni-flash", "stream": True, **body}
    return parse_chat_request(
        json.dumps(full).encode(), request_id="r-1", headers={}, opts=ParseOptions(**opts)
    )


def refusal(body: dict[str, Any], **opts: Any) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        parse(body, **opts)
    return info.value


def user(*parts: Any) -> dict[str, Any]:
    return {"role": "user", "content": list(parts)}


IMAGE = {"type": "image_url", "image_url": {"url": "https://x/a.png"}, "max_pixels": 1000}


# --- parsing -------------------------------------------------------------------------------------


def test_parts_are_located_with_their_knobs():
    request = parse(
        {
            "messages": [
                {"role": "system", "content": "be brief"},
                user({"type": "text", "text": "look"}, IMAGE),
                user({"type": "video", "video": ["https://x/1.jpg", "https://x/2.jpg"], "fps": 2}),
            ]
        }
    )
    assert [(m.message, m.part, m.kind) for m in request.media] == [
        (1, 1, "image"),
        (2, 0, "frames"),
    ]
    assert request.media[0].options == {"max_pixels": 1000}
    assert request.media[1].urls == ("https://x/1.jpg", "https://x/2.jpg")
    assert request.media[1].modality == "video"
    assert request.last_user_text == ""
    assert request.thinking is False
    assert request.include_usage is False


def test_oss_urls_need_the_resolve_header():
    body = {"messages": [user({"type": "image_url", "image_url": {"url": "oss://d/k.png"}})]}
    assert refusal(body).message == ALGO_PREFIX + MSG.INVALID_URL
    assert parse(body, oss_resolve_header=True).media[0].url == "oss://d/k.png"


@pytest.mark.parametrize("url", ["data:image/png,abc", "ftp://x/a.png", "a.png", "file:///a.png"])
def test_invalid_urls(url):
    body = {"messages": [user({"type": "image_url", "image_url": {"url": url}})]}
    assert refusal(body).message == ALGO_PREFIX + MSG.INVALID_URL


def test_thinking_defaults_on_for_qwen38_and_its_limits_are_not_enforced():
    image = {"type": "image_url", "image_url": {"url": "https://x/a.png"}}
    audio = {"type": "input_audio", "input_audio": {"data": "https://x/a.mp3"}}
    request = parse({"model": "qwen3.8-omni-flash", "messages": [user(image, audio)]})
    assert request.thinking is True
    # qwen3.8's limits are UNCONFIRMED (catalog: confirmed=False); mixed modalities pass
    assert len(request.media) == 2
    off = parse(
        {"model": "qwen3.8-omni-flash", "enable_thinking": False, "messages": [user(image)]}
    )
    assert off.thinking is False


def test_tool_messages_must_answer_a_call():
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ok = parse(
        {
            "messages": [
                user({"type": "text", "text": "x"}),
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "c1", "content": "r"},
            ]
        }
    )
    assert ok.last_message["role"] == "tool"
    wrong = refusal(
        {
            "messages": [
                user({"type": "text", "text": "x"}),
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "other", "content": "r"},
            ]
        }
    )
    assert wrong.message == MSG.TOOL_WITHOUT_CALL


def test_served_models_are_configurable():
    from qwen_omni.catalog import MODELS

    only = {"qwen-omni-turbo": MODELS["qwen-omni-turbo"]}
    assert refusal({"messages": [user()]}, models=only).status == 404
    assert parse({"model": "qwen-omni-turbo", "messages": [user()]}, models=only).spec.family == (
        "qwen-omni-turbo"
    )


def test_text_tokens_are_deterministic():
    assert text_tokens("") == 0
    assert text_tokens("abcd") == 1
    assert text_tokens("abcde") == 2
    assert text_tokens("你好") == 2
    assert text_tokens("你好ab") == 3


# --- schema arguments ---------------------------------------------------------------------------


def test_hints_from_text():
    hints = Hints.from_text("Create a customer named '你好啊集团' (Hello Group) aged 42")
    assert hints.strings[0] == "你好啊集团"
    assert hints.numbers == [42.0]
    assert Hints.from_text("What is the weather in San Francisco, CA?").strings == [
        "San Francisco, CA"
    ]


def test_value_from_schema_handles_refs_unions_and_bounds():
    schema = {
        "type": "object",
        "$defs": {"Color": {"enum": ["red", "blue"]}},
        "properties": {
            "name": {"type": "string", "minLength": 3},
            "count": {"type": "integer", "minimum": 5, "maximum": 9},
            "ratio": {"type": "number"},
            "color": {"$ref": "#/$defs/Color"},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "boolean"}]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "when": {"type": "string", "format": "date"},
            "fixed": {"const": 7},
            "optional": {"type": "string"},
        },
        "required": ["name", "count", "ratio", "color", "maybe", "tags", "when", "fixed"],
    }
    value = value_from_schema(schema, Hints(strings=["ab"], numbers=[100.0, 0.5]))
    assert value == {
        "name": "abx",
        "count": 5,  # 100 is out of range: the minimum instead
        "ratio": 0.5,
        "color": "red",
        "maybe": True,
        "tags": ["example", "example"],
        "when": "2024-01-01",
        "fixed": 7,
        "optional": "example",  # described keys are filled in too, as a model fills a form
    }


def test_tool_arguments_from_the_prompt():
    magic = {
        "name": "magic_function",
        "parameters": {
            "type": "object",
            "properties": {"input": {"type": "integer"}},
            "required": ["input"],
        },
    }
    assert tool_arguments(magic, "What is the value of magic_function(3)?") == {"input": 3}
    assert (
        tool_arguments({"name": "noargs", "parameters": {"type": "object", "properties": {}}}, "x")
        == {}
    )
    assert tool_arguments({"name": "bare"}, "x") == {}


# --- the default responder ------------------------------------------------------------------------

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}


def _ask(text: str, **body: Any):
    request = parse({"messages": [user({"type": "text", "text": text})], **body})
    return default_reply(request)


def test_a_word_of_the_tool_name_triggers_the_call():
    reply = _ask("How is the weather in Paris?", tools=[WEATHER])
    assert reply.tool_calls[0].name == "get_weather"
    assert json.loads(reply.tool_calls[0].arguments) == {"location": "Paris"}


def test_no_call_when_the_tool_is_not_named_or_choice_is_none():
    assert _ask("Hello!", tools=[WEATHER]).tool_calls == ()
    assert _ask("weather?", tools=[WEATHER], tool_choice="none").tool_calls == ()


def test_required_choice_calls_the_first_tool_when_allowed():
    request = parse(
        {
            "messages": [user({"type": "text", "text": "Hello"})],
            "tools": [WEATHER],
            "tool_choice": "required",
        },
        allow_required_tool_choice=True,
    )
    assert default_reply(request).tool_calls[0].name == "get_weather"


def test_thinking_adds_reasoning():
    reply = _ask("why?", enable_thinking=True)
    assert reply.reasoning
    assert "why?" in reply.reasoning
    assert not _ask("why?").reasoning


def test_perceived_report_lists_each_part():
    request = parse({"messages": [user({"type": "text", "text": "what?"}, IMAGE)]})
    request.perceived = [
        PerceivedPart(
            message=0,
            part=1,
            modality="image",
            kind="image",
            via="http",
            format="png",
            size_bytes=10,
            sha256="x",
            width=64,
            height=32,
            seen_width=64,
            seen_height=32,
            tokens=4,
        )
    ]
    text = default_reply(request).content
    assert text.splitlines() == [
        "I am the qwen-omni emulator (model qwen3-omni-flash). I perceived 1 media item(s):",
        "1. image: 64x32 png, seen as 64x32, 4 tokens",
        "You said: what?",
    ]


# --- rendering ----------------------------------------------------------------------------


def _events(rendered) -> list[dict]:
    return [json.loads(c[6:]) for c in rendered.chunks if c != b"data: [DONE]\n\n"]


def test_render_order_and_usage():
    request = parse(
        {
            "messages": [user({"type": "text", "text": "hi"})],
            "stream_options": {"include_usage": True},
        }
    )
    rendered = render(request, Reply.text("abcdef", reasoning="hmm", chunk_chars=3))
    events = _events(rendered)
    deltas = [e["choices"][0]["delta"] for e in events if e["choices"]]
    assert deltas[0] == {"content": None, "role": "assistant", "reasoning_content": ""}
    assert deltas[1] == {"content": None, "reasoning_content": "hmm"}
    assert [d["content"] for d in deltas[2:]] == ["abc", "def", ""]
    assert rendered.finish_index == 4
    assert rendered.chunks[-1] == b"data: [DONE]\n\n"
    assert events[-1]["usage"] == {
        "prompt_tokens": 1,
        "completion_tokens": 3,
        "total_tokens": 4,
        "completion_tokens_details": {"reasoning_tokens": 1, "text_tokens": 2},
        "prompt_tokens_details": {"text_tokens": 1},
    }


def test_render_audio_interleaves_pcm_with_the_transcript():
    request = parse(
        {
            "messages": [user({"type": "text", "text": "hi"})],
            "modalities": ["text", "audio"],
            "audio": {"voice": "Cherry", "format": "wav"},
        }
    )
    rendered = render(request, Reply.text("hello world!", chunk_chars=4), send_done=False)
    deltas = [e["choices"][0]["delta"] for e in _events(rendered)]
    kinds = ["audio" if "audio" in d else "text" for d in deltas[1:-1]]
    assert kinds == ["text", "audio"] * 3
    pcm = b"".join(base64.b64decode(d["audio"]["data"]) for d in deltas if "audio" in d)
    assert pcm == synthesize("hello world!", "Cherry")
    assert rendered.audio_bytes == len(pcm)
    assert rendered.usage["completion_tokens_details"]["audio_tokens"] > 0


def test_speech_is_pcm16_at_24khz_and_deterministic():
    pcm = synthesize("x" * 25, "Cherry")
    assert len(pcm) == 2 * int(2.0 * SAMPLE_RATE)
    assert pcm == synthesize("x" * 25, "Cherry") != synthesize("x" * 25, "Ethan")
    chunks = pcm_chunks(pcm, 3)
    assert b"".join(chunks) == pcm
    assert all(len(c) % 2 == 0 for c in chunks)


def test_limits_leave_explicit_deltas_alone():
    request = parse({"messages": [user()], "max_tokens": 1, "stop": ["b"]})
    assert apply_limits(request, Reply.stream(["abc"])).content == "abc"
    limited = apply_limits(request, Reply.text("aaaa bbbb"))
    assert limited.content == "aaaa"
    assert limited.finish_reason == "length"


def test_json_answer_follows_a_schema_written_in_the_prompt():
    """JSON-mode tools describe the answer's shape in the prompt; the default reply follows it,
    one array item per bulleted line, and keeps following it on a correction turn."""
    from qwen_omni_emulator.responder import _schema_in_prompt

    schema = {
        "type": "object",
        "properties": {
            "mentions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"topic": {"type": "string"}, "mentioned": {"type": "boolean"}},
                    "required": ["topic", "mentioned"],
                },
            }
        },
        "required": ["mentions"],
    }
    import json as _json

    prompt = "For each topic:\n- pricing\n- refund\nAnswer with JSON: " + _json.dumps(schema)
    assert _schema_in_prompt(prompt) == schema
    value = value_from_schema(schema, Hints.from_text(prompt))
    assert [m["topic"] for m in value["mentions"]] == ["pricing", "refund"]
    assert _schema_in_prompt("no schema here {not json}") is None
