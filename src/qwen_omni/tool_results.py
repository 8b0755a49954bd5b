"""Pure: media a tool returned moves out of the tool message into user messages that follow.

The chat-completions ``tool`` role carries text only, and the model perceives media only in user
messages (reference §2). A tool that returns a screenshot or a clip must therefore not have it
pasted into its result as base64 text (a 615 KB PNG becomes ~820,000 characters, far past the
context window and billed as text): the tool message keeps the text, and each medium follows
the run of tool results as its own user message, labelled with the call it came from (one per
medium, so the one-modality-per-message rule of Qwen3-Omni-Flash holds).

This is the one place that decision lives; ``ChatQwenOmni`` and ``QwenOmni`` both call
:func:`lift_tool_media` on the core messages they convert.
"""

from __future__ import annotations

from collections.abc import Iterable

from qwen_omni.content import Message, Part, Text

__all__ = ["lift_tool_media", "tool_media_label"]


def tool_media_label(call_id: str | None) -> str:
    """The text that introduces a medium returned by tool call ``call_id``."""
    return f"(media returned by tool call {call_id or '?'})"


def lift_tool_media(messages: Iterable[Message]) -> list[Message]:
    """``messages`` with media in ``tool`` messages moved after the run of tool results.

    A tool message keeps its text parts joined by newlines; each of its media parts becomes a
    ``user`` message ``(label, medium)`` placed after the last consecutive tool message (tool
    results must directly follow the assistant's calls). Other messages pass unchanged.
    """
    out: list[Message] = []
    pending: list[tuple[str | None, Part]] = []

    def flush() -> None:
        for call_id, part in pending:
            out.append(Message(role="user", content=(Text(text=tool_media_label(call_id)), part)))
        pending.clear()

    for message in messages:
        if message.role != "tool":
            flush()
            out.append(message)
            continue
        if isinstance(message.content, str):
            out.append(message)
            continue
        texts = [p.text for p in message.content if isinstance(p, Text)]
        media = [p for p in message.content if not isinstance(p, Text)]
        pending.extend((message.tool_call_id, p) for p in media)
        out.append(message.model_copy(update={"content": "\n".join(texts)}))
    flush()
    return out
