"""A LangGraph graph runs a realtime voice turn with the Qwen-Omni toolkit as its tools.

LangChain has no realtime abstraction, so the graph does the wiring: a ``voice`` node speaks to
a Qwen-Omni realtime session (the question goes in as the sound and 1 fps frames of a video),
the model's tool calls become an ``AIMessage`` that LangGraph's ``ToolNode`` runs with
``QwenOmniToolkit``'s tools, and the results go back into the same session for the spoken
answer (saved as ``answer.wav``).

Offline (no DASHSCOPE_API_KEY) the local emulator plays the realtime model: it is scripted to
call ``analyze_video`` as the real model would, and then reads the tool's result back.

    uv run python examples/langgraph_voice.py
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from langchain_qwen_omni import QwenOmniToolkit
from qwen_omni.realtime import AsyncRealtimeSession, feed_file

MEDIA = Path(__file__).parent / "media"
CLIP = MEDIA / "sample.mp4"


@contextmanager
def connection() -> Iterator[dict[str, Any]]:
    """The real service with DASHSCOPE_API_KEY, else a scripted local emulator."""
    if os.environ.get("DASHSCOPE_API_KEY"):
        yield {}
        return
    from qwen_omni.fallback import EMULATOR_NOTICE
    from qwen_omni_emulator import Emulator, RealtimeReply

    print(EMULATOR_NOTICE)
    with Emulator() as emu:
        emu.script_realtime(
            RealtimeReply.tool_call(
                "analyze_video", {"source": str(CLIP), "question": "What happens in it?"}
            )
        )
        yield {"base_url": emu.base_url, "api_key": emu.api_key}


async def run(conn: dict[str, Any]) -> None:
    with ExitStack() as stack:
        toolkit = QwenOmniToolkit(media_roots=[str(MEDIA)], include=["analyze_video"], **conn)
        stack.callback(toolkit.close)
        tools = toolkit.get_tools()
        session = AsyncRealtimeSession(
            model="qwen3.5-omni-plus-realtime",
            instructions=f"Answer with your tools. The video on screen is the file {CLIP}.",
            turn_detection=None,
            tools=[convert_to_openai_tool(t) for t in tools],  # the same definitions as chat
            **conn,
        )
        await session.connect()
        try:

            async def voice(state: MessagesState) -> dict[str, Any]:
                results = []
                for message in reversed(state["messages"]):
                    if not isinstance(message, ToolMessage):
                        break
                    results.append(message)
                if results:  # tool results back into the session, then the spoken answer
                    for message in reversed(results):
                        await session.tool_result(message.tool_call_id, message.text, respond=False)
                    await session.respond()
                else:  # the user's turn: what the camera and microphone picked up
                    await feed_file(session, CLIP, pace=False)
                    await session.commit()
                    await session.respond()
                turn = await session.next_turn()
                if turn.audio_pcm:
                    turn.save_audio("answer.wav")
                calls = [
                    {"name": c.name, "args": json.loads(c.arguments), "id": c.call_id}
                    for c in turn.tool_calls
                ]
                return {"messages": [AIMessage(turn.transcript or turn.text, tool_calls=calls)]}

            graph = StateGraph(MessagesState)
            graph.add_node("voice", voice)
            graph.add_node("tools", ToolNode(tools))
            graph.add_edge(START, "voice")
            graph.add_conditional_edges("voice", tools_condition)
            graph.add_edge("tools", "voice")
            app = graph.compile()
            result = await app.ainvoke({"messages": [HumanMessage("(spoken question)")]})
        finally:
            await session.close()
    for message in result["messages"]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"-> {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            print(f"<- {message.name}: {message.text[:120]}")
    print("spoken answer:", result["messages"][-1].text)


def main() -> None:
    with connection() as conn:
        asyncio.run(run(conn))
    print("saved: answer.wav" if Path("answer.wav").exists() else "no audio")


if __name__ == "__main__":
    main()
