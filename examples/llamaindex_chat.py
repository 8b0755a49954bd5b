"""QwenOmni in LlamaIndex: ask about a video, stream the answer (sync and async).

Runs against the local emulator unless DASHSCOPE_API_KEY is set (then the real service).

    uv run python examples/llamaindex_chat.py
"""

import asyncio
from contextlib import ExitStack
from pathlib import Path

from llama_index.core.llms import ChatMessage, TextBlock, VideoBlock

from llama_index.llms.qwen_omni import QwenOmni
from qwen_omni.fallback import service_or_emulator

VIDEO = Path(__file__).parent / "media" / "sample.mp4"


def endpoint(stack: ExitStack) -> dict:
    """The real service with DASHSCOPE_API_KEY; otherwise a local emulator."""
    return stack.enter_context(service_or_emulator())


def main() -> None:
    with ExitStack() as stack:
        llm = QwenOmni(model="qwen3-omni-flash", **endpoint(stack))
        question = ChatMessage(
            role="user",
            blocks=[
                VideoBlock(path=VIDEO, fps=2),  # a local file: qwen-omni delivers it
                TextBlock(text="What happens in this clip, and what can be heard?"),
            ],
        )

        print("stream_chat:")
        for chunk in llm.stream_chat([question]):
            print(chunk.delta, end="", flush=True)
        print(f"\n\nusage: {chunk.raw['usage']}\n")

        async def ask_async() -> None:
            reply = await llm.achat([question])
            print("achat:", reply.message.content.splitlines()[0])

        asyncio.run(ask_async())


if __name__ == "__main__":
    main()
