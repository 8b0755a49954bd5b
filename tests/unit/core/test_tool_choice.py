"""The one tool_choice policy (qwen_omni.rules.resolve_tool_choice) and the core's own check.

Reference §2: DashScope's tool_choice is "auto", "none" or one forced function; no "required";
no forced choice in thinking mode. A vLLM endpoint accepts "required".
"""

from __future__ import annotations

import warnings

import pytest

from qwen_omni import OmniClient, RequestValidationError, get_model
from qwen_omni.rules import resolve_tool_choice

FLASH = get_model("qwen3-omni-flash")  # hybrid thinking, off unless asked
PLUS = get_model("qwen3.5-omni-plus")
THINKER = get_model("qwen3.8-omni-flash")  # thinking on by default
FORCED_A = {"type": "function", "function": {"name": "a"}}


@pytest.mark.parametrize(
    ("choice", "names", "expected"),
    [
        (None, ["a"], None),
        (False, ["a"], None),
        ("auto", ["a", "b"], "auto"),
        ("none", ["a"], "none"),
        ("a", ["a", "b"], FORCED_A),
        (FORCED_A, ["a", "b"], FORCED_A),
        ("required", ["a"], FORCED_A),
        ("any", ["a"], FORCED_A),
        (True, ["a"], FORCED_A),
    ],
)
def test_choices_that_need_no_downgrade(choice, names, expected) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_tool_choice(choice, names, spec=FLASH) == expected


@pytest.mark.parametrize("choice", ["required", "any", True])
def test_a_required_call_among_several_tools(choice) -> None:
    with pytest.warns(UserWarning, match="DashScope has no tool_choice='required'"):
        assert resolve_tool_choice(choice, ["a", "b"], spec=PLUS) == "auto"
    assert resolve_tool_choice(choice, ["a", "b"], spec=PLUS, dialect="vllm") == "required"


def test_thinking_forces_nothing() -> None:
    with pytest.warns(UserWarning, match="thinking mode allows no forced"):
        assert resolve_tool_choice(True, ["a"], spec=FLASH, enable_thinking=True) == "auto"
    with pytest.warns(UserWarning, match="thinking"):
        assert resolve_tool_choice("required", ["a"], spec=THINKER) == "auto"
    assert resolve_tool_choice(True, ["a"], spec=THINKER, enable_thinking=False) == FORCED_A


@pytest.mark.parametrize(
    ("choice", "names", "match"),
    [
        ("nope", ["a"], "names no bound tool; bound: a"),
        ({"type": "function", "function": {"name": "zz"}}, ["a"], "names no bound tool"),
        ({"type": "tool"}, ["a"], "not a function choice"),
        ("required", [], "no tools are bound"),
        (3, ["a"], "unsupported tool_choice"),
    ],
)
def test_refusals_name_the_fix(choice, names, match) -> None:
    with pytest.raises(RequestValidationError, match=match):
        resolve_tool_choice(choice, names, spec=FLASH)


TOOLS = [
    {"type": "function", "function": {"name": "a", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "b", "parameters": {"type": "object"}}},
]


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"tool_choice": "required"}, "tool_choice_required"),
        ({"tool_choice": "a"}, "tool_choice"),
        ({"tool_choice": {"type": "function", "function": {"name": "c"}}}, "tool_choice_tools"),
        ({"tool_choice": FORCED_A, "enable_thinking": True}, "tool_choice_thinking"),
    ],
)
def test_the_core_refuses_what_dashscope_refuses(kwargs, rule) -> None:
    client = OmniClient(api_key="k", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(RequestValidationError) as info:
        client.stream("hi", tools=TOOLS, **kwargs)
    assert info.value.rule == rule


def test_vllm_takes_required() -> None:
    client = OmniClient(api_key="k", base_url="http://127.0.0.1:9/v1", dialect="vllm")
    stream = client.stream("hi", tools=TOOLS, tool_choice="required")  # checked, not sent
    stream.close()
