"""The media reader against the emulator: segments the model really looked at, then an index
that answers which segment shows what."""

from __future__ import annotations

import re

import pytest
from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr

from llama_index.readers.qwen_omni import QwenOmniMediaReader

COLOURS = ["red", "green", "blue"]


class WordEmbedding(BaseEmbedding):
    """A local, deterministic embedding: a bag of words over a vocabulary learnt as it goes
    (no collisions, no model download, no network)."""

    dim: int = 2048
    _vocab: dict[str, int] = PrivateAttr(default_factory=dict)

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for word in re.findall(r"[a-z]+", text.lower()):
            index = self._vocab.setdefault(word, len(self._vocab))
            vec[index % self.dim] += 1.0
        norm = sum(v * v for v in vec) ** 0.5 or 1.0
        return [v / norm for v in vec]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)


@pytest.fixture
def stripes(tmp_path, colour_video):
    """9 s of video: red, then green, then blue, 3 s each."""
    return colour_video(tmp_path / "stripes.mp4", COLOURS, seconds_each=3)


@pytest.fixture
def reader(qwen_omni_emulator):
    return QwenOmniMediaReader(
        segment_seconds=3, base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key
    )


def colour_at(seconds: float) -> str:
    return COLOURS[min(int(seconds // 3), 2)]


def test_each_segment_describes_what_it_shows(reader, stripes, colour_vision, qwen_omni_emulator):
    docs = reader.load_data(stripes)
    assert len(docs) >= 3
    for doc in docs:
        middle = (doc.metadata["start_time"] + doc.metadata["end_time"]) / 2
        assert f"solid {colour_at(middle)} colour" in doc.text, doc.metadata
    assert docs[-1].metadata["end_time"] == pytest.approx(9.0, abs=0.1)
    assert [r.perceived[0]["kind"] for r in qwen_omni_emulator.requests.chat()] == ["video"] * len(
        docs
    )


async def test_aload_data_matches_load_data(reader, stripes, colour_vision):
    sync_docs = reader.load_data(stripes)
    async_docs = await reader.aload_data(stripes)
    assert [(d.id_, d.text) for d in async_docs] == [(d.id_, d.text) for d in sync_docs]


def test_index_answers_which_segment_shows_what(reader, stripes, colour_vision, qwen_omni_emulator):
    docs = reader.load_data(stripes)
    index = VectorStoreIndex.from_documents(docs, embed_model=WordEmbedding())

    for colour in COLOURS:
        hits = index.as_retriever(similarity_top_k=1).retrieve(f"When is the screen {colour}?")
        meta = hits[0].node.metadata
        assert colour_at((meta["start_time"] + meta["end_time"]) / 2) == colour

    from llama_index.llms.qwen_omni import QwenOmni

    llm = QwenOmni(base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key)
    engine = index.as_query_engine(llm=llm, similarity_top_k=1)
    answer = engine.query("Which part of the video is blue?")
    blue = answer.source_nodes[0].node.metadata
    assert colour_at((blue["start_time"] + blue["end_time"]) / 2) == "blue"
    # The model was given that segment, with its time range, as context.
    prompt = qwen_omni_emulator.requests.chat()[-1].body["messages"][-1]["content"]
    prompt = prompt if isinstance(prompt, str) else str(prompt)
    assert blue["time_range"] in prompt
    assert "solid blue colour" in prompt
    assert blue["time_range"] in str(answer)


def test_simple_directory_reader_with_the_reader(reader, stripes, media, colour_vision, tmp_path):
    folder = stripes.parent
    (folder / "tone.wav").write_bytes(media["audio"].read_bytes())
    docs = SimpleDirectoryReader(
        str(folder), file_extractor=reader.file_extractor(), required_exts=[".mp4", ".wav"]
    ).load_data()
    kinds = sorted({d.metadata["modality"] for d in docs})
    assert kinds == ["audio", "video"]
    audio = [d for d in docs if d.metadata["modality"] == "audio"]
    assert "audio: " in audio[0].text  # the emulator heard it
    assert audio[0].audio_resource.path.name == "tone.wav"
