"""Index a video by time: QwenOmniMediaReader writes one Document per segment, a
VectorStoreIndex finds the segment that answers a question, QwenOmni answers with its time.

Runs against the local emulator unless DASHSCOPE_API_KEY is set (then the real service). The
embedding here is a small local stand-in so the example needs no other service; use any
LlamaIndex embedding model in practice.

    uv run python examples/llamaindex_reader_index.py
"""

import re
from contextlib import ExitStack
from pathlib import Path

from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr

from llama_index.llms.qwen_omni import QwenOmni
from llama_index.readers.qwen_omni import QwenOmniMediaReader
from qwen_omni.fallback import service_or_emulator

VIDEO = Path(__file__).parent / "media" / "sample.mp4"


class WordEmbedding(BaseEmbedding):
    """Bag of words over a vocabulary learnt as it goes: local and deterministic."""

    _vocab: dict = PrivateAttr(default_factory=dict)

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * 1024
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            vec[self._vocab.setdefault(word, len(self._vocab)) % 1024] += 1.0
        norm = sum(v * v for v in vec) ** 0.5 or 1.0
        return [v / norm for v in vec]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)


def endpoint(stack: ExitStack) -> dict:
    """The real service with DASHSCOPE_API_KEY; otherwise a local emulator."""
    return stack.enter_context(service_or_emulator())


def main() -> None:
    with ExitStack() as stack:
        settings = endpoint(stack)
        reader = QwenOmniMediaReader(segment_seconds=2, **settings)
        docs = reader.load_data(VIDEO)
        for doc in docs:
            first_line = doc.text.splitlines()[0][:90]
            print(f"[{doc.metadata['time_range']}] {first_line}")

        index = VectorStoreIndex.from_documents(docs, embed_model=WordEmbedding())
        engine = index.as_query_engine(llm=QwenOmni(**settings), similarity_top_k=1)
        answer = engine.query("What happens at the end of the clip?")
        hit = answer.source_nodes[0].node.metadata
        print(f"\nbest segment: {hit['time_range']}\nanswer: {str(answer)[:300]}")


if __name__ == "__main__":
    main()
