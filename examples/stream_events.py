"""Stream an answer as typed events: text as it arrives, then the finish reason and usage.

Runs against the local emulator unless DASHSCOPE_API_KEY is set.

    uv run python examples/stream_events.py
"""

from pathlib import Path

from qwen_omni import Finish, OmniClient, TextDelta, UsageEvent, video
from qwen_omni.fallback import service_or_emulator

CLIP = Path(__file__).parent / "media" / "sample.mp4"

with service_or_emulator() as conn, OmniClient(**conn) as client:
    with client.stream([video(CLIP, fps=2), "Describe the clip in two sentences."]) as stream:
        for event in stream:
            if isinstance(event, TextDelta):
                print(event.text, end="", flush=True)
            elif isinstance(event, Finish):
                print(f"\n[finish: {event.reason}]")
            elif isinstance(event, UsageEvent):
                print(f"[usage: {event.usage.total_tokens} tokens]")
    # Everything that arrived, assembled:
    print(f"{len(stream.response.text)} characters of text")
