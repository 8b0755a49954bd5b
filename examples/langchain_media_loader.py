"""Media → Documents → a vector store: QwenOmniMediaLoader describes each video segment.

Each document carries its source, segment, start and end seconds, model and tokens, so a
search hit points at a moment in the video. Runs against the local emulator unless
DASHSCOPE_API_KEY is set (the embedding here is a deterministic fake: swap in your own).

    uv run python examples/langchain_media_loader.py
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_qwen_omni import QwenOmniMediaLoader
from qwen_omni.fallback import service_or_emulator

VIDEO = Path(__file__).parent / "media" / "sample.mp4"


def connection(stack: ExitStack) -> dict[str, Any]:
    """The real service with DASHSCOPE_API_KEY, else a local emulator for this run."""
    return stack.enter_context(service_or_emulator())


def main() -> None:
    with ExitStack() as stack:
        loader = QwenOmniMediaLoader(VIDEO, segment_seconds=3, transcript=True, **connection(stack))
        docs = asyncio.run(loader.aload())  # segments are described concurrently
        for doc in docs:
            m = doc.metadata
            print(
                f"[{m['start_s']:5.1f}-{m['end_s']:5.1f} s] {m['input_tokens']:>5} tokens in  "
                f"{doc.page_content[:70]!r}"
            )

        store = InMemoryVectorStore(DeterministicFakeEmbedding(size=256))
        store.add_documents(docs)
        (hit,) = store.similarity_search("what is said at the start?", k=1)
        print(f"\nbest hit: {hit.metadata['source']} at {hit.metadata['start_s']} s")


if __name__ == "__main__":
    main()
