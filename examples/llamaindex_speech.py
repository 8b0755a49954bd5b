"""QwenOmni speaks: the reply comes back as text plus an AudioBlock (WAV, 24 kHz mono).

Runs against the local emulator unless DASHSCOPE_API_KEY is set (then the real service).

    uv run python examples/llamaindex_speech.py
"""

import tempfile
from contextlib import ExitStack
from pathlib import Path

from llama_index.core.llms import AudioBlock, ChatMessage

from llama_index.llms.qwen_omni import QwenOmni
from qwen_omni.fallback import service_or_emulator


def endpoint(stack: ExitStack) -> dict:
    """The real service with DASHSCOPE_API_KEY; otherwise a local emulator."""
    return stack.enter_context(service_or_emulator())


def main() -> None:
    with ExitStack() as stack:
        llm = QwenOmni(modalities=["text", "audio"], voice="Cherry", **endpoint(stack))
        pcm_bytes = 0
        for chunk in llm.stream_chat(
            [ChatMessage(role="user", content="Say hello and introduce yourself in one sentence.")]
        ):
            print(chunk.delta, end="", flush=True)
            pcm_bytes += len(chunk.additional_kwargs.get("audio_delta", b""))
        print(f"\n\nstreamed {pcm_bytes:,} bytes of PCM as it was spoken")

        audio = next(b for b in chunk.message.blocks if isinstance(b, AudioBlock))
        target = Path(tempfile.gettempdir()) / "qwen_omni_hello.wav"
        target.write_bytes(audio.resolve_audio().read())
        print(f"saved the spoken reply to {target} ({chunk.raw['audio_seconds']:.1f} s)")


if __name__ == "__main__":
    main()
