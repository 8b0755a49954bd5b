"""The CLI on a real pseudo-terminal: every answer line ends up on the screen.

A status line redrawn by rich while the answer is printed used to overwrite it (lines missing,
the first one glued to the bar, nothing at all from a slow stream). Here each model command
runs as a child process on a pty against the test's emulator; its whole output, escape
sequences included, is replayed through ``pyte`` (a VT100 emulator), and the *final screen*
must show every line the same command prints when its stdout is a file.

"On screen" means what a person sees when the command returns: the emulated terminal's
display (redraws, cursor moves and erasures applied), not the raw byte stream, which would
contain a line even when a later redraw wiped it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pyte
import pytest

from qwen_omni_emulator.responder import default_reply

pytestmark = pytest.mark.integration

SAMPLE = str(Path(__file__).resolve().parents[3] / "examples" / "media" / "sample.mp4")
ROWS, COLS = 300, 120  # tall enough that nothing scrolls away; wide enough for most lines

COMMANDS = {
    "analyze": ["analyze", SAMPLE, "What happens in this clip?"],
    "mention": ["mention", SAMPLE, "pricing", "a refund"],
    "caption": ["caption", SAMPLE],
    "summarize": ["summarize", SAMPLE],
    "transcribe": ["transcribe", SAMPLE],
}


def _env(emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QWEN_OMNI_", "OSS_"))}
    env.update(DASHSCOPE_API_KEY=emulator.api_key, TERM="xterm-256color", PYTHONUNBUFFERED="1")
    env.pop("NO_COLOR", None)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


def _argv(emulator, command: str) -> list[str]:
    return ["-m", "qwen_omni.cli", *COMMANDS[command], "--base-url", emulator.base_url]


_EXPECTED: dict[str, list[str]] = {}


def _expected_lines(emulator, command: str) -> list[str]:
    """What the command prints with stdout to a pipe (the case that always worked); the
    emulator's answers are deterministic, so each command runs once per session."""
    if command in _EXPECTED:
        return _EXPECTED[command]
    done = subprocess.run(
        [sys.executable, *_argv(emulator, command)],
        env=_env(emulator),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line.rstrip() for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) >= 2, done.stdout
    _EXPECTED[command] = lines
    return lines


def _screen_after(emulator, command: str) -> tuple[list[str], int]:
    """Run the command on a pty; the emulated terminal's final display and the exit code."""
    child = pexpect.spawn(
        sys.executable,
        _argv(emulator, command),
        env=_env(emulator),
        dimensions=(ROWS, COLS),
        timeout=120,
    )
    raw = child.read()  # until EOF
    child.close()
    screen = pyte.Screen(COLS, ROWS)
    pyte.ByteStream(screen).feed(raw)
    return [row.rstrip() for row in screen.display], child.exitstatus


def _visible(lines: list[str], display: list[str]) -> list[str]:
    """The expected lines that are not on the screen. A line wider than the terminal wraps
    onto the next rows, so the rows are compared as one text, row breaks removed."""
    joined = "\n".join(display)
    flowing = "".join(row.ljust(COLS) for row in display)
    return [line for line in lines if line not in joined and line not in flowing]


@pytest.fixture
def emulator(qwen_omni_emulator):
    return qwen_omni_emulator


@pytest.fixture(params=["fast", "slow"])
def pace(request, emulator):
    """``fast``: the emulator's answers back to back. ``slow``: the same answers, half a
    second before the first byte, then 4 characters every 10 ms (a 1 KB answer takes 2.5 s), so the
    status line keeps redrawing while the answer arrives."""
    if request.param == "slow":
        emulator.responder = lambda req: default_reply(req).with_(delay=0.5, chunk_delay=0.01)
    return request.param


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_answer_line_is_on_screen(emulator, pace, command):
    expected = _expected_lines(emulator, command)
    display, status = _screen_after(emulator, command)
    assert status == 0, "\n".join(display)
    missing = _visible(expected, display)
    assert not missing, f"missing from the screen: {missing!r}\nscreen:\n" + "\n".join(
        row for row in display if row
    )
    # the status line is gone, and it never shared a row with the answer
    assert not any("━" in row for row in display), "\n".join(display)


def test_analyze_status_line_is_live_before_the_answer(emulator):
    """While the model has not answered, the terminal shows what is happening now."""
    emulator.responder = lambda req: default_reply(req).with_(delay=3.0)
    child = pexpect.spawn(
        sys.executable,
        _argv(emulator, "analyze"),
        env=_env(emulator),
        dimensions=(ROWS, COLS),
        timeout=60,
    )
    child.expect("asking qwen3-omni-flash")
    rest = child.read()
    child.close()
    assert child.exitstatus == 0
    assert b"I am the qwen-omni emulator" in rest
