"""Pytest fixtures for the emulator: ``qwen_omni_emulator`` (one per session) and ``emulator``.

Register with ``pytest_plugins = ["qwen_omni.emulator.pytest_plugin"]`` in a top-level
conftest, or through the ``pytest11`` entry point. Importing this module imports nothing heavy:
the emulator is loaded when a fixture is first used.

``emulator`` is the session's emulator, :meth:`~qwen_omni.emulator.Emulator.reset` before the
test (scripts, faults, rates, responder, hosted media and log cleared), so tests share one
server and never see each other's state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from qwen_omni.emulator.server import Emulator

__all__ = ["emulator", "qwen_omni_emulator"]


@pytest.fixture(scope="session")
def qwen_omni_emulator() -> Iterator[Emulator]:
    """The emulator of the test session, on free loopback ports."""
    from qwen_omni.emulator.server import Emulator

    with Emulator() as emu:
        yield emu


@pytest.fixture
def emulator(qwen_omni_emulator: Emulator) -> Emulator:
    """The session's emulator, reset for this test."""
    qwen_omni_emulator.reset()
    return qwen_omni_emulator
