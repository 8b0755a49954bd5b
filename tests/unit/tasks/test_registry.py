"""The tool registry wrappers iterate over, refusal mapping, and cost arithmetic (no sockets)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import qwen_omni.tasks as tasks_pkg
from qwen_omni.catalog import get_model
from qwen_omni.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MediaFetchError,
    MediaTooLongError,
    QuotaExceededError,
    RateLimitError,
    RequestValidationError,
    ServiceError,
)
from qwen_omni.response import Usage
from qwen_omni.tasks import (
    TOOLS,
    AccessRefused,
    AsyncOmniTasks,
    DidCallMentionInput,
    InvalidModelOutput,
    ToolRefusal,
    get_tool,
    refusal_for,
    to_text,
)
from qwen_omni.tasks.report import cost_cny

EXPECTED_TOOLS = {
    "analyze_video",
    "analyze_image",
    "analyze_audio",
    "did_call_mention",
    "caption_product_video",
    "summarize_long_video",
    "transcribe",
}


def test_public_api_is_pinned():
    assert set(tasks_pkg.__all__) >= {
        "AccessPolicy",
        "AsyncOmniTasks",
        "OmniTasks",
        "TOOLS",
        "ToolDef",
        "ToolRefusal",
        "to_text",
        "Progress",
    }
    for name in tasks_pkg.__all__:
        assert hasattr(tasks_pkg, name), name


def test_every_tool_is_registered_with_schemas_and_a_description():
    assert {t.name for t in TOOLS} == EXPECTED_TOOLS
    for tool in TOOLS:
        schema = tool.input_schema()
        assert schema["type"] == "object"
        assert "source" in schema["properties"]
        assert "source" in schema["required"]
        assert tool.output_schema()["type"] == "object"
        # agents choose tools by description: it must say what to pass
        assert len(tool.description) > 60
        assert "URL" in tool.description
        assert get_tool(tool.name) is tool


def test_unknown_tool_names_list_the_real_ones():
    with pytest.raises(KeyError, match="analyze_video"):
        get_tool("analyse_video")


def test_inputs_refuse_unknown_and_missing_fields():
    tool = get_tool("did_call_mention")
    with pytest.raises(ValidationError):
        tool.parse({"source": "a.mp3"})
    with pytest.raises(ValidationError):
        tool.parse({"source": "a.mp3", "topics": ["x"], "shell": "rm -rf /"})
    with pytest.raises(ValidationError):
        tool.parse({"source": "a.mp3", "topics": []})
    with pytest.raises(ValidationError):
        tool.parse({"source": "a.mp3", "topics": [f"t{i}" for i in range(21)]})
    parsed = tool.parse('{"source": "a.mp3", "topics": ["Pricing", " pricing ", "refund"]}')
    assert isinstance(parsed, DidCallMentionInput)
    assert parsed.topics == ["Pricing", "refund"]  # de-duplicated, caller's spelling kept


def test_language_hint_is_validated():
    tool = get_tool("transcribe")
    assert tool.parse({"source": "a.mp3", "language": "zh-CN"})
    with pytest.raises(ValidationError):
        tool.parse({"source": "a.mp3", "language": "en; drop table"})


async def test_invalid_arguments_become_a_refusal_without_a_request():
    tasks = AsyncOmniTasks(api_key="unused", base_url="http://127.0.0.1:9/compatible-mode/v1")
    result = await get_tool("analyze_video").arun(tasks, {"source": "x.mp4"})
    assert isinstance(result, ToolRefusal)
    assert result.kind == "invalid_arguments"
    assert "question" in result.message
    assert to_text(result).startswith("Tool refused (invalid_arguments)")


async def test_policy_refusal_comes_back_before_any_network_use():
    tasks = AsyncOmniTasks(api_key="unused", base_url="http://127.0.0.1:9/compatible-mode/v1")
    result = await tasks.run_tool(
        "analyze_image", {"source": "/etc/passwd", "question": "what is this?"}
    )
    assert isinstance(result, ToolRefusal)
    assert result.kind == "access_denied"
    assert result.reason == "local_disabled"


@pytest.mark.parametrize(
    ("exc", "kind", "retryable"),
    [
        (AccessRefused("no", reason="hidden"), "access_denied", False),
        (MediaTooLongError("too long"), "media", False),
        (MediaFetchError("cannot download", status_code=400), "media", False),
        (RequestValidationError("bad param", rule="max_tokens"), "request_rejected", False),
        (BadRequestError("bad", status_code=400), "request_rejected", False),
        (RateLimitError("slow down", status_code=429), "service_busy", True),
        (QuotaExceededError("pay", status_code=429), "service_error", False),
        (ServiceError("boom", status_code=500), "service_error", True),
        (APIConnectionError("reset"), "service_error", True),
        (InvalidModelOutput("bad", errors="e", raw="r", request_ids=[]), "model_output", True),
    ],
)
def test_refusal_mapping(exc, kind, retryable):
    refusal = refusal_for(exc)
    assert refusal is not None
    assert refusal.kind == kind
    assert refusal.retryable is retryable


@pytest.mark.parametrize(
    "exc",
    [
        ConfigurationError("no key"),
        AuthenticationError("401", status_code=401),
        TypeError("bug"),
        KeyError("bug"),
        RuntimeError("bug"),
    ],
)
def test_programmer_and_operator_errors_are_not_refusals(exc):
    assert refusal_for(exc) is None


def test_cost_uses_catalog_prices_per_modality():
    spec = get_model("qwen3-omni-flash")
    usage = Usage(
        input_tokens=1_000_000 + 2_000_000 + 500_000,
        input_audio_tokens=2_000_000,
        input_video_tokens=500_000,
        output_tokens=100_000,
    )
    prices = spec.price("beijing")
    assert prices is not None
    expected = (
        1.0 * prices.input_text
        + 2.0 * prices.input_audio
        + 0.5 * prices.input_image_video
        + 0.1 * prices.output_text_multimodal
    )
    assert cost_cny(usage, spec, "beijing", multimodal_input=True) == pytest.approx(expected)
    text_only = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_cny(text_only, spec, "beijing", multimodal_input=False) == pytest.approx(
        prices.input_text + prices.output_text
    )
    spoken = Usage(output_tokens=1_000_000, output_audio_tokens=1_000_000)
    assert cost_cny(spoken, spec, "beijing", multimodal_input=True) == pytest.approx(
        prices.output_audio
    )


def test_cost_is_unknown_without_prices():
    assert (
        cost_cny(Usage(input_tokens=10), get_model("qwen-plus"), None, multimodal_input=False)
        is None
    )


def test_tasks_configuration_is_checked():
    with pytest.raises(ValueError, match="max_concurrency"):
        AsyncOmniTasks(api_key="k", max_concurrency=0)
    with pytest.raises(TypeError):
        AsyncOmniTasks(client=object(), api_key="k")  # type: ignore[arg-type]
    tasks = AsyncOmniTasks(api_key="k")
    assert tasks.model == "qwen3-omni-flash"
    assert tasks.summary_model == "qwen-plus"
    # the segment length never exceeds the model's video limit
    assert tasks.segment_length(None, get_model("qwen3-omni-flash")) == 90.0
    assert tasks.segment_length(600, get_model("qwen3-omni-flash")) == 150
    assert tasks.segment_length(600, get_model("qwen3.5-omni-plus")) == 600
