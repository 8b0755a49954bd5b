"""A spoken reply: the service streams raw 24 kHz PCM; qwen-omni hands you a valid WAV.

Runs against the local emulator unless DASHSCOPE_API_KEY is set.

    uv run python examples/spoken_reply.py
"""

import tempfile
from pathlib import Path

from qwen_omni import OmniClient
from qwen_omni.fallback import service_or_emulator

with service_or_emulator() as conn, OmniClient(**conn) as client:
    reply = client.complete(
        "Say hello to our listeners in one sentence.", modalities=["text", "audio"], voice="Cherry"
    )

target = Path(tempfile.gettempdir()) / "qwen-omni-hello.wav"
reply.save_audio(target)
print(f"{reply.text!r}\n{reply.audio_seconds:.1f} s of speech saved to {target}")
