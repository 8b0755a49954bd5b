"""Serve the tools over MCP and call one with the official MCP client (stdio).

The server only reads local files under the roots you allow (here: examples/media), and
refuses private and metadata URLs: an agent's arguments are untrusted. Runs the server
against the local emulator unless DASHSCOPE_API_KEY is set.

    uv run python examples/mcp_server.py
"""

import asyncio
import os
import sys
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from qwen_omni.fallback import service_or_emulator

MEDIA = Path(__file__).parent / "media"


async def main(conn: dict) -> None:
    args = ["-m", "qwen_omni.mcp_server", "--root", str(MEDIA)]
    if conn:
        args += ["--base-url", conn["base_url"]]
    env = {**os.environ, **({"DASHSCOPE_API_KEY": conn["api_key"]} if conn else {})}
    server = StdioServerParameters(command=sys.executable, args=args, env=env)
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        print("tools:", ", ".join(t.name for t in tools.tools))
        ok = await session.call_tool(
            "analyze_video", {"source": "sample.mp4", "question": "What happens?"}
        )
        print("analyze_video →", ok.content[0].text[:300])
        refused = await session.call_tool(
            "analyze_video", {"source": "/etc/passwd", "question": "What is this?"}
        )
        print("a path outside the root →", refused.content[0].text)


with service_or_emulator() as conn:
    asyncio.run(main(conn))
