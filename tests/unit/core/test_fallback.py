"""The ONE "no key → emulator" decision (qwen_omni.fallback), and what happens without the
emulator distribution: the CLI says how to install it instead of failing on an import."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qwen_omni import fallback
from qwen_omni.cli import app
from qwen_omni.errors import ConfigurationError

SAMPLE = str(Path(__file__).resolve().parents[3] / "examples" / "media" / "sample.mp4")
runner = CliRunner()


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("QWEN_OMNI_BASE_URL", raising=False)


@pytest.fixture
def not_installed(monkeypatch):
    """As if qwen-omni-emulator were not installed: its entry point is not there."""
    monkeypatch.setattr(fallback, "entry_points", lambda **_: [])


def test_decision_table(no_key, monkeypatch):
    assert fallback.use_emulator() is True
    assert fallback.use_emulator(base_url="http://127.0.0.1:9/v1") is False
    assert fallback.use_emulator(emulator=True, base_url="http://127.0.0.1:9/v1") is True
    with pytest.raises(ConfigurationError, match="DASHSCOPE_API_KEY"):
        fallback.use_emulator(emulator=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test")
    assert fallback.use_emulator() is False
    assert fallback.use_emulator(emulator=False) is False
    assert fallback.use_emulator(emulator=True) is True


def test_with_a_key_the_service_is_used_and_nothing_is_announced(monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test")
    said = []
    with fallback.service_or_emulator(announce=said.append) as conn:
        assert conn == {}
    with fallback.service_or_emulator(base_url="http://h/v1", announce=said.append) as conn:
        assert conn == {"base_url": "http://h/v1"}
    assert said == []


def test_the_installed_emulator_is_found_through_its_entry_point():
    server = fallback.emulator_server()
    assert server.__name__ == "qwen_omni_emulator.server"
    assert callable(server.Emulator) and callable(server.serve)


def test_missing_emulator_says_how_to_install_it(no_key, not_installed):
    with pytest.raises(ConfigurationError, match="pip install qwen-omni-emulator"):
        fallback.emulator_server()
    with pytest.raises(ConfigurationError, match="pip install qwen-omni-emulator"):
        with fallback.service_or_emulator(announce=None):
            pass


def test_cli_emulator_command_without_the_emulator(not_installed):
    result = runner.invoke(app, ["emulator", "--port", "0"])
    assert result.exit_code == 3
    assert "pip install qwen-omni-emulator" in result.stderr


def test_cli_model_command_without_key_nor_emulator(no_key, not_installed):
    result = runner.invoke(app, ["analyze", SAMPLE, "What happens?"])
    assert result.exit_code == 3
    assert "pip install qwen-omni-emulator" in result.stderr
    assert "DASHSCOPE_API_KEY" in result.stderr
