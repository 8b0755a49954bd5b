"""The default answer when nothing is scripted: a cooperative, deterministic "model".

:func:`default_reply` decides, in this order:

1. **Tool call** when tools are offered and ``tool_choice`` is not ``"none"``:
   a forced function (``{"type": "function", ...}``) is called; otherwise, when the last message is
   from the user, a tool is called if the user's text names it (``get_weather``, or a word of its
   name such as "weather"), or, with ``tool_choice="required"`` (when the emulator accepts it), the
   named tool or the first one. Arguments are generated from the tool's JSON schema
   (:mod:`~qwen_omni_emulator.schema_args`), filled with quoted strings, places and numbers
   taken from the user's text.
2. **Answer to tool results** when the last message is a tool result:
   ``Based on the tool results: get_weather: It's sunny.``
3. **JSON** when ``response_format`` asks for it: a value of the ``json_schema`` if one is given;
   else an object whose keys are the identifiers the prompt quotes (``'setup'`` and
   ``'punchline'``); else ``{"model", "perceived", "prompt"}``.
4. **Perceived report** otherwise, one line per media item (:meth:`PerceivedPart.describe`)::

       I am the qwen-omni emulator (model qwen3-omni-flash). I perceived 2 media item(s):
       1. image: 640x480 png, seen as 640x480, 302 tokens
       2. audio: 3.00 s wav, 38 tokens
       You said: what is in these?

With thinking on, a short ``reasoning_content`` comes first.
"""

from __future__ import annotations

import json
import re
from typing import Any

from qwen_omni_emulator.replies import Reply, ToolCall
from qwen_omni_emulator.request import ChatRequest, message_text
from qwen_omni_emulator.schema_args import Hints, value_from_schema

__all__ = ["default_reply", "perceived_report", "tool_arguments"]

_STOP_WORDS = frozenset(
    {
        "get",
        "set",
        "fetch",
        "do",
        "run",
        "call",
        "tool",
        "the",
        "a",
        "an",
        "my",
        "use",
        "make",
        "and",
        "for",
        "with",
        "from",
        "to",
        "of",
        "by",
        "func",
        "function",
        "fn",
    }
)
_IDENT = re.compile(r"""['"`]([A-Za-z_][A-Za-z0-9_]{0,63})['"`]""")


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    words = re.split(r"[\s_\-.]+", spaced.lower())
    return [w for w in words if len(w) >= 3 and w not in _STOP_WORDS]


def _named_tool(request: ChatRequest, text: str) -> str | None:
    """The tool the user's text names: its full name first, then a word of its name."""
    low = text.lower()
    for name in request.tool_names:
        if name.lower() in low:
            return name
    for name in request.tool_names:
        if any(re.search(rf"\b{re.escape(w)}", low) for w in _name_words(name)):
            return name
    return None


def tool_arguments(function: dict[str, Any], text: str) -> dict[str, Any]:
    """Schema-valid arguments for ``function`` (an OpenAI ``function`` object), from ``text``."""
    schema = function.get("parameters")
    if not isinstance(schema, dict) or not schema:
        return {}
    value = value_from_schema(schema, Hints.from_text(text))
    return value if isinstance(value, dict) else {}


def _tool_call(request: ChatRequest) -> ToolCall | None:
    choice = request.tool_choice
    if not request.tools or choice == "none":
        return None
    text = request.last_user_text
    name: str | None = None
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
    elif request.last_message.get("role") == "user":
        name = _named_tool(request, text)
        if name is None and choice == "required":
            name = request.tool_names[0]
    if name is None:
        return None
    function = request.tool(name) or {}
    return ToolCall.of(name, tool_arguments(function, text))


def _tool_results(request: ChatRequest) -> list[str]:
    """``name: content`` of the tool messages at the end of the conversation."""
    names: dict[str, str] = {}
    for message in request.messages:
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict):
                names[str(call.get("id"))] = str((call.get("function") or {}).get("name", "tool"))
    results: list[str] = []
    for message in reversed(request.messages):
        if message.get("role") != "tool":
            break
        name = message.get("name") or names.get(str(message.get("tool_call_id")), "tool")
        results.append(f"{name}: {message_text(message)}")
    return list(reversed(results))


def perceived_report(request: ChatRequest) -> str:
    """The perceived-media report (see the module docstring for the format)."""
    lines = [
        f"I am the qwen-omni emulator (model {request.model}). "
        + (
            f"I perceived {len(request.perceived)} media item(s):"
            if request.perceived
            else "I perceived no media."
        )
    ]
    lines += [f"{i}. {p.describe()}" for i, p in enumerate(request.perceived, 1)]
    prompt = " ".join(request.last_user_text.split())
    if prompt:
        lines.append(f"You said: {prompt[:500]}")
    return "\n".join(lines)


def _without_json(text: str) -> str:
    """``text`` with embedded JSON objects removed (their keys are not answers)."""
    decoder = json.JSONDecoder()
    out, pos = [], 0
    start = text.find("{")
    while start != -1:
        try:
            _, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        out.append(text[pos:start])
        pos = end
        start = text.find("{", end)
    out.append(text[pos:])
    return "".join(out)


def _schema_in_prompt(text: str) -> dict[str, Any] | None:
    """The last JSON schema written into the prompt ("… matches this JSON schema: {…}").

    Tools that use JSON mode describe the answer's shape in the prompt, as the service's docs
    advise; a real model follows it, so the emulator's default answer does too.
    """
    decoder = json.JSONDecoder()
    found = None
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict) and ("properties" in value or "$defs" in value):
            found = value
        start = text.find("{", end)
    return found


def _json_answer(request: ChatRequest) -> Any:
    text = request.last_user_text
    schema = request.json_schema or _schema_in_prompt(text)
    if schema is not None:
        # A correction turn ("your answer could not be used…") refers to the first question:
        # read the hints from every user message, first to last.
        users = [message_text(m) for m in request.messages if m.get("role") == "user"]
        hints = Hints.from_text(_without_json("\n".join(users) or text))
        if request.perceived:
            # Free-text fields describe what was received, as a model's would.
            hints.fallback = "; ".join(p.describe() for p in request.perceived)[:200]
        return value_from_schema(schema, hints)
    keys = list(dict.fromkeys(_IDENT.findall(text)))
    keys = [k for k in keys if k.lower() != "json"]
    if keys:
        return {k: f"{k} for: {' '.join(text.split())[:60]}" for k in keys}
    return {
        "model": request.model,
        "perceived": [p.to_dict() for p in request.perceived],
        "prompt": text,
    }


def _reasoning(request: ChatRequest) -> str:
    prompt = " ".join(request.last_user_text.split())[:200]
    return (
        f"The user asks: {prompt!r}. There are {len(request.perceived)} media item(s) to "
        "consider. I will answer directly."
    )


def default_reply(request: ChatRequest) -> Reply:
    """The emulator's answer when no reply is scripted and no responder answered."""
    reasoning = _reasoning(request) if request.thinking else ""
    call = _tool_call(request)
    if call is not None:
        return Reply(tool_calls=(call,), reasoning=reasoning)
    if request.last_message.get("role") == "tool":
        answer = "Based on the tool results: " + "; ".join(_tool_results(request))
        return Reply.text(answer, reasoning=reasoning)
    if request.json_mode:
        return Reply.text(json.dumps(_json_answer(request), ensure_ascii=False))
    return Reply.text(perceived_report(request), reasoning=reasoning)
