"""Measure a media file: :func:`probe` returns an :class:`ImageInfo`, :class:`AudioInfo` or
:class:`VideoInfo`.

The format comes from the content (:func:`~qwen_omni.media.sniff.sniff`), never from the name.
Probing is cheap: headers and container indexes, plus one decoded frame for video (to read the
display rotation and prove the stream decodes) and one for audio. Durations come from the
container; only when it does not know one are the packets scanned (demuxed, not decoded).

Bad input raises typed errors before anything is sent: a missing file
(:class:`~qwen_omni.errors.MediaNotFoundError`), empty, corrupt, truncated or unknown content, a
container without streams or with a codec we cannot decode
(:class:`~qwen_omni.errors.UnsupportedMediaError`), an image too large to open safely
(:class:`~qwen_omni.errors.MediaTooLargeError`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union

from qwen_omni.errors import MediaTooLargeError, UnsupportedMediaError
from qwen_omni.media.sniff import MIME_TYPES, Sniffed, sniff

if TYPE_CHECKING:
    from av.container import InputContainer

__all__ = [
    "AudioInfo",
    "AudioTrack",
    "ImageInfo",
    "MediaInfo",
    "VideoInfo",
    "open_container",
    "probe",
    "probe_audio",
    "probe_image",
    "probe_video",
    "source_label",
]

Source = Union[Path, str, bytes]

#: EXIF orientations (tag 0x0112) that swap width and height when displayed
_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}

#: The most pixels an image may *declare* before we decode it (50 MP: a 48 MP phone photo
#: passes). A 20 KB PNG can declare 13,000×13,000 and cost ~700 MB to decode; it is refused
#: from its header. Pillow's own ``MAX_IMAGE_PIXELS`` (89 MP warning, 179 MP error) is the
#: backstop when that is lower.
MAX_DECODE_PIXELS = 50_000_000
#: The most pixels a video frame may declare before we decode one (8K UHD is 33.2 MP).
MAX_VIDEO_FRAME_PIXELS = 40_000_000


def _check_declared_size(width: int, height: int, limit: int, label: str, what: str) -> None:
    """Refuse media whose header declares more pixels than we are willing to decode."""
    if width > 0 and height > 0 and width * height > limit:
        raise MediaTooLargeError(
            f"{label}: the {what} declares {width}×{height} px ({width * height / 1e6:.0f} MP); "
            f"at most {limit / 1e6:.0f} MP are decoded: downscale it before sending",
            source=label,
            value=(width, height),
            limit=limit,
        )
#: container format names (FFmpeg's ``format.name``) mapped to our short names
_CONTAINER_NAMES = {
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
    "matroska,webm": "mkv",
    "mp3": "mp3",
    "wav": "wav",
    "aac": "aac",
    "flac": "flac",
    "ogg": "ogg",
    "amr": "amr",
    "avi": "avi",
    "flv": "flv",
    "asf": "wmv",
    "mpegts": "ts",
    "mpeg": "mpeg",
}


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`probe` measured of an image."""

    source: str
    format: str
    """``jpeg``, ``png``, ``webp``, ``gif``, ``bmp``, ``tiff``…"""
    mime_type: str
    width: int
    """stored width in pixels (before EXIF rotation)"""
    height: int
    orientation: int
    """EXIF orientation 1–8 (1: as stored)"""
    has_alpha: bool
    mode: str
    """Pillow mode: ``RGB``, ``RGBA``, ``L``, ``P``…"""
    size_bytes: int
    kind: Literal["image"] = "image"

    @property
    def display_size(self) -> tuple[int, int]:
        """``(width, height)`` as shown, after the EXIF rotation."""
        if self.orientation in _SWAPPING_ORIENTATIONS:
            return self.height, self.width
        return self.width, self.height

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AudioTrack:
    """The audio stream of a video (or of an audio file)."""

    codec: str
    sample_rate: int
    channels: int
    duration_s: float
    bit_rate: int | None


@dataclass(frozen=True)
class AudioInfo:
    """What :func:`probe` measured of an audio file."""

    source: str
    format: str
    """container: ``wav``, ``mp3``, ``aac``, ``flac``, ``ogg``, ``amr``, ``m4a``…"""
    mime_type: str
    codec: str
    duration_s: float
    sample_rate: int
    channels: int
    bit_rate: int | None
    size_bytes: int
    kind: Literal["audio"] = "audio"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` measured of a video file."""

    source: str
    container: str
    """``mp4``, ``mov``, ``mkv``, ``webm``, ``avi``, ``flv``, ``wmv``…"""
    mime_type: str
    duration_s: float
    fps: float
    frame_count: int
    frame_count_exact: bool
    """False when the container has no frame count and it was computed from duration × fps"""
    width: int
    """stored (coded) width in pixels, before the display rotation"""
    height: int
    rotation: int
    """display rotation in degrees, counter-clockwise, in (-180, 180] (phones: 90 or -90)"""
    video_codec: str
    pix_fmt: str | None
    bit_rate: int | None
    size_bytes: int
    audio: AudioTrack | None
    kind: Literal["video"] = "video"

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    @property
    def display_size(self) -> tuple[int, int]:
        """``(width, height)`` as a player shows it, after the rotation."""
        if abs(self.rotation) % 180 == 90:
            return self.height, self.width
        return self.width, self.height

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


MediaInfo = Union[ImageInfo, AudioInfo, VideoInfo]


# --- helpers shared with the other media modules --------------------------------------------


def source_label(source: Source) -> str:
    """How errors and infos name a source: the path, or ``<N bytes>``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source):,} bytes>"
    return str(source)


def _size_of(source: Source) -> int:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return len(source)
    return Path(source).stat().st_size


@contextmanager
def open_container(source: Source) -> Iterator[InputContainer]:
    """``av.open`` for a path or bytes, turning FFmpeg's errors into ``UnsupportedMediaError``."""
    import av

    label = source_label(source)
    target: Any = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        container = av.open(target, mode="r", metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise UnsupportedMediaError(
            f"{label}: cannot be opened as audio or video ({exc.strerror or exc}); the file is "
            "corrupt, truncated or not a media file: re-export or re-download it",
            source=label,
        ) from exc
    with container:
        yield container


def _is_attached_picture(stream: Any) -> bool:
    import av

    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _stream_duration(stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    return None


def _scan_duration(container: Any, stream: Any) -> float:
    """Duration from the packets' timestamps (demux only; used when the header has none)."""
    start = None
    end = 0.0
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        t0 = float(packet.pts * packet.time_base)
        start = t0 if start is None else min(start, t0)
        end = max(end, t0 + float((packet.duration or 0) * packet.time_base))
    return max(0.0, end - (start or 0.0))


def _check_index(container: Any, stream: Any, size: int, label: str) -> None:
    """Raise when the container's index points past the end of the file (a cut-off download)."""
    try:
        entries = stream.index_entries
        n = len(entries)
    except (AttributeError, TypeError):  # older PyAV or a container without an index
        return
    if n == 0 or size <= 0:
        return
    last = entries[n - 1]
    if last.pos is not None and last.pos >= 0 and last.pos + last.size > size:
        raise UnsupportedMediaError(
            f"{label}: file is truncated: its index needs {last.pos + last.size:,} bytes but it "
            f"has {size:,}; the download or copy was cut off: fetch it again",
            source=label,
            value=size,
            limit=last.pos + last.size,
        )


def _first_frame(container: Any, stream: Any, label: str) -> Any:
    """Decode the first frame of ``stream``; raise when the stream does not decode."""
    import av

    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as exc:
        raise UnsupportedMediaError(
            f"{label}: the {stream.type} stream ({stream.codec_context.name}) does not decode "
            f"({exc.strerror or exc}); the file is corrupt: re-export or re-download it",
            source=label,
        ) from exc
    raise UnsupportedMediaError(
        f"{label}: the {stream.type} stream has no decodable frames; the file is empty or "
        "truncated: re-export or re-download it",
        source=label,
    )


def _codec_name(stream: Any, label: str) -> str:
    ctx = stream.codec_context
    # the codec's canonical name ("mp3"), not the decoder's ("mp3float")
    codec = getattr(ctx, "codec", None) if ctx is not None else None
    name = getattr(codec, "canonical_name", None) or (ctx.name if ctx is not None else None)
    if not name or name == "none":
        raise UnsupportedMediaError(
            f"{label}: {stream.type} codec is not supported (FFmpeg cannot decode it): "
            "convert it to H.264/AAC MP4 (video) or MP3/WAV (audio)",
            source=label,
            value=name,
        )
    return str(name)


def _container_name(container: Any, sniffed: Sniffed) -> str:
    if sniffed.format in ("mov", "3gp", "webm", "m4a"):
        return sniffed.format
    return _CONTAINER_NAMES.get(container.format.name, sniffed.format)


def _audio_track(container: Any, stream: Any, label: str, fallback_duration: float) -> AudioTrack:
    ctx = stream.codec_context
    return AudioTrack(
        codec=_codec_name(stream, label),
        sample_rate=int(ctx.sample_rate or stream.rate or 0),
        channels=int(ctx.channels or 0),
        duration_s=_stream_duration(stream) or fallback_duration,
        bit_rate=ctx.bit_rate or None,
    )


# --- probes -----------------------------------------------------------------------------------


def _probe_image(source: Source, sniffed: Sniffed, label: str, verify: bool) -> ImageInfo:
    from PIL import Image, UnidentifiedImageError

    target: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with Image.open(target) as img:
            # Judged from the header, before a single pixel is decoded.
            pillow_limit = Image.MAX_IMAGE_PIXELS or MAX_DECODE_PIXELS
            _check_declared_size(
                img.width, img.height, min(MAX_DECODE_PIXELS, pillow_limit), label, "image"
            )
            if verify:
                img.load()
            exif = img.getexif()
            orientation = int(exif.get(0x0112, 1) or 1)
            has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
                "transparency" in img.info
            )
            fmt = (img.format or sniffed.format).lower()
            fmt = {"jpg": "jpeg", "mpo": "jpeg"}.get(fmt, fmt)
            return ImageInfo(
                source=label,
                format=fmt,
                mime_type=MIME_TYPES.get(fmt, sniffed.mime_type),
                width=img.width,
                height=img.height,
                orientation=orientation if 1 <= orientation <= 8 else 1,
                has_alpha=has_alpha,
                mode=img.mode,
                size_bytes=_size_of(source),
            )
    except Image.DecompressionBombError as exc:
        raise MediaTooLargeError(
            f"{label}: image is too large to open safely ({exc}); downscale it first",
            source=label,
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        hint = (
            "HEIC/AVIF needs the pillow-heif plugin; convert it to JPEG"
            if sniffed.format in ("heic", "avif")
            else "the file is corrupt or truncated: re-export or re-download it"
        )
        raise UnsupportedMediaError(
            f"{label}: cannot read the {sniffed.format.upper()} image ({exc}); {hint}",
            source=label,
        ) from exc


def _probe_av(source: Source, sniffed: Sniffed, label: str) -> AudioInfo | VideoInfo:
    size = _size_of(source)
    with open_container(source) as container:
        videos = [s for s in container.streams.video if not _is_attached_picture(s)]
        audios = list(container.streams.audio)
        if not videos and not audios:
            raise UnsupportedMediaError(
                f"{label}: the {sniffed.format.upper()} file has no audio or video stream: "
                "export it again with its tracks",
                source=label,
            )
        container_seconds = (
            container.duration / 1_000_000 if container.duration and container.duration > 0 else 0
        )
        bit_rate = container.bit_rate or None

        if not videos:
            stream = audios[0]
            codec = _codec_name(stream, label)
            _check_index(container, stream, size, label)
            duration = _stream_duration(stream) or container_seconds
            _first_frame(container, stream, label)
            if not duration:
                container.seek(0)
                duration = _scan_duration(container, stream)
            fmt = _container_name(container, sniffed)
            if fmt in ("mp4", "mov"):
                fmt = "m4a"
            track = _audio_track(container, stream, label, duration)
            return AudioInfo(
                source=label,
                format=fmt,
                mime_type=MIME_TYPES.get(fmt, "audio/" + fmt),
                codec=codec,
                duration_s=duration,
                sample_rate=track.sample_rate,
                channels=track.channels,
                bit_rate=bit_rate or track.bit_rate,
                size_bytes=size,
            )

        vstream = videos[0]
        declared = vstream.codec_context  # None for a codec PyAV cannot open (checked below)
        _check_declared_size(
            int(getattr(declared, "width", 0) or 0),
            int(getattr(declared, "height", 0) or 0),
            MAX_VIDEO_FRAME_PIXELS,
            label,
            "video",
        )
        vstream.thread_type = "AUTO"
        codec = _codec_name(vstream, label)
        _check_index(container, vstream, size, label)
        duration = _stream_duration(vstream) or container_seconds
        rate = vstream.average_rate or vstream.guessed_rate or vstream.base_rate
        fps = float(rate) if rate else 0.0
        first = _first_frame(container, vstream, label)
        rotation = round(first.rotation or 0)
        if rotation == -180:
            rotation = 180
        if not duration:
            container.seek(0)
            duration = _scan_duration(container, vstream)
        frames = int(vstream.frames or 0)
        exact = frames > 0
        if not exact:
            frames = max(1, round(duration * fps)) if fps else 1
        audio = _audio_track(container, audios[0], label, duration) if audios else None
        fmt = _container_name(container, sniffed)
        ctx = vstream.codec_context
        return VideoInfo(
            source=label,
            container=fmt,
            mime_type=MIME_TYPES.get(fmt, "video/" + fmt),
            duration_s=duration,
            fps=fps,
            frame_count=frames,
            frame_count_exact=exact,
            width=int(ctx.width or first.width),
            height=int(ctx.height or first.height),
            rotation=rotation,
            video_codec=codec,
            pix_fmt=ctx.pix_fmt,
            bit_rate=bit_rate,
            size_bytes=size,
            audio=audio,
        )


def probe(source: Path | str | bytes, *, verify: bool = False) -> MediaInfo:
    """Measure a local file or a byte string and say what it is.

    Returns an :class:`ImageInfo` (format, size, EXIF orientation, alpha), :class:`AudioInfo`
    (format, codec, duration, sample rate, channels) or :class:`VideoInfo` (container, duration,
    fps, frame count, resolution, rotation, codecs, audio track, bit rate, bytes). The kind is
    decided by the content: an MP4 holding only audio is audio; an MP3 with cover art is audio.

    ``verify=True`` also decodes a whole image, to catch truncated pictures (video and audio
    always decode their first frame).

    Raises:
        MediaNotFoundError: the path does not exist.
        UnsupportedMediaError: empty, corrupt, truncated, unknown format or codec, no streams.
        MediaTooLargeError: an image too large to decode safely (a decompression bomb).
    """
    if isinstance(source, str):
        source = Path(source)
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    label = source_label(source)
    sniffed = sniff(source)
    if sniffed.kind == "image":
        return _probe_image(source, sniffed, label, verify)
    return _probe_av(source, sniffed, label)


def _expect(info: MediaInfo, kind: str) -> None:
    if info.kind != kind:
        raise UnsupportedMediaError(
            f"{info.source}: expected {kind}, but the content is {info.kind} "
            f"({getattr(info, 'format', None) or getattr(info, 'container', '')}): "
            f"pass it as {info.kind}",
            source=info.source,
            value=info.kind,
            limit=kind,
        )


def probe_video(source: Path | str | bytes) -> VideoInfo:
    """:func:`probe`, requiring a video (raises ``UnsupportedMediaError`` otherwise)."""
    info = probe(source)
    _expect(info, "video")
    assert isinstance(info, VideoInfo)
    return info


def probe_audio(source: Path | str | bytes) -> AudioInfo:
    """:func:`probe`, requiring an audio file (raises ``UnsupportedMediaError`` otherwise)."""
    info = probe(source)
    _expect(info, "audio")
    assert isinstance(info, AudioInfo)
    return info


def probe_image(source: Path | str | bytes, *, verify: bool = False) -> ImageInfo:
    """:func:`probe`, requiring an image (raises ``UnsupportedMediaError`` otherwise)."""
    info = probe(source, verify=verify)
    _expect(info, "image")
    assert isinstance(info, ImageInfo)
    return info
