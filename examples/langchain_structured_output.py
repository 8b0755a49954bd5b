"""Structured output from a video: a pydantic schema filled by ChatQwenOmni.

``with_structured_output`` uses function calling by default (the schema becomes a forced
tool); ``method="json_mode"`` asks for a JSON object instead. Runs against the local emulator
unless DASHSCOPE_API_KEY is set.

    uv run python examples/langchain_structured_output.py
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni.fallback import service_or_emulator

VIDEO = Path(__file__).parent / "media" / "sample.mp4"


class ClipReport(BaseModel):
    """What a short clip shows."""

    summary: str = Field(description="One sentence about what happens")
    has_speech: bool = Field(description="Whether anyone speaks")
    objects: list[str] = Field(description="Notable objects on screen")


def connection(stack: ExitStack) -> dict[str, Any]:
    """The real service with DASHSCOPE_API_KEY, else a local emulator for this run."""
    return stack.enter_context(service_or_emulator())


def main() -> None:
    with ExitStack() as stack:
        llm = ChatQwenOmni(temperature=0, **connection(stack))
        clip = HumanMessage(
            [
                {"type": "video", "path": str(VIDEO)},
                {"type": "text", "text": "Report on this clip."},
            ]
        )

        report = llm.with_structured_output(ClipReport).invoke([clip])
        print("function calling:", report)

        raw = llm.with_structured_output(ClipReport, include_raw=True).invoke([clip])
        print("tokens:", raw["raw"].usage_metadata)

        as_json = llm.with_structured_output(method="json_mode").invoke(
            "Return JSON with keys 'colour' and 'fruit' for a sunny day."
        )
        print("json mode:", as_json)


if __name__ == "__main__":
    main()
