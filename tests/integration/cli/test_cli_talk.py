"""`qwen-omni talk`: one realtime turn over a file, against the emulator's realtime route."""

import json
import wave
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qwen_omni.cli import app
from qwen_omni_emulator import RealtimeReply

pytestmark = pytest.mark.integration

SAMPLE = str(Path(__file__).resolve().parents[3] / "examples" / "media" / "sample.mp4")
runner = CliRunner()


def test_talk_over_a_video_prints_transcripts_and_saves_the_reply(
    qwen_omni_emulator, against, tmp_path
):
    qwen_omni_emulator.script_realtime(
        RealtimeReply(text="A red square moves.", input_transcript="What moves?")
    )
    out = tmp_path / "reply.wav"
    result = runner.invoke(app, ["talk", SAMPLE, "--out", str(out), "--no-pace", *against])
    assert result.exit_code == 0, result.output
    assert "A red square moves." in result.stdout
    assert "What moves?" in result.stderr
    with wave.open(str(out)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24_000, 1, 2)
        assert w.getnframes() > 0
    log = qwen_omni_emulator.realtime_log[0]
    assert log.audio_bytes == pytest.approx(6.0 * 32_000, rel=0.02)  # 6 s at 16 kHz PCM16
    assert log.images  # at least the first frame (unpaced: the rest is throttled)
    assert log.errors == []


def test_talk_json(qwen_omni_emulator, against, tmp_path):
    from qwen_omni.media import make_audio

    clip = make_audio(tmp_path / "q.wav", seconds=0.5)
    qwen_omni_emulator.script_realtime(RealtimeReply(text="Hi."))
    result = runner.invoke(
        app, ["talk", str(clip), "--out", str(tmp_path / "r.wav"), "--no-pace", "--json", *against]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["reply"] == "Hi." and payload["status"] == "completed"
    assert payload["sent_audio_seconds"] == pytest.approx(0.5, abs=0.01)


def test_talk_refuses_a_chat_model_and_a_missing_file(qwen_omni_emulator, against, tmp_path):
    result = runner.invoke(app, ["talk", SAMPLE, "--model", "qwen3-omni-flash", *against])
    assert result.exit_code == 2
    assert "realtime" in result.stderr
    result = runner.invoke(app, ["talk", str(tmp_path / "nope.wav"), *against])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_models_marks_the_realtime_only_models():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "realtime only" in lines["qwen3.5-omni-plus-realtime"]
    assert "realtime only" not in lines["qwen3.5-omni-plus"]
