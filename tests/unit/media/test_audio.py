"""prepare_audio and extract_audio."""

from __future__ import annotations

import pytest

from qwen_omni.errors import UnsupportedMediaError
from qwen_omni.media import extract_audio, make_audio, prepare_audio, probe_audio


def test_stereo_44k_wav_becomes_mono_16k_mp3(wav_stereo, tmp_path):
    result = prepare_audio(wav_stereo, tmp_path / "out.mp3")
    info = result.info
    assert (info.format, info.channels, info.sample_rate) == ("mp3", 1, 16_000)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert result.steps[:2] == ("mix 2 channels down to mono", "resample 44100 Hz → 16000 Hz")
    assert result.size_bytes < wav_stereo.stat().st_size / 10


def test_wav_output(wav_stereo, tmp_path):
    info = prepare_audio(wav_stereo, tmp_path / "out.wav", format="wav").info
    assert (info.format, info.codec, info.channels, info.sample_rate) == (
        "wav",
        "pcm_s16le",
        1,
        16_000,
    )


def test_unsupported_format_is_converted(tmp_path):
    src = make_audio(tmp_path / "a.flac", seconds=1, format="flac")
    result = prepare_audio(src, tmp_path / "a.prepared.mp3")
    assert result.info.format == "mp3"
    assert result.steps[0].startswith("convert FLAC")


def test_fitting_audio_is_sent_as_is(mp3_mono):
    result = prepare_audio(mp3_mono)
    assert result.steps == ()
    assert result.path == mp3_mono


def test_extract_audio_copy_and_encode(clip, tmp_path):
    copied = extract_audio(clip, tmp_path / "track.aac")  # AAC mono 16 kHz: copied
    assert copied.steps == ("copy the aac track",)
    assert (copied.info.format, copied.info.codec) == ("aac", "aac")
    mp3 = extract_audio(clip, tmp_path / "track.mp3", format="mp3")
    info = probe_audio(mp3.path)
    assert (info.format, info.channels, info.sample_rate) == ("mp3", 1, 16_000)
    assert info.duration_s == pytest.approx(3.0, abs=0.15)


def test_extract_audio_from_silent_video(clip_silent):
    with pytest.raises(UnsupportedMediaError, match="no audio track") as info:
        extract_audio(clip_silent)
    assert info.value.source == str(clip_silent)
