"""JSON answers: extraction, local repair, validation, and what is sent back to the model."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from qwen_omni.tasks.jsonout import (
    OutputValidationError,
    correction_prompt,
    extract_json,
    parse_model_json,
    repair_json,
    schema_prompt,
)
from qwen_omni.tasks.tools.mention import MentionAnswer, _checker, parse_clock


class Caption(BaseModel):
    title: str
    tags: list[str]


@pytest.mark.parametrize(
    "text",
    [
        '{"title": "a", "tags": ["x"]}',
        '```json\n{"title": "a", "tags": ["x"]}\n```',
        'Sure! Here is the JSON:\n{"title": "a", "tags": ["x"]}\nHope this helps.',
        '```\n{"title": "a", "tags": ["x"]}```',
    ],
)
def test_clean_json_in_various_wrappings(text):
    value, repaired = parse_model_json(text, Caption)
    assert value == Caption(title="a", tags=["x"])
    assert repaired is False


@pytest.mark.parametrize(
    "text",
    [
        "{'title': 'a', 'tags': ['x',],}",
        '{title: "a", tags: ["x"]}',
        '{"title": "a", // the title\n "tags": ["x"] /* list */}',
        "{“title”: “a”, “tags”: [“x”]}",
        '{"title": "a", "tags": ["x"],}',
    ],
)
def test_syntax_slips_are_repaired_locally(text):
    value, repaired = parse_model_json(text, Caption)
    assert value == Caption(title="a", tags=["x"])
    assert repaired is True


def test_python_literals_and_apostrophes_inside_strings_survive():
    fixed = repair_json("{'a': True, 'b': None, 'c': \"it's fine\", 'd': 'don\\'t'}")
    assert json.loads(fixed) == {"a": True, "b": None, "c": "it's fine", "d": "don't"}


def test_literals_inside_strings_are_not_rewritten():
    fixed = repair_json('{"note": "True story, None left", "ok": True,}')
    assert json.loads(fixed) == {"note": "True story, None left", "ok": True}


def test_a_bare_list_is_wrapped_into_the_single_field():
    value, repaired = parse_model_json(
        '[{"topic": "pricing", "mentioned": false, "confidence": 0.8}]', MentionAnswer
    )
    assert value.mentions[0].topic == "pricing"
    assert repaired is True


def test_not_json_raises_with_a_message_for_the_model():
    with pytest.raises(OutputValidationError) as info:
        parse_model_json("I cannot watch videos, sorry.", Caption)
    assert "not valid JSON" in info.value.errors
    assert info.value.raw == "I cannot watch videos, sorry."


def test_schema_mismatch_lists_the_fields():
    with pytest.raises(OutputValidationError) as info:
        parse_model_json('{"title": 3}', Caption)
    assert "title" in info.value.errors
    assert "tags" in info.value.errors


def test_semantic_check_failures_are_output_errors():
    check = _checker(["pricing", "refund"], duration=60.0)
    answer = json.dumps(
        {
            "mentions": [
                {"topic": "Pricing", "mentioned": True, "evidence": "", "confidence": 0.9},
                {"topic": "warranty", "mentioned": False, "confidence": 0.9},
            ]
        }
    )
    with pytest.raises(OutputValidationError) as info:
        parse_model_json(answer, MentionAnswer, check=check)
    errors = info.value.errors
    assert "missing topics: ['refund']" in errors
    assert "warranty" in errors
    assert "no quoted evidence" in errors


def test_time_after_the_end_is_rejected():
    check = _checker(["pricing"], duration=30.0)
    answer = (
        '{"mentions": [{"topic": "pricing", "mentioned": true, "evidence": "ten dollars", '
        '"time_s": "5:00", "confidence": 0.7}]}'
    )
    with pytest.raises(OutputValidationError, match="after the end"):
        parse_model_json(answer, MentionAnswer, check=check)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(83, 83.0), ("83", 83.0), ("1:23", 83.0), ("01:02:03", 3723.0), ("12.5s", 12.5), ("", None)],
)
def test_clock_values(value, seconds):
    assert parse_clock(value) == seconds


def test_extract_json_finds_the_object_after_prose_with_braces_in_strings():
    text = 'Answer: {"a": "}{", "b": [1, {"c": 2}]} trailing'
    assert json.loads(extract_json(text)) == {"a": "}{", "b": [1, {"c": 2}]}


def test_prompts_mention_json_and_carry_the_schema():
    prompt = schema_prompt(Caption)
    assert "JSON" in prompt
    assert '"tags"' in prompt
    follow_up = correction_prompt("- tags: Field required", Caption)
    assert "tags: Field required" in follow_up
    assert "JSON" in follow_up
