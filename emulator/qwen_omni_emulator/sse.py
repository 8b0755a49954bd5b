"""Server-sent-event chunks in the shape DashScope streams them (§5).

A chunk is ``data: {json}\\n\\n``. Every chunk of one response shares ``object``, ``created``,
``model`` and ``id``; a choice chunk carries one delta::

    {"choices":[{"delta":{...},"finish_reason":null,"index":0,"logprobs":null}],
     "object":"chat.completion.chunk","usage":null,"created":…,"system_fingerprint":null,
     "model":"qwen3-omni-flash","id":"chatcmpl-…"}

The usage chunk has ``choices: []``; the stream ends with ``data: [DONE]``.

:class:`ChunkEncoder` splits that JSON around the delta once per response, so encoding a delta
is one ``json.dumps`` of the delta and two concatenations: a 5,000-delta stream costs a few ms.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DONE", "ChunkEncoder"]

DONE = b"data: [DONE]\n\n"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class ChunkEncoder:
    """Encodes the chunks of one streamed response."""

    def __init__(self, *, model: str, completion_id: str, created: int) -> None:
        self.model = model
        self.completion_id = completion_id
        self.created = created
        tail = _dumps(
            {
                "object": "chat.completion.chunk",
                "usage": None,
                "created": created,
                "system_fingerprint": None,
                "model": model,
                "id": completion_id,
            }
        )[1:]  # drop the leading "{"
        self._head = b'data: {"choices":[{"delta":'
        self._mid_open = b',"finish_reason":null,"index":0,"logprobs":null}],'
        self._tail = tail.encode() + b"\n\n"
        self._usage_tail = tail.replace('"usage":null,', "", 1)

    def delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        """One choice chunk. ``finish_reason`` goes on the last choice chunk only."""
        if finish_reason is None:
            return self._head + _dumps(delta).encode() + self._mid_open + self._tail
        return (
            b'data: {"choices":[{"finish_reason":'
            + _dumps(finish_reason).encode()
            + b',"delta":'
            + _dumps(delta).encode()
            + b',"index":0,"logprobs":null}],'
            + self._tail
        )

    def content(self, text: str) -> bytes:
        """A ``delta.content`` chunk."""
        return self.delta({"content": text})

    def usage(self, usage: dict[str, Any]) -> bytes:
        """The final usage chunk (``choices: []``), sent when ``include_usage`` is set."""
        return (
            b'data: {"choices":[],"usage":'
            + _dumps(usage).encode()
            + b","
            + self._usage_tail.encode()
            + b"\n\n"
        )

    @staticmethod
    def error(body: dict[str, Any]) -> bytes:
        """An error event inside the stream (``data: {"error": …}``)."""
        return b"data: " + _dumps(body).encode() + b"\n\n"
