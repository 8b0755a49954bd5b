"""Sniffing and probing generated media, and the typed errors for bad input."""

from __future__ import annotations

import pytest

from qwen_omni.errors import MediaNotFoundError, UnsupportedMediaError
from qwen_omni.media import (
    AudioInfo,
    ImageInfo,
    VideoInfo,
    make_audio,
    make_image,
    make_video,
    probe,
    probe_audio,
    probe_image,
    probe_video,
    sniff,
)

# --- sniff ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "fmt", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg", "image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png", "image"),
        (b"GIF89a\x01\x00", "gif", "image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp", "image"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav", "audio"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi", "video"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "heic", "image"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00", "m4a", "audio"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00", "mp4", "video"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00", "mov", "video"),
        (b"\x00\x00\x00\x14ftyp3gp4\x00\x00", "3gp", "video"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", "webm", "video"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01matroska", "mkv", "video"),
        (b"ID3\x04\x00\x00", "mp3", "audio"),
        (b"\xff\xfb\x90\x64", "mp3", "audio"),
        (b"\xff\xf1\x50\x80", "aac", "audio"),
        (b"fLaC\x00\x00", "flac", "audio"),
        (b"OggS\x00\x02", "ogg", "audio"),
        (b"#!AMR\n", "amr", "audio"),
        (b"FLV\x01\x05", "flv", "video"),
        (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9", "wmv", "video"),
    ],
)
def test_sniff_magic_bytes(header, fmt, kind):
    found = sniff(header)
    assert (found.format, found.kind) == (fmt, kind)


def test_sniff_ignores_the_file_name(tmp_path, mp3_mono):
    disguised = tmp_path / "photo.jpg"
    disguised.write_bytes(mp3_mono.read_bytes())
    assert sniff(disguised).format == "mp3"
    info = probe(disguised)
    assert isinstance(info, AudioInfo)
    assert info.format == "mp3"


# --- video ---------------------------------------------------------------------------------


def test_probe_video_with_audio(clip):
    info = probe(clip)
    assert isinstance(info, VideoInfo)
    assert (info.container, info.video_codec, info.pix_fmt) == ("mp4", "h264", "yuv420p")
    assert (info.width, info.height, info.rotation) == (640, 360, 0)
    assert info.fps == 30
    assert info.frame_count == 90
    assert info.frame_count_exact
    assert info.duration_s == pytest.approx(3.0, abs=0.05)
    assert info.size_bytes == clip.stat().st_size
    assert info.bit_rate
    assert info.bit_rate > 0
    assert info.audio is not None
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", 16_000, 1)
    assert info.audio.duration_s == pytest.approx(3.0, abs=0.1)
    assert info.mime_type == "video/mp4"


def test_probe_1080p(clip_1080):
    info = probe_video(clip_1080)
    assert (info.width, info.height, info.fps, info.frame_count) == (1920, 1080, 30, 60)
    assert info.display_size == (1920, 1080)


def test_probe_video_without_audio(clip_silent):
    info = probe_video(clip_silent)
    assert info.audio is None
    assert not info.has_audio
    assert (info.width, info.height) == (320, 240)


def test_probe_rotated_phone_video(clip_rotated):
    info = probe_video(clip_rotated)
    assert info.rotation == 90
    assert (info.width, info.height) == (640, 360)
    assert info.display_size == (360, 640)


def test_probe_webm_without_frame_count(media_dir):
    path = make_video(media_dir / "clip.webm", seconds=1, codec="vp9", width=160, height=96)
    info = probe_video(path)
    assert (info.container, info.video_codec) == ("webm", "vp9")
    assert info.audio is not None
    assert info.audio.codec == "opus"
    assert not info.frame_count_exact
    assert info.frame_count == pytest.approx(30, abs=1)


def test_probe_bytes(clip):
    info = probe(clip.read_bytes())
    assert isinstance(info, VideoInfo)
    assert info.source == f"<{clip.stat().st_size:,} bytes>"
    assert info.frame_count == 90


def test_probe_audio_only_mp4_is_audio_and_not_a_video(media_dir):
    path = make_audio(media_dir / "voice.m4a", seconds=1, format="m4a")
    info = probe(path)
    assert isinstance(info, AudioInfo)
    assert (info.format, info.codec) == ("m4a", "aac")
    with pytest.raises(UnsupportedMediaError, match="expected video, but the content is audio"):
        probe_video(path)


# --- audio ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "codec", "rate"),
    [
        ("wav", "pcm_s16le", 44_100),
        ("mp3", "mp3", 44_100),
        ("flac", "flac", 44_100),
        ("ogg", "opus", 48_000),
        ("aac", "aac", 44_100),
    ],
)
def test_probe_audio_formats(media_dir, fmt, codec, rate):
    path = make_audio(
        media_dir / f"tone.{fmt}", seconds=2, sample_rate=44_100, channels=2, format=fmt
    )
    info = probe_audio(path)
    assert (info.format, info.codec, info.sample_rate, info.channels) == (fmt, codec, rate, 2)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)


# --- images --------------------------------------------------------------------------------


def test_probe_image_4k(image_4k):
    info = probe_image(image_4k)
    assert (info.format, info.width, info.height, info.orientation) == ("jpeg", 3840, 2160, 1)
    assert not info.has_alpha
    assert info.mode == "RGB"
    assert info.pixels == 3840 * 2160


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_probe_image_exif_orientation(tmp_path, fmt):
    path = make_image(tmp_path / f"p.{fmt}", width=400, height=300, format=fmt, exif_orientation=6)
    info = probe_image(path)
    assert info.orientation == 6
    assert info.display_size == (300, 400)


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_probe_image_alpha(tmp_path, fmt):
    info = probe_image(
        make_image(tmp_path / f"a.{fmt}", width=64, height=64, format=fmt, alpha=True)
    )
    assert info.has_alpha
    assert info.format == fmt


def test_probe_image_expected_but_video(clip):
    with pytest.raises(UnsupportedMediaError, match="expected image"):
        probe_image(clip)


# --- bad input -----------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(MediaNotFoundError, match="no such file") as info:
        probe(tmp_path / "nope.mp4")
    assert info.value.source.endswith("nope.mp4")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(UnsupportedMediaError, match="empty") as info:
        probe(path)
    assert info.value.value == 0
    assert info.value.source == str(path)


def test_not_media(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("just some text, not a video")
    with pytest.raises(UnsupportedMediaError, match="not a recognised image, audio or video"):
        probe(path)


def test_truncated_video_without_index(tmp_path, clip):
    # MP4 writes its index (moov) last: cutting the file loses it
    data = clip.read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnsupportedMediaError, match="corrupt, truncated"):
        probe(path)


def test_truncated_video_with_index_first(tmp_path, clip):
    import av

    fast = tmp_path / "fast.mp4"
    with (
        av.open(str(clip)) as src,
        av.open(str(fast), "w", options={"movflags": "faststart"}) as dst,
    ):
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                dst.mux(packet)
    data = fast.read_bytes()
    cut = tmp_path / "cut_fast.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnsupportedMediaError, match="truncated") as info:
        probe(cut)
    assert info.value.value == len(data) // 2
    assert info.value.limit > info.value.value


def test_corrupt_video(tmp_path, clip):
    path = tmp_path / "garbage.mp4"
    path.write_bytes(clip.read_bytes()[:32] + bytes(range(256)) * 40)
    with pytest.raises(UnsupportedMediaError, match=r"garbage\.mp4"):
        probe(path)


def test_unsupported_codec(tmp_path):
    good = make_video(tmp_path / "ok.mkv", seconds=0.5, width=64, height=64, audio=False)
    data = good.read_bytes()
    assert b"V_MPEG4/ISO/AVC" in data
    bad = tmp_path / "odd.mkv"
    bad.write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_XXXXX/ISO/AVC"))
    with pytest.raises(UnsupportedMediaError, match="codec is not supported"):
        probe(bad)


def test_corrupt_image(tmp_path, image_4k):
    path = tmp_path / "broken.jpg"
    path.write_bytes(image_4k.read_bytes()[:2000])
    probe(path)  # the header alone is readable…
    with pytest.raises(UnsupportedMediaError, match=r"broken\.jpg"):
        probe(path, verify=True)  # …but decoding finds the truncation


def test_infos_are_plain_data(clip, image_4k):
    assert probe(clip).to_dict()["audio"]["codec"] == "aac"
    assert isinstance(probe(image_4k), ImageInfo)
