"""The ``qwen-omni`` console script without the CLI's extra says what to install."""

import sys
from pathlib import Path

import pytest

from qwen_omni import _console

SAMPLE = str(Path(__file__).resolve().parents[3] / "examples" / "media" / "sample.mp4")


@pytest.mark.parametrize(
    ("missing", "extra"), [("typer", "cli"), ("rich", "cli")]
)
def test_missing_optional_module_names_the_extra(monkeypatch, capsys, missing, extra):
    # import raises ModuleNotFoundError, for its submodules too (they may be loaded already)
    for name in [m for m in sys.modules if m == missing or m.startswith(missing + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, missing, None)
    for name in list(sys.modules):
        if name == "qwen_omni.cli":
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "argv", ["qwen-omni", "analyze", SAMPLE, "--emulator"])
    with pytest.raises(SystemExit) as exited:
        _console.main()
    assert exited.value.code == 3
    err = capsys.readouterr().err
    assert f"pip install 'qwen-omni[{extra}]'" in err
    assert "Traceback" not in err


def test_an_unrelated_import_error_is_not_hidden():
    assert _console.install_hint(ModuleNotFoundError("no", name="yaml")) is None
