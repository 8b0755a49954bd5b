"""``QwenOmniMediaReader`` with a scripted core client: segments, metadata, resources."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from llama_index.core import SimpleDirectoryReader
from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import MetadataMode

from llama_index.readers.qwen_omni import MEDIA_EXTENSIONS, QwenOmniMediaReader
from llama_index.readers.qwen_omni.base import clock
from qwen_omni import content as core
from qwen_omni.errors import MediaNotFoundError


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    from qwen_omni.media.synthetic import make_audio, make_image, make_video

    root = tmp_path_factory.mktemp("reader")
    return {
        "video": make_video(root / "talk.mp4", seconds=7, width=96, height=64, fps=10, gop=10),
        "audio": make_audio(root / "call.wav", seconds=5),
        "image": make_image(root / "shot.png", width=40, height=30),
    }


def reader(sx, **kwargs):
    client = sx.Client(sx.text("A description."))
    return QwenOmniMediaReader(client=client, **kwargs), client


def test_class():
    assert BaseReader.__name__ in [b.__name__ for b in QwenOmniMediaReader.__mro__]


def test_public_api():
    import llama_index.readers.qwen_omni as pkg

    assert pkg.__all__ == ["MEDIA_EXTENSIONS", "QwenOmniMediaReader"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (7, "0:07"), (83.5, "1:23.5"), (3600, "1:00:00"), (59.96, "1:00")],
)
def test_clock(seconds, text):
    assert clock(seconds) == text


def test_video_becomes_one_document_per_segment(sx, files):
    r, client = reader(sx, segment_seconds=3)
    docs = r.load_data(files["video"])

    assert len(docs) == len(client.requests) >= 2
    starts = [d.metadata["start_time"] for d in docs]
    ends = [d.metadata["end_time"] for d in docs]
    assert starts[0] == 0.0
    assert ends[-1] == pytest.approx(7.0, abs=0.05)
    assert starts[1:] == ends[:-1]  # contiguous, no gap, no overlap
    # Cuts fall on keyframes; a short tail may be merged into the last segment (< 2 s more).
    assert all(0 < e - s <= 3.0 + 2.0 for s, e in zip(starts, ends))
    for i, doc in enumerate(docs):
        meta = doc.metadata
        assert meta["segment_index"] == i
        assert meta["segment_count"] == len(docs)
        assert meta["file_name"] == "talk.mp4"
        assert meta["modality"] == "video"
        assert meta["time_range"] == f"{clock(meta['start_time'])}–{clock(meta['end_time'])}"
        assert doc.text == "A description."
        assert doc.video_resource.path == files["video"]
        assert doc.video_resource.mimetype == "video/mp4"
        assert doc.audio_resource is None
    assert len({d.id_ for d in docs}) == len(docs)


def test_each_segment_is_sent_as_a_video_with_its_times(sx, files):
    r, client = reader(sx, segment_seconds=3)
    docs = r.load_data(files["video"])
    for doc, req in zip(docs, client.requests):
        video, prompt = req.messages[0].parts
        assert isinstance(video, core.Video)
        assert video.path is not None
        assert video.path != files["video"]  # the segment, not the whole file
        assert clock(doc.metadata["start_time"]) in prompt.text
        assert clock(doc.metadata["end_time"]) in prompt.text


def test_segments_are_temporary_unless_kept(sx, files, tmp_path):
    r, client = reader(sx, segment_seconds=3)
    r.load_data(files["video"])
    assert not any(req.messages[0].parts[0].path.exists() for req in client.requests)

    kept, _ = reader(sx, segment_seconds=3, segments_dir=tmp_path / "segs")
    docs = kept.load_data(files["video"])
    for doc in docs:
        assert doc.video_resource.path.exists()
        assert doc.video_resource.path.is_relative_to(tmp_path / "segs")


def test_embedding_sees_the_description_and_the_llm_the_times(sx, files):
    r, _ = reader(sx, segment_seconds=3)
    doc = r.load_data(files["video"])[1]
    embed_text = doc.get_content(MetadataMode.EMBED)
    llm_text = doc.get_content(MetadataMode.LLM)
    assert "A description." in embed_text
    assert "segment_count" not in embed_text
    assert "start_time" in llm_text
    assert "time_range" in llm_text
    assert "file_path" not in llm_text


def test_audio_is_transcribed_per_segment(sx, files):
    r, client = reader(sx, segment_seconds=2)
    docs = r.load_data(files["audio"])
    assert len(docs) >= 2
    assert all(d.audio_resource is not None and d.video_resource is None for d in docs)
    part, prompt = client.requests[0].messages[0].parts
    assert isinstance(part, core.Audio)
    assert "Transcribe" in prompt.text


def test_image_is_one_document_without_times(sx, files):
    r, client = reader(sx)
    (doc,) = r.load_data(files["image"])
    assert doc.image_resource.path == files["image"]
    assert "start_time" not in doc.metadata
    assert isinstance(client.requests[0].messages[0].parts[0], core.Image)


def test_lazy_load_asks_one_segment_at_a_time(sx, files):
    r, client = reader(sx, segment_seconds=3)
    docs = r.lazy_load_data(files["video"])
    next(docs)
    assert len(client.requests) == 1
    docs.close()


def test_simple_directory_reader_uses_it_for_media(sx, files, tmp_path):
    (tmp_path / "notes.txt").write_text("plain notes")
    for path in files.values():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    r, client = reader(sx, segment_seconds=30)
    docs = SimpleDirectoryReader(str(tmp_path), file_extractor=r.file_extractor()).load_data()
    by_name = {d.metadata["file_name"]: d for d in docs}
    assert set(by_name) == {"notes.txt", "talk.mp4", "call.wav", "shot.png"}
    assert by_name["talk.mp4"].metadata["file_size"] > 0  # SimpleDirectoryReader's metadata kept
    assert by_name["talk.mp4"].metadata["modality"] == "video"
    assert by_name["notes.txt"].text == "plain notes"
    assert len(client.requests) == 3
    assert ".mp4" in MEDIA_EXTENSIONS
    assert ".wav" in MEDIA_EXTENSIONS


def test_remote_filesystem(sx, files):
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/bucket/talk.mp4", files["video"].read_bytes())
    r, _client = reader(sx, segment_seconds=30)
    (doc,) = r.load_data("/bucket/talk.mp4", fs=fs)
    assert doc.metadata["file_path"] == "/bucket/talk.mp4"
    assert doc.video_resource.path is None  # the local copy was temporary
    assert doc.metadata["end_time"] == pytest.approx(7.0, abs=0.05)


def test_missing_file_raises(sx, tmp_path):
    r, _ = reader(sx)
    with pytest.raises(MediaNotFoundError):
        r.load_data(tmp_path / "nope.mp4")


async def test_aload_data_describes_segments_concurrently(sx, files):
    aclient = sx.AsyncClient(sx.text("seg"), delay=0.05)  # 5 events: 0.25 s per segment
    r = QwenOmniMediaReader(async_client=aclient, segment_seconds=2, max_concurrency=8)
    start = time.perf_counter()
    docs = await r.aload_data(files["video"])
    elapsed = time.perf_counter() - start
    assert len(docs) >= 3
    assert [d.metadata["segment_index"] for d in docs] == list(range(len(docs)))
    assert elapsed < 0.25 * len(docs) * 0.7, elapsed


async def test_aload_data_respects_max_concurrency(sx, files):
    class Counting(sx.AsyncClient):
        running = peak = 0

        async def _run(self, req, builder):
            Counting.running += 1
            Counting.peak = max(Counting.peak, Counting.running)
            try:
                async for event in super()._run(req, builder):
                    yield event
            finally:
                Counting.running -= 1

    r = QwenOmniMediaReader(
        async_client=Counting(sx.text("seg"), delay=0.01), segment_seconds=2, max_concurrency=2
    )
    docs = await r.aload_data(files["video"])
    assert len(docs) >= 3
    assert Counting.peak == 2


def test_bad_settings():
    with pytest.raises(ValueError, match="segment_seconds"):
        QwenOmniMediaReader(segment_seconds=0)
    with pytest.raises(TypeError, match="either"):
        QwenOmniMediaReader(client=object(), api_key="k")  # type: ignore[arg-type]
