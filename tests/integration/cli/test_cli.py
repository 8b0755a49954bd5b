"""The `qwen-omni` command, in-process with typer's runner, against the emulator."""

import io
import json
import wave
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qwen_omni.cli import app
from qwen_omni_emulator import Fault, Reply

pytestmark = pytest.mark.integration

SAMPLE = str(Path(__file__).resolve().parents[3] / "examples" / "media" / "sample.mp4")
runner = CliRunner()


def test_main_job_on_the_emulator_says_so_first(no_key):
    result = runner.invoke(app, ["analyze", SAMPLE, "What happens?"])
    assert result.exit_code == 0, result.output
    first_line = result.stdout.splitlines()[0]
    assert "local emulator" in first_line and "DASHSCOPE_API_KEY" in first_line
    assert "video: 6.00 s" in result.stdout  # the emulator really received the clip


def test_json_output_is_one_parseable_object(no_key):
    result = runner.invoke(app, ["analyze", SAMPLE, "What happens?", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["answer"] and payload["sent"]["model"] == "qwen3-omni-flash"
    assert payload["sent"]["media"][0]["kind"] == "video"
    assert "local emulator" in result.stderr


def test_missing_file_is_bad_input(no_key, tmp_path):
    result = runner.invoke(app, ["analyze", str(tmp_path / "nope.mp4")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_live_without_key_is_a_configuration_error(no_key):
    result = runner.invoke(app, ["analyze", SAMPLE, "--live"])
    assert result.exit_code == 3 and "DASHSCOPE_API_KEY" in result.stderr


def test_service_error_exit_code(qwen_omni_emulator, against):
    qwen_omni_emulator.fail_next(Fault.server_error(500), times=5)
    result = runner.invoke(app, ["analyze", SAMPLE, "x", *against])
    assert result.exit_code == 4, result.output
    assert "ServiceError" in result.stderr


def test_interrupted_answer_exit_code_keeps_partial(qwen_omni_emulator, against):
    qwen_omni_emulator.fail_next(Fault.drop(after=3))
    qwen_omni_emulator.script(Reply.stream(["The ", "clip ", "shows ", "a ", "red ", "square"]))
    result = runner.invoke(app, ["analyze", SAMPLE, "x", *against])
    assert result.exit_code == 5, result.output
    assert "partial answer" in result.stderr


def test_spoken_reply_saved_as_wav(qwen_omni_emulator, against, tmp_path):
    qwen_omni_emulator.script(Reply.text("A short clip with a tone."))
    target = tmp_path / "reply.wav"
    result = runner.invoke(app, ["analyze", SAMPLE, "x", "--save-audio", str(target), *against])
    assert result.exit_code == 0, result.output
    with wave.open(io.BytesIO(target.read_bytes())) as w:
        assert w.getframerate() == 24000 and w.getnframes() > 0


def test_mention_and_caption_print_structured_results(qwen_omni_emulator, against):
    qwen_omni_emulator.script(
        Reply.json({"mentions": [{"topic": "pricing", "mentioned": True, "evidence": "it costs",
                                  "time_s": 2.0, "confidence": 0.9}]}),
    )
    result = runner.invoke(app, ["mention", SAMPLE, "pricing", "--json", *against])
    assert result.exit_code == 0, result.output
    mentions = json.loads(result.stdout)["mentions"]
    assert mentions[0]["topic"] == "pricing" and mentions[0]["mentioned"] is True


def test_plan_sends_nothing(qwen_omni_emulator, against):
    result = runner.invoke(app, ["plan", SAMPLE, "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["kind"] == "video" and plan["as_is"]["tokens"] > 0
    assert plan["as_is"]["delivery"] == "inline"
    assert len(qwen_omni_emulator.requests.chat()) == 0


def test_models_lists_the_catalog():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0 and "qwen3-omni-flash" in result.stdout


def test_version_is_the_distribution_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"qwen-omni {version('qwen-omni')}"


def test_misspelled_command_suggests_the_right_one():
    result = runner.invoke(app, ["anlyze", SAMPLE])
    assert result.exit_code == 2
    assert "Did you mean 'analyze'" in result.stderr


@pytest.mark.parametrize("command", ["analyze", "mention", "plan"])
def test_misspelled_model_suggests_the_catalog_id(no_key, command):
    args = {"analyze": [SAMPLE], "mention": [SAMPLE, "pricing"], "plan": [SAMPLE]}[command]
    result = runner.invoke(app, [command, *args, "--model", "qwen3-omni-flsh"])
    assert result.exit_code == 2, result.output
    words = " ".join(result.stderr.replace("│", " ").split())  # rich boxes and wraps errors
    assert "did you mean 'qwen3-omni-flash'" in words


def test_unknown_but_new_model_is_sent_with_a_warning(qwen_omni_emulator, against):
    # a dated snapshot of a known model is not a typo: it goes out (here the emulator, like the
    # service, does not know it: 404), and the user was told it is not in the catalog
    result = runner.invoke(
        app, ["analyze", SAMPLE, "x", "--model", "qwen3-omni-flash-2099-01-01", *against]
    )
    assert result.exit_code == 4, result.output
    assert "not in the catalog" in result.stderr
    assert "NotFoundError" in result.stderr and "qwen3-omni-flash-2099-01-01" in result.stderr


@pytest.fixture
def media_site():
    """examples/media over plain HTTP on 127.0.0.1 (stands for the user's own media server)."""
    import functools
    import http.server
    import threading

    folder = Path(SAMPLE).parent
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))

    class Quiet(handler.func):  # type: ignore[name-defined]
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_plan_a_url_downloads_and_measures_it(media_site):
    url = f"{media_site}/sample.mp4"
    by_url = runner.invoke(app, ["plan", url, "--json"])
    local = runner.invoke(app, ["plan", SAMPLE, "--json"])
    assert by_url.exit_code == 0, by_url.output
    planned, reference = json.loads(by_url.stdout), json.loads(local.stdout)
    assert planned["source"] == url  # not mangled into "http:/127.0.0.1…"
    assert planned["as_is"]["tokens"] == reference["as_is"]["tokens"]
    assert planned["as_is"]["bytes"] == Path(SAMPLE).stat().st_size
    assert any("service fetches it" in note for note in planned["notes"])
    text = runner.invoke(app, ["plan", url])
    assert text.stdout.startswith(f"{url}: video for qwen3-omni-flash")


def test_plan_a_missing_url_is_bad_input(media_site):
    result = runner.invoke(app, ["plan", f"{media_site}/nope.mp4"])
    assert result.exit_code == 2, result.output
    assert "nope.mp4" in result.stderr and "404" in result.stderr


def test_answer_text_with_brackets_is_printed_verbatim(qwen_omni_emulator, against):
    # rich markup would swallow "[qwen3-omni-flash; …]" or "[bold]": answers are plain text
    qwen_omni_emulator.script(Reply.text("See [bold]this[/bold] and [x; y] and :smile:"))
    result = runner.invoke(app, ["analyze", SAMPLE, "x", *against])
    assert result.exit_code == 0, result.output
    assert "See [bold]this[/bold] and [x; y] and :smile:" in result.stdout
