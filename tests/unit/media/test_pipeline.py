"""The encode worker (decode and encode overlap) and the prepare_media dispatcher."""

from __future__ import annotations

import threading

import pytest

from qwen_omni.media import prepare_media
from qwen_omni.media._pipeline import EncodeWorker, transpose_filters


class FakeOut:
    def __init__(self):
        self.muxed = []
        self.threads = set()

    def mux(self, packets):
        self.threads.add(threading.current_thread().name)
        self.muxed.extend(packets)


class FakeStream:
    def __init__(self, fail_on=None):
        self.fail_on = fail_on

    def encode(self, frame):
        if frame is not None and frame == self.fail_on:
            raise RuntimeError(f"cannot encode {frame}")
        return [] if frame is None else [f"packet {frame}"]


def test_worker_encodes_in_order_on_its_thread():
    out = FakeOut()
    worker = EncodeWorker(out, maxsize=2)  # type: ignore[arg-type]
    stream = FakeStream()
    for i in range(50):
        worker.submit(stream, i)
    worker.close(stream)
    assert out.muxed == [f"packet {i}" for i in range(50)]
    assert "qwen-omni-encode" in out.threads


def test_worker_errors_reach_the_caller():
    out = FakeOut()
    worker = EncodeWorker(out, maxsize=1)  # type: ignore[arg-type]
    stream = FakeStream(fail_on=3)

    def produce():
        for i in range(100):  # the producer never deadlocks on a dead worker
            worker.submit(stream, i)
        worker.close(stream)

    with pytest.raises(RuntimeError, match="cannot encode 3"):
        produce()


def test_worker_abort_stops_without_flushing():
    out = FakeOut()
    worker = EncodeWorker(out)  # type: ignore[arg-type]
    worker.abort()
    assert out.muxed == []


def test_transpose_filters_match_ffmpeg_autorotate():
    assert transpose_filters(90) == [("transpose", "cclock")]
    assert transpose_filters(-90) == [("transpose", "clock")]
    assert transpose_filters(180) == [("hflip", None), ("vflip", None)]
    assert transpose_filters(0) == []


def test_prepare_media_dispatches_by_content(image_4k, wav_stereo, clip_static, tmp_path):
    assert prepare_media(image_4k).info.kind == "image"
    assert prepare_media(wav_stereo, tmp_path / "a.mp3").info.format == "mp3"
    video = prepare_media(clip_static, tmp_path / "v.mp4", fps=2)
    assert video.info.kind == "video"
    assert video.info.fps == 2
