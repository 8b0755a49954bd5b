"""JSON answers from a model: extract, repair locally, validate against a pydantic model.

Models in JSON mode still wrap objects in code fences, add a sentence before them, leave a
trailing comma, or write Python literals. :func:`parse_model_json` fixes what can be fixed
without guessing (pure functions, no model call) and validates with the pydantic model plus an
optional semantic ``check``; what it cannot fix raises :class:`OutputValidationError` with the
errors phrased so they can be sent back to the model for one corrected answer
(:func:`correction_prompt`). After that retry the tasks raise :class:`InvalidModelOutput`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from qwen_omni.errors import QwenOmniError

__all__ = [
    "InvalidModelOutput",
    "OutputValidationError",
    "correction_prompt",
    "extract_json",
    "parse_model_json",
    "repair_json",
    "schema_prompt",
]

T = TypeVar("T", bound=BaseModel)

#: a structured answer longer than this is refused unread (a runaway or hostile reply)
MAX_ANSWER_CHARS = 200_000

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
_UNQUOTED_KEY = re.compile(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*:)")
_PY_LITERALS = {"True": "true", "False": "false", "None": "null"}


class OutputValidationError(ValueError):
    """The model's answer is not valid JSON for the schema; ``errors`` says why (for the model)."""

    def __init__(self, errors: str, *, raw: str) -> None:
        super().__init__(errors)
        self.errors = errors
        self.raw = raw


class InvalidModelOutput(QwenOmniError):
    """The model answered twice without valid JSON for the schema.

    Attributes:
        errors: what was wrong with the last answer.
        raw: the last answer's text.
        request_ids: the request ids of both attempts (quote them to support).
    """

    def __init__(self, message: str, *, errors: str, raw: str, request_ids: list[str]) -> None:
        super().__init__(message)
        self.errors = errors
        self.raw = raw
        self.request_ids = request_ids


def _balanced(text: str, start: int) -> str | None:
    """The balanced ``{...}`` or ``[...]`` starting at ``start`` (strings respected)."""
    opener = text[start]
    closer = "}" if opener == "{" else "]"
    depth = 0
    in_str: str | None = None
    escape = False
    for i in range(start, len(text)):
        c = text[i]
        if in_str:
            if escape:
                escape = False
            elif c == "\\":
                escape = True
            elif c == in_str:
                in_str = None
            continue
        if c in "\"'":
            in_str = c
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return text[start : i + 1] if c == closer else None
    return None


def extract_json(text: str) -> str:
    """The JSON object (or array) in ``text``: inside a code fence, or the first balanced one.

    Returns the stripped text itself when nothing balanced is found (the parser then reports).
    """
    stripped = text.strip().lstrip("\ufeff")
    fence = _FENCE.search(stripped)
    if fence:
        stripped = fence.group(1).strip()
    if stripped[:1] in ("{", "["):
        whole = _balanced(stripped, 0)
        if whole is not None:
            return whole
    for i, c in enumerate(stripped):
        if c in "{[":
            found = _balanced(stripped, i)
            if found is not None and c == "{":
                return found
    return stripped


def _strip_comments(text: str) -> str:
    out: list[str] = []
    i = 0
    in_str = False
    while i < len(text):
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _single_to_double(text: str) -> str:
    """Turn single-quoted strings into double-quoted ones (only outside double-quoted strings)."""
    out: list[str] = []
    in_double = in_single = False
    i = 0
    while i < len(text):
        c = text[i]
        if in_double:
            out.append(c)
            if c == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_double = False
        elif in_single:
            if c == "\\" and i + 1 < len(text):
                # JSON has no \' escape: an escaped apostrophe is just an apostrophe
                out.append("'" if text[i + 1] == "'" else text[i : i + 2])
                i += 2
                continue
            if c == "'":
                in_single = False
                out.append('"')
            elif c == '"':
                out.append('\\"')
            else:
                out.append(c)
        elif c == '"':
            in_double = True
            out.append(c)
        elif c == "'":
            in_single = True
            out.append('"')
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _replace_outside_strings(text: str, fn: Callable[[str], str]) -> str:
    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    return "".join(p if i % 2 else fn(p) for i, p in enumerate(parts))


def repair_json(text: str) -> str:
    """Fix the usual syntax slips: fences, prose around, comments, smart or single quotes,
    Python literals, unquoted keys, trailing commas. Never invents content."""
    fixed = extract_json(text.translate(_SMART_QUOTES))
    fixed = _strip_comments(fixed)
    if "'" in fixed:
        fixed = _single_to_double(fixed)

    def outside(chunk: str) -> str:
        chunk = _UNQUOTED_KEY.sub(r'\1"\2"\3', chunk)
        for py, js in _PY_LITERALS.items():
            chunk = re.sub(rf"\b{py}\b", js, chunk)
        return _TRAILING_COMMA.sub(r"\1", chunk)

    return _replace_outside_strings(fixed, outside)


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors()[:12]:
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        lines.append(f"- {loc}: {err['msg']}")
    return "\n".join(lines)


def parse_model_json(
    text: str,
    model: type[T],
    *,
    check: Callable[[T], None] | None = None,
) -> tuple[T, bool]:
    """Parse and validate a model's JSON answer: ``(value, repaired)``.

    ``check`` may raise ``ValueError`` for semantic problems (a missing topic…).

    Raises:
        OutputValidationError: not JSON even after repair, or not valid for ``model``.
    """
    if len(text) > MAX_ANSWER_CHARS:
        raise OutputValidationError(
            f"the answer is {len(text):,} characters, over the {MAX_ANSWER_CHARS:,} a structured "
            "answer may take; reply with one short JSON object",
            raw=text[:MAX_ANSWER_CHARS],
        )
    candidate = extract_json(text)
    repaired = False
    try:
        data: Any = json.loads(candidate)
    except RecursionError:
        raise OutputValidationError(
            "the answer nests JSON too deeply to read; reply with one flat JSON object",
            raw=text[:1000],
        ) from None
    except ValueError:
        fixed = repair_json(text)
        try:
            data = json.loads(fixed)
        except RecursionError:
            raise OutputValidationError(
                "the answer nests JSON too deeply to read; reply with one flat JSON object",
                raw=text[:1000],
            ) from None
        except ValueError as exc:
            raise OutputValidationError(
                f"the answer is not valid JSON ({exc}); reply with one JSON object only",
                raw=text,
            ) from None
        repaired = True
    if isinstance(data, list) and len(model.model_fields) == 1:
        # {"mentions": [...]} answered as a bare list: wrap it in the only field.
        data = {next(iter(model.model_fields)): data}
        repaired = True
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        raise OutputValidationError(
            "the JSON does not match the schema:\n" + _describe(exc), raw=text
        ) from None
    if check is not None:
        try:
            check(value)
        except ValueError as exc:
            raise OutputValidationError(str(exc), raw=text) from None
    return value, repaired


def schema_prompt(model: type[BaseModel]) -> str:
    """The JSON schema of ``model``, compact, for a prompt (the word JSON included)."""
    schema = model.model_json_schema()
    return "Answer with one JSON object that matches this JSON schema:\n" + json.dumps(
        schema, ensure_ascii=False, separators=(",", ":")
    )


def correction_prompt(errors: str, model: type[BaseModel]) -> str:
    """The follow-up message that asks for a corrected JSON answer."""
    return (
        "Your previous answer could not be used:\n"
        f"{errors}\n"
        "Reply again with only the corrected JSON object, no prose and no code fence. "
        + schema_prompt(model)
    )
