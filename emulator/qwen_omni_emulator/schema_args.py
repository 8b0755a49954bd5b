"""Plausible, schema-valid values from a JSON schema, with hints taken from the prompt.

The default responder uses this to call tools and to answer structured-output requests the way a
cooperative model would: ``magic_function(3)`` in the prompt gives ``{"input": 3}``, a customer
"named '你好啊集团'" gives that name, "the weather in San Francisco, CA" gives that place.
Everything is deterministic: the same schema and prompt always give the same value.

Supported: ``type`` (including lists of types), ``properties``/``required``, ``items``,
``enum``, ``const``, ``default``, ``examples``, ``anyOf``/``oneOf``/``allOf``, local ``$ref``
(``#/$defs/...``, ``#/definitions/...``), ``minimum``/``maximum``, ``minLength``/``maxLength``,
``minItems``, string ``format`` (date, date-time, time, email, uri, uuid).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hints", "value_from_schema"]

_QUOTED = re.compile(r"'([^'\n]{1,200})'|\"([^\"\n]{1,200})\"|「([^」\n]{1,200})」")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_PHRASE = re.compile(
    r"\b(?:in|for|named|called|about|of|at|from|to)\s+([^?.!;:\n]{2,80}?)(?=[?.!;:\n]|$)"
)
_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_DEPTH = 8
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(\S.*?)\s*$", re.M)


@dataclass
class Hints:
    """Values found in the prompt, handed out in order (each used once)."""

    strings: list[str] = field(default_factory=list)
    numbers: list[float] = field(default_factory=list)
    fallback: str = "example"
    #: items of a bulleted list in the prompt ("- pricing"): an array of objects gets one each
    bullets: list[str] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str) -> Hints:
        """Quoted strings, numbers and a "in/for/named …" phrase from ``text``."""
        strings = [next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(text)]
        unquoted = _QUOTED.sub(" ", text)
        strings += [m.group(1).strip() for m in _PHRASE.finditer(unquoted)]
        numbers = [float(m.group(0)) for m in _NUMBER.finditer(unquoted)]
        snippet = " ".join(text.split())[:80]
        bullets = [m.group(1).strip() for m in _BULLET.finditer(text)]
        return cls(strings=strings, numbers=numbers, fallback=snippet or "example", bullets=bullets)

    def take_string(self) -> str | None:
        return self.strings.pop(0) if self.strings else None

    def take_number(self) -> float | None:
        return self.numbers.pop(0) if self.numbers else None


def _resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < _MAX_DEPTH:
        ref = schema["$ref"]
        target: Any = root
        if isinstance(ref, str) and ref.startswith("#/"):
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
        else:
            target = {}
        merged = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **merged}
        seen += 1
    return schema if isinstance(schema, dict) else {}


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        return non_null[0] if non_null else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _number(schema: dict[str, Any], hints: Hints, *, integer: bool) -> int | float:
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    hi = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float | None = hints.take_number()
    if value is None or (lo is not None and value < lo) or (hi is not None and value > hi):
        value = float(lo) if isinstance(lo, (int, float)) else 1.0
        if "exclusiveMinimum" in schema and value == schema["exclusiveMinimum"]:
            value += 1
        if isinstance(hi, (int, float)) and value > hi:
            value = float(hi)
    return int(value) if integer else value


def _string(schema: dict[str, Any], name: str, hints: Hints) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    value = hints.take_string() or (hints.fallback if name else "example")
    min_len = int(schema.get("minLength", 0))
    max_len = schema.get("maxLength")
    if len(value) < min_len:
        value = value + "x" * (min_len - len(value))
    if isinstance(max_len, int):
        value = value[:max_len]
    return value


def value_from_schema(
    schema: dict[str, Any],
    hints: Hints | None = None,
    *,
    name: str = "",
    _root: Any = None,
    _depth: int = 0,
) -> Any:
    """A value valid against ``schema``, preferring the prompt's ``hints``."""
    hints = hints if hints is not None else Hints()
    root = schema if _root is None else _root
    schema = _resolve(schema, root)
    if _depth > _MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            resolved = [_resolve(o, root) for o in options]
            chosen = next((o for o in resolved if _type_of(o) != "null"), resolved[0])
            return value_from_schema(chosen, hints, name=name, _root=root, _depth=_depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for sub in schema["allOf"]:
            sub = _resolve(sub, root)
            props = {**merged.get("properties", {}), **sub.get("properties", {})}
            required = [*merged.get("required", []), *sub.get("required", [])]
            merged = {**merged, **sub, "properties": props, "required": required}
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return value_from_schema(
            {**merged, **rest}, hints, name=name, _root=root, _depth=_depth + 1
        )
    kind = _type_of(schema)
    if kind == "object":
        props = schema.get("properties") or {}
        listed = [k for k in schema.get("required") or () if isinstance(k, str)]
        # Every described key, as a model fills in a form; required keys not described too.
        keys = [*props, *(k for k in listed if k not in props)]
        return {
            key: value_from_schema(
                props.get(key, {}), hints, name=key, _root=root, _depth=_depth + 1
            )
            for key in keys
        }
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        items = schema.get("items", {})
        if isinstance(items, list):  # tuple form
            return [
                value_from_schema(i, hints, name=name, _root=root, _depth=_depth + 1) for i in items
            ]
        if hints.bullets and _type_of(_resolve(items, root)) == "object":
            # "For each topic below: …" — one object per listed item, named after it.
            bullets, hints.bullets = hints.bullets, []
            out = []
            for bullet in bullets:
                hints.strings.insert(0, bullet)
                out.append(
                    value_from_schema(items, hints, name=name, _root=root, _depth=_depth + 1)
                )
            return out
        return [
            value_from_schema(items, hints, name=name, _root=root, _depth=_depth + 1)
            for _ in range(count)
        ]
    if kind == "integer":
        return _number(schema, hints, integer=True)
    if kind == "number":
        return _number(schema, hints, integer=False)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, name, hints)
