"""ChatQwenOmni basics: invoke, stream, async, and a video as input.

Runs against the local emulator unless DASHSCOPE_API_KEY is set (then the real service).

    uv run python examples/langchain_chat.py
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni.fallback import service_or_emulator

VIDEO = Path(__file__).parent / "media" / "sample.mp4"


def connection(stack: ExitStack) -> dict[str, Any]:
    """The real service with DASHSCOPE_API_KEY, else a local emulator for this run."""
    return stack.enter_context(service_or_emulator())


async def main_async(llm: ChatQwenOmni) -> None:
    answers = await llm.abatch(["Name a colour.", "Name a fruit."])
    print("abatch:", [a.text[:60] for a in answers])


def main() -> None:
    with ExitStack() as stack:
        llm = ChatQwenOmni(model="qwen3-omni-flash", temperature=0.3, **connection(stack))

        reply = llm.invoke([SystemMessage("Answer in one sentence."), HumanMessage("Hi!")])
        print("invoke:", reply.text)
        print("usage:", reply.usage_metadata)

        print("stream: ", end="")
        for chunk in llm.stream("Write a haiku about rivers."):
            print(chunk.text, end="", flush=True)
        print("\n")

        # A local video: qwen-omni prepares and delivers it (inline or upload) for you.
        question = HumanMessage(
            [
                {"type": "video", "path": str(VIDEO)},
                {"type": "text", "text": "What happens in this clip? Is there sound?"},
            ]
        )
        answer = llm.invoke([question])
        print("video:", answer.text)
        details = (answer.usage_metadata or {}).get("input_token_details", {})
        print("video tokens:", details.get("video"), "audio-track tokens:", details.get("audio"))

        asyncio.run(main_async(llm))


if __name__ == "__main__":
    main()
