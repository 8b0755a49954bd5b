"""Audio the service can take (issue 17): a long WAV is re-encoded to fit the inline cap,
formats outside the documented list (AMR, WAV, 3GP, 3GPP, AAC, MP3) are converted."""

from __future__ import annotations

import pytest

from qwen_omni import OmniClient, audio
from qwen_omni.media import make_audio, probe

pytestmark = pytest.mark.integration


def _sent_audio(qwen_omni_emulator):
    body = qwen_omni_emulator.requests.chat()[-1].body
    part = next(p for p in body["messages"][0]["content"] if p["type"] == "input_audio")
    return part["input_audio"]


@pytest.mark.parametrize("prepare", ["auto", "always"])
def test_a_five_minute_wav_is_re_encoded_to_fit_inline(qwen_omni_emulator, tmp_path, prepare):
    wav = make_audio(tmp_path / "call.wav", seconds=300)  # 16 kHz mono s16: 9.6 MB raw
    assert probe(wav).size_bytes > 7_864_320  # base64 of it is over the 10,485,760-byte cap
    with OmniClient(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key, prepare=prepare
    ) as client:
        r = client.complete([audio(wav), "Summarize the call."])
    sent = _sent_audio(qwen_omni_emulator)
    assert sent["format"] == "mp3"
    assert len(sent["data"]) <= 10_485_760
    # 300 s at 12.5 tokens/s on qwen3-omni-flash = 3,750 (OMNI-35 §6.1), all of it sent
    assert r.usage.input_audio_tokens == 3_750


@pytest.mark.parametrize("fmt", ["m4a", "flac", "ogg"])
def test_formats_outside_the_documented_list_are_converted(qwen_omni_emulator, tmp_path, fmt):
    clip = make_audio(tmp_path / f"note.{fmt}", seconds=2, format=fmt)
    with OmniClient(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key
    ) as client:
        client.complete([audio(clip), "What is said?"])
    assert _sent_audio(qwen_omni_emulator)["format"] == "mp3"


def test_documented_formats_that_fit_go_as_they_are(qwen_omni_emulator, tmp_path):
    clip = make_audio(tmp_path / "note.wav", seconds=2)
    with OmniClient(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key
    ) as client:
        client.complete([audio(clip), "What is said?"])
    assert _sent_audio(qwen_omni_emulator)["format"] == "wav"
