"""Format inference: magic bytes, MIME types, paths, and URLs without their query string."""

import base64

import pytest

from qwen_omni import content
from qwen_omni.delivery import audio_format_for, url_suffix
from qwen_omni.delivery.formats import sniff_audio_format, sniff_image_subtype
from qwen_omni.errors import UnsupportedMediaError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 16
GIF = b"GIF89a" + b"\x00" * 24
BMP = b"BM" + b"\x00" * 30
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 16
MP3_ID3 = b"ID3\x04\x00" + b"\x00" * 20
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 20
AAC_ADTS = b"\xff\xf1\x50\x80" + b"\x00" * 20
AMR = b"#!AMR\n" + b"\x00" * 20
FLAC = b"fLaC" + b"\x00" * 20
OGG = b"OggS" + b"\x00" * 24
M4A = b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 20
THREE_GP = b"\x00\x00\x00\x18ftyp3gp4" + b"\x00" * 20


@pytest.mark.parametrize(
    ("head", "subtype"),
    [(PNG, "png"), (JPEG, "jpeg"), (WEBP, "webp"), (GIF, "gif"), (BMP, "bmp"), (b"xx", None)],
)
def test_sniff_image(head, subtype):
    assert sniff_image_subtype(head) == subtype


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (WAV, "wav"),
        (MP3_ID3, "mp3"),
        (MP3_FRAME, "mp3"),
        (AAC_ADTS, "aac"),
        (AMR, "amr"),
        (FLAC, "flac"),
        (OGG, "ogg"),
        (M4A, "m4a"),
        (THREE_GP, "3gp"),
        (b"plain text", None),
    ],
)
def test_sniff_audio(head, fmt):
    assert sniff_audio_format(head) == fmt


def test_explicit_format_wins():
    assert audio_format_for(content.audio(WAV, format="MP3")) == "mp3"


def test_mime_type_then_magic():
    assert audio_format_for(content.audio(b"????", mime_type="audio/x-wav")) == "wav"
    assert audio_format_for(content.audio(AMR)) == "amr"


def test_path_magic_beats_misleading_suffix(tmp_path):
    path = tmp_path / "clip.mp3"
    path.write_bytes(WAV)
    assert audio_format_for(content.audio(path)) == "wav"


def test_path_suffix_when_no_magic(tmp_path):
    path = tmp_path / "voice.3gpp"
    path.write_bytes(b"\x00" * 16)
    assert audio_format_for(content.audio(path)) == "3gpp"


@pytest.mark.parametrize(
    ("url", "fmt"),
    [
        ("https://b.oss-cn-beijing.aliyuncs.com/a.wav?Expires=1700000000&Signature=x%2Fy", "wav"),
        ("https://host/x/clip.MP3?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-date=1", "mp3"),
        ("https://host/x/a.aac#t=3", "aac"),
        ("https://host/path/a%20b.flac", "flac"),
        ("https://host/x.m4a?name=y.wav", "m4a"),
    ],
)
def test_url_format_ignores_query(url, fmt):
    assert audio_format_for(content.audio(url)) == fmt


def test_data_uri_mime_and_payload():
    assert audio_format_for(content.audio("data:audio/mpeg;base64,AAAA")) == "mp3"
    encoded = base64.b64encode(WAV).decode()
    assert audio_format_for(content.audio(f"data:;base64,{encoded}")) == "wav"


def test_unknown_format_names_the_source_and_fix():
    with pytest.raises(UnsupportedMediaError, match=r"https://host/stream.*format='mp3'"):
        audio_format_for(content.audio("https://host/stream?token=secret"))


def test_url_suffix():
    assert url_suffix("https://h/a.b/c.WAV?x=y.mp3") == "wav"
    assert url_suffix("https://h/dir/") == ""
    assert url_suffix("data:;base64,AAAA") == ""
