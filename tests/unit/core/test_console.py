"""The ``qwen-omni`` console script without the CLI's extra says what to install."""

import subprocess
import sys
from pathlib import Path

import pytest

from qwen_omni import _console

SAMPLE = str(Path(__file__).resolve().parents[3] / "examples" / "media" / "sample.mp4")


@pytest.mark.parametrize(
    ("missing", "extra"), [("typer", "cli"), ("rich", "cli")]
)
def test_missing_optional_module_names_the_extra(missing, extra):
    # A fresh interpreter: in this one, other tests may already have imported the CLI (and
    # with it typer and rich), which would hide a missing module.
    code = (
        "import sys\n"
        f"sys.modules[{missing!r}] = None  # import raises ModuleNotFoundError\n"
        f"sys.argv = ['qwen-omni', 'analyze', {SAMPLE!r}, '--emulator']\n"
        "from qwen_omni import _console\n"
        "_console.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 3, done.stderr
    assert f"pip install 'qwen-omni[{extra}]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unrelated_import_error_is_not_hidden():
    assert _console.install_hint(ModuleNotFoundError("no", name="yaml")) is None
