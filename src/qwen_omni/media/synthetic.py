"""Generated media for tests, demos and offline checks: video, audio and images from numpy.

Everything is synthesised frame by frame and streamed into the encoder (PyAV for video and
audio, Pillow for images), so a long clip never sits in memory. The pictures are simple but
not trivial to compress: a colour gradient, a moving box and (for ``motion="moving"``) a
scrolling background, with a sine tone on the audio track.

Needs the ``[media]`` extra (``av``, ``pillow``, ``numpy``).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    import numpy as np
    from av.audio.stream import AudioStream
    from av.video.stream import VideoStream

__all__ = ["make_audio", "make_image", "make_video"]

Motion = Literal["moving", "static"]

#: encoder names for the codec short names ``make_video`` accepts
_VIDEO_ENCODERS = {
    "h264": "libx264",
    "hevc": "libx265",
    "mpeg4": "mpeg4",
    "vp9": "libvpx-vp9",
    "vp8": "libvpx",
    "mjpeg": "mjpeg",
}
_TONE_HZ = 440.0
_AUDIO_CHUNK = 1024


def _background(width: int, height: int) -> np.ndarray:
    """A (height, 2·width, 3) RGB gradient, twice as wide so that a window can scroll over it."""
    import numpy as np

    xs = np.linspace(0.0, 4.0 * math.pi, 2 * width, dtype=np.float32)
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    red = 127.5 + 127.5 * np.sin(xs)[None, :] * np.ones_like(ys)
    green = np.broadcast_to(255.0 * ys, (height, 2 * width))
    blue = 127.5 + 127.5 * np.cos(xs / 2)[None, :] * (1.0 - ys)
    return np.stack([red, green, blue], axis=-1).astype(np.uint8)


def _tone(start: int, count: int, sample_rate: int, channels: int) -> np.ndarray:
    """``count`` samples of an int16 sine tone from sample ``start``, shaped (channels, count)."""
    import numpy as np

    t = (np.arange(start, start + count, dtype=np.float64)) / sample_rate
    wave = (0.3 * 32767 * np.sin(2.0 * math.pi * _TONE_HZ * t)).astype(np.int16)
    return np.repeat(wave[None, :], channels, axis=0)


def make_video(
    path: str | Path,
    *,
    seconds: float = 5.0,
    width: int = 640,
    height: int = 360,
    fps: int = 30,
    audio: bool = True,
    rotation: int | None = None,
    motion: Motion = "moving",
    codec: str = "h264",
    sample_rate: int = 16_000,
    crf: int = 28,
    preset: str = "veryfast",
    gop: int | None = None,
) -> Path:
    """Write a synthetic video and return its path; the container follows the suffix (.mp4…).

    Args:
        seconds: duration.
        width, height: stored frame size in pixels (before any rotation).
        fps: frame rate.
        audio: add a mono AAC (Opus in .webm) 440 Hz tone of the same duration.
        rotation: display rotation in degrees, counter-clockwise (90, 180, -90), written as a
            display matrix like a phone does; players show the picture turned by it.
        motion: ``"moving"`` scrolls the background and moves a box across the frame (sport,
            fast cuts); ``"static"`` keeps everything still except a small blinking dot
            (a person talking).
        codec: ``h264`` (default), ``hevc``, ``mpeg4``, ``vp9``, ``vp8`` or ``mjpeg``.
        crf: quality for x264/x265 (lower is larger).
        preset: x264/x265 speed preset (``ultrafast`` for quick fixtures).
        gop: keyframe interval in frames, exactly (no extra keyframes at scene cuts); by
            default ``2·fps``, plus scene cuts.
    """
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if codec not in _VIDEO_ENCODERS:
        raise ValueError(f"codec must be one of {sorted(_VIDEO_ENCODERS)}, got {codec!r}")
    if width % 2 or height % 2:
        raise ValueError(f"width and height must be even (4:2:0 video), got {width}×{height}")
    n_frames = max(1, round(seconds * fps))
    # the picture is drawn straight into the Y, U and V planes: no per-frame colour conversion
    bg_y, bg_u, bg_v = _yuv420(_background(width, height))
    box = max(8, min(width, height) // 5) // 2 * 2
    webm = path.suffix.lower() == ".webm"

    with av.open(str(path), "w") as out:
        vstream = cast("VideoStream", out.add_stream(_VIDEO_ENCODERS[codec], rate=Fraction(fps)))
        vstream.width = width
        vstream.height = height
        vstream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        vstream.gop_size = gop if gop is not None else 2 * fps
        if codec in ("h264", "hevc"):
            vstream.options = {"preset": preset, "crf": str(crf)}
            if codec == "hevc":
                vstream.options["x265-params"] = "log-level=error"
            elif gop is not None:  # keyframes exactly every `gop` frames, no scene cuts
                vstream.options["x264-params"] = "scenecut=0"
        if rotation:
            vstream.set_display_rotation(rotation)
        astream: AudioStream | None = None
        if audio:
            encoder, rate = ("libopus", 48_000) if webm else ("aac", sample_rate)
            astream = cast("AudioStream", out.add_stream(encoder, rate=rate))
            astream.layout = "mono"
        audio_written = 0

        # speeds relative to the frame, so "moving" looks the same at any resolution and fps
        scroll = max(2, round(width / (2 * fps)) // 2 * 2)  # half the width per second
        stride = max(2, round(width / fps) // 2 * 2)  # the box crosses the frame in a second
        for i in range(n_frames):
            frame = av.VideoFrame(width, height, vstream.pix_fmt)
            y_plane, u_plane, v_plane = (_plane(p) for p in frame.planes)
            if motion == "moving":
                off = (i * scroll) % width
                y_plane[:] = bg_y[:, off : off + width]
                u_plane[:] = bg_u[:, off // 2 : off // 2 + width // 2]
                v_plane[:] = bg_v[:, off // 2 : off // 2 + width // 2]
                x = (i * stride) % max(2, width - box) // 2 * 2
                y = ((height - box) // 2 + int((height - box) / 3 * math.sin(i / 5))) // 2 * 2
                y_plane[y : y + box, x : x + box] = (i * 9) % 220 + 16
                u_plane[y // 2 : (y + box) // 2, x // 2 : (x + box) // 2] = 255 - (i * 5) % 256
                v_plane[y // 2 : (y + box) // 2, x // 2 : (x + box) // 2] = 90
            else:
                y_plane[:] = bg_y[:, :width]
                u_plane[:] = bg_u[:, : width // 2]
                v_plane[:] = bg_v[:, : width // 2]
                if (i // max(1, fps // 2)) % 2:
                    dot = max(2, box // 4)
                    y_plane[10 : 10 + dot, 10 : 10 + dot] = 235
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(vstream.encode(frame))
            if astream is not None:
                # keep the tracks interleaved: sound up to the end of this frame
                until = round((i + 1) / fps * astream.rate)
                audio_written = _write_tone(out, astream, audio_written, until)
        out.mux(vstream.encode(None))
        if astream is not None:
            out.mux(astream.encode(None))
    return path


def _plane(plane: Any) -> np.ndarray:
    """A writable (height, width) view of a frame plane."""
    import numpy as np

    rows = np.asarray(memoryview(plane)).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def _yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.601 limited-range Y, U, V planes (U and V at half resolution) of an RGB picture."""
    import numpy as np

    r, g, b = (rgb[..., k].astype(np.float32) for k in range(3))
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b

    def half(p: np.ndarray) -> np.ndarray:
        return (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2]) / 4

    as8 = np.uint8
    return (
        np.clip(y, 0, 255).astype(as8),
        np.clip(half(u), 0, 255).astype(as8),
        np.clip(half(v), 0, 255).astype(as8),
    )


def _write_tone(out: Any, stream: AudioStream, start: int, until: int) -> int:
    """Encode tone samples ``[start, until)`` in chunks; return the new position."""
    import av

    rate = stream.rate
    while start < until:
        count = min(_AUDIO_CHUNK, until - start)
        frame = av.AudioFrame.from_ndarray(
            _tone(start, count, rate, 1), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        out.mux(stream.encode(frame))
        start += count
    return start


def make_audio(
    path: str | Path,
    *,
    seconds: float = 3.0,
    sample_rate: int = 16_000,
    channels: int = 1,
    format: str = "wav",
) -> Path:
    """Write a 440 Hz tone and return its path.

    ``format``: ``wav`` (PCM s16), ``mp3``, ``flac``, ``ogg`` (Opus), ``m4a`` or ``aac`` (ADTS).
    The file is written under ``path`` as given (the suffix is not changed).
    """
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    encoders = {
        "wav": ("wav", "pcm_s16le"),
        "mp3": ("mp3", "libmp3lame"),
        "flac": ("flac", "flac"),
        "ogg": ("ogg", "libopus"),
        "m4a": ("ipod", "aac"),
        "aac": ("adts", "aac"),
    }
    if format not in encoders:
        raise ValueError(f"format must be one of {sorted(encoders)}, got {format!r}")
    container_format, encoder = encoders[format]
    layout = "mono" if channels == 1 else "stereo"
    rate = 48_000 if encoder == "libopus" else sample_rate
    total = round(seconds * rate)
    with av.open(str(path), "w", format=container_format) as out:
        stream = cast("AudioStream", out.add_stream(encoder, rate=rate))
        stream.layout = layout
        for start in range(0, total, _AUDIO_CHUNK):
            count = min(_AUDIO_CHUNK, total - start)
            samples = _tone(start, count, rate, channels)
            # packed s16 wants one interleaved row
            frame = av.AudioFrame.from_ndarray(
                samples.T.reshape(1, -1), format="s16", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def make_image(
    path: str | Path,
    *,
    width: int,
    height: int,
    format: str = "png",
    alpha: bool = False,
    exif_orientation: int | None = None,
    content: Literal["photo", "graphic"] = "photo",
) -> Path:
    """Write a synthetic image of ``width×height`` stored pixels and return its path.

    Args:
        format: ``png``, ``jpeg``, ``webp``, ``gif``, ``bmp`` or ``tiff``.
        alpha: add transparency (RGBA; PNG, WebP, TIFF): a fade for photos, a cut-out
            border for graphics.
        exif_orientation: EXIF tag 0x0112 (1–8); 6 means "rotate 90° clockwise to view", as
            phones write it, so the displayed size is ``height×width``.
        content: ``photo`` (smooth gradients and noise, best as JPEG) or ``graphic`` (a few flat
            colours, best as PNG).
    """
    import numpy as np
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if content == "photo":
        gradient = _background(max(1, width // 2 + 1), height)[:, :width]
        if gradient.shape[1] < width:  # odd widths
            gradient = np.pad(gradient, ((0, 0), (0, width - gradient.shape[1]), (0, 0)), "edge")
        noise = np.random.default_rng(0).integers(-12, 13, size=gradient.shape, dtype=np.int16)
        rgb = np.clip(gradient.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    else:
        rgb = np.full((height, width, 3), 240, dtype=np.uint8)
        rgb[: height // 2, : width // 2] = (200, 30, 30)
        rgb[height // 2 :, width // 2 :] = (30, 30, 200)
    # a marker in the stored top-left corner, to check orientation handling
    mark = max(1, min(width, height) // 8)
    rgb[:mark, :mark] = (255, 0, 0)
    img = Image.fromarray(rgb, "RGB")
    if alpha:
        if content == "photo":  # a soft fade
            a = np.linspace(0, 255, width, dtype=np.float32)[None, :].repeat(height, axis=0)
        else:  # a cut-out, like a logo
            a = np.zeros((height, width), dtype=np.float32)
            a[height // 8 : height - height // 8, width // 8 : width - width // 8] = 255
        img.putalpha(Image.fromarray(a.astype(np.uint8), "L"))
    pil_format = {
        "jpeg": "JPEG",
        "jpg": "JPEG",
        "png": "PNG",
        "webp": "WEBP",
        "gif": "GIF",
        "bmp": "BMP",
        "tiff": "TIFF",
    }.get(format.lower())
    if pil_format is None:
        raise ValueError(f"unsupported image format {format!r}")
    if pil_format == "JPEG" and img.mode == "RGBA":
        raise ValueError("JPEG has no alpha channel: use png, webp or tiff with alpha=True")
    kwargs: dict[str, object] = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    # fast settings: these files are fixtures, not archives
    if pil_format == "JPEG":
        kwargs["quality"] = 90
    elif pil_format == "PNG":
        kwargs["compress_level"] = 1
    elif pil_format == "WEBP":
        kwargs.update(quality=80, method=0)
    img.save(path, format=pil_format, **kwargs)
    return path
