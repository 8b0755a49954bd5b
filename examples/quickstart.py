"""Ask Qwen-Omni about a video: one call, the whole answer, what it cost.

Runs against the local emulator unless DASHSCOPE_API_KEY is set (then the real service).

    uv run python examples/quickstart.py
"""

from pathlib import Path

from qwen_omni import OmniClient, video
from qwen_omni.fallback import service_or_emulator

CLIP = Path(__file__).parent / "media" / "sample.mp4"

with service_or_emulator() as conn, OmniClient(**conn) as client:
    # The service only streams; complete() streams and assembles the answer for you.
    answer = client.complete([video(CLIP), "What happens in this clip?"])

print(answer.text)
usage = answer.usage
if usage is not None:
    print(
        f"\n{answer.model}: {usage.input_tokens} tokens in (video {usage.input_video_tokens}, "
        f"audio {usage.input_audio_tokens}), {usage.output_tokens} out; request {answer.request_id}"
    )
