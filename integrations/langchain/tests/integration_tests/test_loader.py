"""QwenOmniMediaLoader against the emulator: segments, metadata, transcripts, sync and async."""

from __future__ import annotations

import functools
import http.server
import itertools
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document

from langchain_qwen_omni import QwenOmniMediaLoader


@pytest.fixture(scope="module")
def long_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qwen_omni.media.synthetic import make_video

    root = tmp_path_factory.mktemp("lc-loader")
    # A keyframe every second, so segments can be cut where asked.
    return make_video(root / "talk.mp4", seconds=7, width=160, height=120, fps=10, gop=10)


def _ranges(docs: list[Document]) -> list[tuple[float, float]]:
    return [(d.metadata["start_s"], d.metadata["end_s"]) for d in docs]


def test_a_video_becomes_one_document_per_segment(
    qwen_omni_emulator: Any, long_video: Path
) -> None:
    docs = list(QwenOmniMediaLoader(long_video, segment_seconds=3).lazy_load())
    # The core cuts at keyframes near the requested length (never over the model's limit).
    assert len(docs) >= 2
    ranges = _ranges(docs)
    assert ranges[0][0] == 0.0
    assert ranges[-1][1] == pytest.approx(7.0, abs=0.2)
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert start == pytest.approx(end, abs=1e-3)  # contiguous, no gap, no overlap
    for i, doc in enumerate(docs):
        meta = doc.metadata
        assert (meta["source"], meta["kind"], meta["segment"], meta["segments"]) == (
            str(long_video),
            "video",
            i,
            len(docs),
        )
        assert meta["model"] == "qwen3-omni-flash"
        assert meta["input_tokens"] > 0
        assert meta["output_tokens"] > 0
        assert meta["request_id"]
        # Vector stores take flat metadata: str, int, float, bool only.
        assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())
    # Each segment was sent on its own: the model saw about its duration (a stream-copied cut
    # may run a little past its nominal end, up to the next packet boundary).
    assert len(qwen_omni_emulator.requests.chat()) == len(docs)
    for doc, (start, end) in zip(docs, ranges, strict=True):
        seen = re.search(r"video: ([0-9.]+) s", doc.page_content)
        assert seen is not None
        assert float(seen.group(1)) == pytest.approx(end - start, abs=0.35)


async def test_alazy_load_is_async_and_transcribes_when_asked(
    qwen_omni_emulator: Any, media: dict[str, Path]
) -> None:
    loader = QwenOmniMediaLoader([media["audio"], media["image"]], transcript=True)
    docs = [d async for d in loader.alazy_load()]
    audio, image = docs
    assert audio.metadata["kind"] == "audio"
    assert (audio.metadata["start_s"], audio.metadata["end_s"]) == (
        0.0,
        pytest.approx(2.0, abs=0.05),
    )
    assert audio.metadata["transcript"]
    assert audio.metadata["transcript_model"] == "qwen3-omni-flash"
    assert "\n\nTranscript:\n" in audio.page_content
    assert image.metadata["kind"] == "image"
    assert "start_s" not in image.metadata  # an image has no time range
    assert "transcript" not in image.metadata
    # audio: description + transcript; image: description only
    assert len(qwen_omni_emulator.requests.chat()) == 3


def test_long_audio_is_split_too(qwen_omni_emulator: Any, tmp_path: Path) -> None:
    from qwen_omni.media.synthetic import make_audio

    tone = make_audio(tmp_path / "tone.wav", seconds=5)
    docs = QwenOmniMediaLoader(tone, segment_seconds=2).load()
    assert len(docs) >= 2
    assert {d.metadata["kind"] for d in docs} == {"audio"}
    assert docs[-1].metadata["end_s"] == pytest.approx(5.0, abs=0.1)
    seen = [r.perceived[0] for r in qwen_omni_emulator.requests.chat()]
    assert {p["modality"] for p in seen} == {"audio"}
    assert sum(p["duration_s"] for p in seen) == pytest.approx(5.0, abs=0.2)


def test_custom_prompt_reaches_the_model(qwen_omni_emulator: Any, media: dict[str, Path]) -> None:
    (doc,) = QwenOmniMediaLoader(media["image"], prompt="List the colours.").load()
    body = qwen_omni_emulator.requests.chat()[-1].body
    assert body["messages"][-1]["content"][-1] == {"type": "text", "text": "List the colours."}
    assert "You said: List the colours." in doc.page_content


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(long_video: Path) -> Iterator[str]:
    """The long video over HTTP on loopback (the loader downloads URLs to split them)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(long_video.parent))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{long_video.name}"
    server.shutdown()
    server.server_close()


def test_a_video_url_is_downloaded_and_split(qwen_omni_emulator: Any, served: str) -> None:
    docs = QwenOmniMediaLoader(served, segment_seconds=4).load()
    assert len(docs) >= 2
    assert {d.metadata["source"] for d in docs} == {served}
    assert docs[0].metadata["start_s"] == 0.0
    assert docs[-1].metadata["end_s"] == pytest.approx(7.0, abs=0.2)


def test_missing_file_raises_a_media_error(qwen_omni_emulator: Any, tmp_path: Path) -> None:
    from qwen_omni.errors import MediaNotFoundError

    with pytest.raises(MediaNotFoundError):
        QwenOmniMediaLoader(tmp_path / "nope.mp4").load()
    assert qwen_omni_emulator.requests.chat() == []
