"""A user's mistakes on the command line give a message and an exit code, never a traceback
(issue 12). The paid reply is never lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qwen_omni.cli import app

pytestmark = pytest.mark.integration

SAMPLE = str(Path(__file__).resolve().parents[3] / "examples" / "media" / "sample.mp4")
runner = CliRunner()


def _clean(result) -> str:
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return output


@pytest.mark.parametrize("target", ["missing-dir/reply.wav", "."], ids=["missing-folder", "dir"])
def test_save_audio_to_a_bad_place_is_refused_before_the_paid_request(
    against, qwen_omni_emulator, tmp_path, target
):
    qwen_omni_emulator.reset()
    path = tmp_path / target if target != "." else tmp_path
    result = runner.invoke(app, ["analyze", SAMPLE, "?", "--save-audio", str(path), *against])
    output = _clean(result)
    assert result.exit_code == 2
    assert "--save-audio" in output
    assert ("does not exist" in output) or ("is a directory" in output)
    assert not qwen_omni_emulator.requests  # nothing was paid for


def test_a_reply_that_cannot_be_saved_is_still_printed(
    against, qwen_omni_emulator, tmp_path, monkeypatch
):
    qwen_omni_emulator.reset()
    target = tmp_path / "reply.wav"

    from qwen_omni.response import OmniResponse

    def fail(self, path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(OmniResponse, "save_audio", fail)
    result = runner.invoke(
        app, ["analyze", SAMPLE, "?", "--save-audio", str(target), "--json", *against]
    )
    output = _clean(result)
    assert result.exit_code == 2
    payload = json.loads(output[output.index("{") :])
    assert payload["text"] and payload["audio_file"] is None
    assert "could not save" in payload["audio_error"] and str(target) in payload["audio_error"]


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://x/v1", "http://[::1", "http://host:99999/v1", "http://"]
)
def test_a_malformed_base_url_names_the_option(url, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test-key-123")
    result = runner.invoke(app, ["analyze", SAMPLE, "?", "--base-url", url])
    output = _clean(result)
    assert result.exit_code == 2
    assert "--base-url" in output


def test_an_unknown_region_is_a_configuration_error():
    result = runner.invoke(app, ["plan", SAMPLE, "--region", "mars"])
    output = _clean(result)
    assert result.exit_code == 3
    assert "mars" in output and "beijing" in output


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_mcp_on_a_public_interface_is_refused_with_a_message(host):
    result = subprocess.run(
        [sys.executable, "-m", "qwen_omni.mcp_server", "--transport", "http", "--host", host],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DASHSCOPE_API_KEY": "sk-test-key-123"},
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "--allow-remote" in result.stderr and host in result.stderr
    assert result.stdout == ""  # stdout is the MCP channel


@pytest.mark.parametrize(
    "args", [["models"], ["plan", SAMPLE], ["plan", SAMPLE, "--json"], ["--help"]]
)
def test_an_ascii_only_terminal_works(args):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))},
        "LANG": "C",
        "LC_ALL": "C",
        "PYTHONIOENCODING": "ascii",
        "PYTHONUTF8": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from qwen_omni.cli import main; main()", *args],
        capture_output=True,
        timeout=120,
        env=env,
        check=False,
    )
    stderr = result.stderr.decode("ascii", "replace")
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr and "UnicodeEncodeError" not in stderr
    assert result.stdout  # something was printed


def test_model_text_that_looks_like_markup_is_printed_as_text(against, qwen_omni_emulator):
    from qwen_omni_emulator import Reply

    qwen_omni_emulator.reset()
    answer = "Closing [/bold] tags and [link=file:///etc/passwd]links[/link] stay text"
    qwen_omni_emulator.script(Reply.text(answer))
    result = runner.invoke(app, ["analyze", SAMPLE, "?", *against])
    output = _clean(result)
    assert result.exit_code == 0, output
    assert answer in output


def test_a_file_name_with_brackets_is_not_markup(against, tmp_path):
    import shutil

    folder = tmp_path / "a[" / "bold]"  # the path reads "…/a[/bold]/clip.mp4"
    folder.mkdir(parents=True)
    odd = folder / "clip [red].mp4"
    shutil.copy(SAMPLE, odd)
    result = runner.invoke(app, ["analyze", str(odd), "?", *against])
    output = _clean(result)
    assert result.exit_code == 0, output
