"""A spoken reply: ChatQwenOmni(modalities=["text", "audio"]) returns text and a WAV.

The audio arrives as a standard ``audio`` content block. Streamed chunks carry it piece by
piece (each piece decodes to whole PCM16 samples, so you can play it as it comes);
``get_audio`` gives the WAV of an invoke result or of merged chunks.

    uv run python examples/langchain_audio_reply.py   # writes reply.wav
"""

from __future__ import annotations

import base64
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessageChunk

from langchain_qwen_omni import ChatQwenOmni, get_audio
from qwen_omni.fallback import service_or_emulator


def connection(stack: ExitStack) -> dict[str, Any]:
    """The real service with DASHSCOPE_API_KEY, else a local emulator for this run."""
    return stack.enter_context(service_or_emulator())


def main() -> None:
    with ExitStack() as stack:
        speaker = ChatQwenOmni(modalities=["text", "audio"], voice="Cherry", **connection(stack))

        merged: AIMessageChunk | None = None
        received = 0
        for chunk in speaker.stream("Say hello and tell me the weather is fine."):
            for block in chunk.content:
                if isinstance(block, dict) and block["type"] == "audio":
                    received += len(base64.b64decode(block["base64"]))  # play this piece here
            merged = chunk if merged is None else merged + chunk
        assert merged is not None
        print("transcript:", merged.text)
        print(f"streamed {received:,} audio bytes")

        wav = get_audio(merged)
        assert wav is not None
        out = Path("reply.wav")
        out.write_bytes(wav)
        seconds = (len(wav) - 44) / (24_000 * 2)
        print(f"wrote {out} ({seconds:.1f} s, 24 kHz mono)")
        print("usage:", merged.usage_metadata)


if __name__ == "__main__":
    main()
