"""A LlamaIndex FunctionAgent that watches a video through the Qwen-Omni tool spec.

The agent (QwenOmni) decides to call ``analyze_video``; the tool reads the file only because
the access policy allows the media folder. Runs against the local emulator unless
DASHSCOPE_API_KEY is set (then the real service).

    uv run python examples/llamaindex_agent.py
"""

import asyncio
from contextlib import ExitStack
from pathlib import Path

from llama_index.core.agent.workflow import FunctionAgent, ToolCall, ToolCallResult

from llama_index.llms.qwen_omni import QwenOmni
from llama_index.tools.qwen_omni import QwenOmniToolSpec
from qwen_omni.fallback import service_or_emulator
from qwen_omni.tasks import AccessPolicy

MEDIA = Path(__file__).parent / "media"


def endpoint(stack: ExitStack) -> dict:
    """The real service with DASHSCOPE_API_KEY; otherwise a local emulator."""
    return stack.enter_context(service_or_emulator())


async def main() -> None:
    with ExitStack() as stack:
        settings = endpoint(stack)
        tools = QwenOmniToolSpec(policy=AccessPolicy(roots=[MEDIA]), **settings)
        agent = FunctionAgent(
            llm=QwenOmni(**settings),
            tools=tools.to_tool_list(),
            system_prompt="You answer questions about media files with your tools.",
        )
        handler = agent.run("What happens in the video 'sample.mp4'?")
        async for event in handler.stream_events():
            if isinstance(event, ToolCallResult):
                print(f"<- {event.tool_name}: {event.tool_output.content[:200]}…\n")
            elif isinstance(event, ToolCall):
                print(f"-> {event.tool_name}({event.tool_kwargs})")
        print("answer:", await handler)


if __name__ == "__main__":
    asyncio.run(main())
