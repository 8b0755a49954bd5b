"""``QwenOmniToolSpec``: the tool list, schemas and descriptions, and refusals (no network)."""

from __future__ import annotations

import inspect

import pytest
from llama_index.core.tools.tool_spec.base import BaseToolSpec

from llama_index.tools.qwen_omni import QwenOmniToolSpec
from qwen_omni.tasks import TOOLS, AccessPolicy, get_tool

NAMES = [
    "analyze_video",
    "analyze_image",
    "analyze_audio",
    "did_call_mention",
    "caption_product_video",
    "summarize_long_video",
    "transcribe",
]


@pytest.fixture
def spec(tmp_path):
    spec = QwenOmniToolSpec(
        policy=AccessPolicy(roots=[tmp_path]), api_key="k", base_url="http://127.0.0.1:9/v1"
    )
    yield spec
    spec.close()


def test_class():
    assert BaseToolSpec.__name__ in [b.__name__ for b in QwenOmniToolSpec.__mro__]


def test_public_api():
    import llama_index.tools.qwen_omni as pkg

    assert pkg.__all__ == ["QwenOmniToolSpec"]


def test_every_task_is_a_tool_with_sync_and_async(spec):
    tools = spec.to_tool_list()
    assert [t.metadata.name for t in tools] == NAMES
    assert sorted(NAMES) == sorted(t.name for t in TOOLS)  # nothing of the registry is missing
    for tool in tools:
        assert tool.fn is not None
        assert tool.async_fn is not None
        assert not inspect.iscoroutinefunction(tool.fn)
        assert inspect.iscoroutinefunction(tool.async_fn)


def test_descriptions_and_schemas_are_the_tasks_own(spec):
    for tool in spec.to_tool_list():
        task = get_tool(tool.metadata.name)
        assert tool.metadata.fn_schema is task.input_model
        assert task.description in tool.metadata.description
        openai_tool = tool.metadata.to_openai_tool()
        params = openai_tool["function"]["parameters"]
        assert set(params["properties"]) == set(task.input_model.model_fields)
        # Field descriptions reach the model (e.g. what a "source" may be).
        assert params["properties"]["source"]["description"]


def test_method_signatures_match_the_input_models():
    for name in NAMES:
        fields = set(get_tool(name).input_model.model_fields)
        for method in (name, f"a{name}"):
            params = set(inspect.signature(getattr(QwenOmniToolSpec, method)).parameters) - {"self"}
            assert params == fields, method


def test_default_policy_refuses_local_files_with_guidance():
    spec = QwenOmniToolSpec(api_key="k", base_url="http://127.0.0.1:9/v1")
    try:
        text = spec.analyze_video("/etc/passwd", "what is shown?")
    finally:
        spec.close()
    assert text.startswith("Tool refused (access_denied)")


async def test_async_refusal_outside_the_roots(spec):
    text = await spec.aanalyze_image("/etc/hostname", "what?")
    assert text.startswith("Tool refused (access_denied)")
    assert "outside the allowed media directories" in text


def test_invalid_arguments_come_back_as_guidance(spec):
    text = spec.did_call_mention("call.wav", [])
    assert text.startswith("Tool refused (invalid_arguments)")
    assert "topics" in text


def test_unknown_schema_name_is_an_error(spec):
    with pytest.raises(ValueError, match="not a Qwen-Omni tool"):
        spec.get_fn_schema_from_fn_name("delete_everything")
