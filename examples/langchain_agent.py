"""A LangChain agent with ChatQwenOmni and the Qwen-Omni toolkit answers a question about a
video by calling ``analyze_video``.

Tools only read local files under ``media_roots`` (and public URLs): the agent's arguments are
untrusted. Runs against the local emulator unless DASHSCOPE_API_KEY is set.

    uv run python examples/langchain_agent.py
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage

from langchain_qwen_omni import ChatQwenOmni, QwenOmniToolkit
from qwen_omni.fallback import service_or_emulator

MEDIA = Path(__file__).parent / "media"


def connection(stack: ExitStack) -> dict[str, Any]:
    """The real service with DASHSCOPE_API_KEY, else a local emulator for this run."""
    return stack.enter_context(service_or_emulator())


def main() -> None:
    with ExitStack() as stack:
        conn = connection(stack)
        toolkit = QwenOmniToolkit(media_roots=[str(MEDIA)], **conn)
        stack.callback(toolkit.close)
        agent = create_agent(
            ChatQwenOmni(**conn),
            toolkit.get_tools(),
            system_prompt="You answer questions about media files with your tools.",
        )
        question = f"Use analyze_video: what happens in the video '{MEDIA / 'sample.mp4'}'?"
        result = agent.invoke({"messages": [("user", question)]})
        for message in result["messages"]:
            if isinstance(message, AIMessage) and message.tool_calls:
                for call in message.tool_calls:
                    print(f"-> {call['name']}({call['args']})")
            elif isinstance(message, ToolMessage):
                sent = getattr(message.artifact, "sent", None)
                print(
                    f"<- {message.name} [{message.status}]",
                    f"cost: {sent.cost_cny}" if sent else "",
                )
        print("\nanswer:", result["messages"][-1].text)


if __name__ == "__main__":
    main()
