"""`qwen-omni analyze --cache` and `qwen-omni cache stats|clear`, against the emulator."""

import json

import pytest
from typer.testing import CliRunner

from qwen_omni.cli import app
from qwen_omni.media.synthetic import make_image

pytestmark = pytest.mark.integration
runner = CliRunner()


def test_analyze_cache_then_stats_and_clear(qwen_omni_emulator, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", qwen_omni_emulator.api_key)
    pic = str(make_image(tmp_path / "p.png", width=64, height=48, content="graphic"))
    db = str(tmp_path / "answers.sqlite3")
    args = ["analyze", pic, "What is it?", "--cache", "--cache-path", db]
    args += ["--base-url", qwen_omni_emulator.base_url]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert len(qwen_omni_emulator.requests.chat()) == 1
    stats = runner.invoke(app, ["cache", "stats", "--cache-path", db, "--json"])
    data = json.loads(stats.stdout)
    assert (data["entries"], data["hits"]) == (1, 1)
    assert data["saved_tokens"] > 0
    cleared = runner.invoke(app, ["cache", "clear", "--cache-path", db, "--yes"])
    assert "removed 1 answers" in cleared.stdout
    assert (
        json.loads(runner.invoke(app, ["cache", "stats", "--cache-path", db, "--json"]).stdout)[
            "entries"
        ]
        == 0
    )
