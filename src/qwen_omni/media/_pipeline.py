"""PyAV plumbing shared by the video, audio and split modules (private).

Decoders are threaded (``thread_type="AUTO"``), frames flow one at a time through a filter
graph into an encoder, and every encoder is flushed; nothing holds a whole clip.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.container import OutputContainer
    from av.filter import Graph
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

#: FFmpeg muxer for each output container we write
MUXERS = {"mp4": "mp4", "mkv": "matroska", "webm": "webm", "mp3": "mp3", "wav": "wav",
          "aac": "adts", "m4a": "ipod", "flac": "flac", "ogg": "ogg"}  # fmt: skip


def transpose_filters(rotation: int) -> list[tuple[str, str | None]]:
    """Filters that turn stored pixels upright for a display rotation (degrees, CCW).

    Matches FFmpeg's autorotate: a counter-clockwise display rotation of 90° is a
    counter-clockwise transpose of the pixels.
    """
    r = rotation % 360
    if r == 90:
        return [("transpose", "cclock")]
    if r == 270:
        return [("transpose", "clock")]
    if r == 180:
        return [("hflip", None), ("vflip", None)]
    return []


def video_graph(
    stream: Any,
    *,
    fps: Fraction | None,
    size: tuple[int, int] | None,
    rotation: int = 0,
    pix_fmt: str = "yuv420p",
) -> Graph:
    """buffer → fps → scale → transpose → format → sink, for frames of ``stream``.

    Scaling happens before the transpose so the (costly) rotation touches the small frame.
    ``size`` is the stored (pre-rotation) output size.
    """
    import av

    graph = av.filter.Graph()
    nodes = [graph.add_buffer(template=stream)]
    if fps is not None:
        nodes.append(graph.add("fps", f"fps={fps.numerator}/{fps.denominator}"))
    if size is not None:
        nodes.append(graph.add("scale", f"{size[0]}:{size[1]}:flags=bicubic"))
    for name, arg in transpose_filters(rotation):
        nodes.append(graph.add(name, arg))
    nodes.append(graph.add("format", pix_fmt))
    nodes.append(graph.add("buffersink"))
    graph.link_nodes(*nodes)
    graph.configure()
    return graph


def drain(graph: Graph) -> Iterator[VideoFrame]:
    """Every frame the graph can give now (stops when it needs more input or is done)."""
    import av

    while True:
        try:
            yield graph.vpull()
        except (av.BlockingIOError, av.EOFError):
            return


def open_output(path: Path, fmt: str | None = None) -> OutputContainer:
    """Open an output container; MP4 gets ``faststart`` (index first, playable while loading)."""
    import av

    muxer = MUXERS.get(fmt or "", fmt)
    options = {"movflags": "+faststart"} if muxer in ("mp4", "ipod", "mov") else {}
    return av.open(str(path), mode="w", format=muxer, options=options)


def add_h264(
    out: OutputContainer,
    *,
    width: int,
    height: int,
    fps: Fraction,
    crf: int,
    preset: str,
    keyframe_s: float = 10.0,
    max_bitrate: int | None = None,
) -> VideoStream:
    """An H.264 (libx264, yuv420p) stream; a keyframe at least every ``keyframe_s`` seconds.

    ``max_bitrate`` (bits/s) caps the constant-quality encode with x264's VBV (a one-second
    buffer), so a file's size can be bounded (segments that must fit the inline cap)."""
    stream = cast("VideoStream", out.add_stream("libx264", rate=fps))
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    stream.gop_size = max(1, round(float(fps) * keyframe_s))
    options: dict[str, object] = {"preset": preset, "crf": str(crf)}
    if max_bitrate is not None:
        options.update(maxrate=str(int(max_bitrate)), bufsize=str(int(max_bitrate)))
    stream.options = options
    return stream


def add_audio(out: OutputContainer, *, codec: str, sample_rate: int, mono: bool) -> AudioStream:
    """An audio encoder stream; PyAV converts and re-chunks the frames it is given to fit it."""
    stream = cast("AudioStream", out.add_stream(codec, rate=sample_rate))
    stream.layout = "mono" if mono else "stereo"
    if codec == "libmp3lame":
        stream.bit_rate = 32_000 if mono else 64_000
    elif codec == "aac":
        stream.bit_rate = 48_000 if mono else 96_000
    return stream


def even(value: float) -> int:
    """The nearest even integer ≥ 2 (yuv420p needs even sides)."""
    return max(2, round(value / 2) * 2)


class EncodeWorker:
    """Encode and mux on a worker thread, so decoding and encoding overlap (as ffmpeg does).

    PyAV releases the GIL inside the codecs, so the decoder (main thread) and the encoder
    (this thread) run on different cores. The queue is bounded: memory stays flat however long
    the clip. All muxing happens here, on one thread.
    """

    def __init__(self, out: OutputContainer, maxsize: int = 8) -> None:
        import queue
        import threading

        self._out = out
        self._queue: queue.Queue[tuple[Any, Any] | None] = queue.Queue(maxsize)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="qwen-omni-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue  # keep draining so the producer never blocks on a dead worker
            stream, frame = item
            try:
                self._out.mux(stream.encode(frame))
            except BaseException as exc:  # re-raised in the caller's thread by submit/close
                self._error = exc

    def submit(self, stream: Any, frame: Any) -> None:
        """Queue ``frame`` for ``stream`` (blocks while the queue is full)."""
        if self._error is not None:
            raise self._error
        self._queue.put((stream, frame))

    def abort(self) -> None:
        """Stop the worker without flushing (the caller is failing anyway)."""
        self._error = self._error or RuntimeError("aborted")
        self._queue.put(None)
        self._thread.join()

    def close(self, *streams: Any) -> None:
        """Wait for the queue to empty, then flush ``streams``' encoders."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        for stream in streams:
            self._out.mux(stream.encode(None))
