"""The agent tools as plain function calls: analyze, did the call mention…, caption, summarize.

Direct calls are your own and read the files you name; an agent's calls go through the
access policy (see examples/mcp_server.py). Runs against the local emulator unless
DASHSCOPE_API_KEY is set.

    uv run python examples/agent_tools.py
"""

from pathlib import Path

from qwen_omni.fallback import service_or_emulator
from qwen_omni.tasks import OmniTasks

CLIP = str(Path(__file__).parent / "media" / "sample.mp4")


def show(progress) -> None:
    print(f"  … {progress.stage}: {progress.message}")


with service_or_emulator() as conn, OmniTasks(**conn) as tasks:
    print(tasks.analyze_video(CLIP, "What is shown?").to_text(), end="\n\n")
    print(tasks.did_call_mention(CLIP, ["pricing", "delivery dates"]).to_text(), end="\n\n")
    print(tasks.caption_product_video(CLIP).to_text(), end="\n\n")
    summary = tasks.summarize_long_video(CLIP, segment_seconds=10, progress=show)
    print(summary.to_text())
