"""Structured output from a video with QwenOmni: ``as_structured_llm`` returns a pydantic
object (through a forced tool call, since Qwen-Omni calls functions).

Runs against the local emulator unless DASHSCOPE_API_KEY is set (then the real service).

    uv run python examples/llamaindex_structured.py
"""

from contextlib import ExitStack
from pathlib import Path

from llama_index.core.llms import ChatMessage, TextBlock, VideoBlock
from pydantic import BaseModel, Field

from llama_index.llms.qwen_omni import QwenOmni
from qwen_omni.fallback import service_or_emulator

VIDEO = Path(__file__).parent / "media" / "sample.mp4"


class ClipFacts(BaseModel):
    """Facts about a video clip."""

    summary: str = Field(description="One sentence: what happens.")
    objects: list[str] = Field(description="Things that can be seen.")
    has_speech: bool = Field(description="True if someone speaks.")


def endpoint(stack: ExitStack) -> dict:
    """The real service with DASHSCOPE_API_KEY; otherwise a local emulator."""
    return stack.enter_context(service_or_emulator())


def main() -> None:
    with ExitStack() as stack:
        sllm = QwenOmni(**endpoint(stack)).as_structured_llm(ClipFacts)
        reply = sllm.chat(
            [
                ChatMessage(
                    role="user",
                    blocks=[VideoBlock(path=VIDEO), TextBlock(text="Extract the facts.")],
                )
            ]
        )
        facts: ClipFacts = reply.raw
        print(facts.model_dump_json(indent=2))


if __name__ == "__main__":
    main()
