"""Reader documents carry the media digest: docstore upserts skip unchanged media, and with an
analysis cache a re-ingest sends nothing."""

from __future__ import annotations

from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.storage.docstore import SimpleDocumentStore

from llama_index.readers.qwen_omni import QwenOmniMediaReader
from qwen_omni.cache import AnalysisCache
from qwen_omni.media.synthetic import make_image


def test_upserts_skip_unchanged_media(qwen_omni_emulator, tmp_path) -> None:
    emu = qwen_omni_emulator
    pic = make_image(tmp_path / "photo.png", width=64, height=48, content="graphic")
    cache = AnalysisCache(tmp_path / "answers.sqlite3", sampled=True)
    reader = QwenOmniMediaReader(base_url=emu.base_url, api_key=emu.api_key, cache=cache)
    pipeline = IngestionPipeline(
        transformations=[],
        docstore=SimpleDocumentStore(),
        docstore_strategy=DocstoreStrategy.UPSERTS,
    )
    first = pipeline.run(documents=reader.load_data(pic))
    assert len(first) == 1
    assert f"sha256={first[0].metadata['media_sha256'][:16]}" in first[0].id_
    sent = len(emu.requests.chat())

    # Unchanged: the same id and hash, nothing to upsert, and nothing sent (the cache).
    assert pipeline.run(documents=reader.load_data(pic)) == []
    assert len(emu.requests.chat()) == sent

    # New bytes under the same name: a new id, analysed and stored.
    make_image(pic, width=80, height=40, content="photo")
    third = pipeline.run(documents=reader.load_data(pic))
    assert len(third) == 1
    assert third[0].id_ != first[0].id_
    assert len(emu.requests.chat()) == sent + 1
