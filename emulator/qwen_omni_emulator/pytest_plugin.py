"""Pytest fixtures for the emulator, registered by the ``qwen-omni-emulator`` distribution.

- ``qwen_omni_emulator``: the session's emulator, :meth:`~qwen_omni_emulator.Emulator.reset`
  before the test (scripts, faults, rates, responder, hosted media and log cleared), so tests
  share one server and never see each other's state;
- ``qwen_omni_emulator_session``: that one emulator of the test session, on free loopback
  ports, not reset (for session- or module-scoped fixtures of your own).

The names are prefixed so that installing the emulator never shadows a project's own
``emulator`` fixture. The ``pytest11`` entry point registers this module wherever
``qwen-omni-emulator`` is installed (``pytest_plugins = ["qwen_omni_emulator.pytest_plugin"]``
does the same explicitly). Importing it imports nothing heavy: the emulator loads when a
fixture is first used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from qwen_omni_emulator.server import Emulator

__all__ = ["qwen_omni_emulator", "qwen_omni_emulator_session"]


@pytest.fixture(scope="session")
def qwen_omni_emulator_session() -> Iterator[Emulator]:
    """The emulator of the test session, on free loopback ports."""
    from qwen_omni_emulator.server import Emulator

    with Emulator() as emu:
        yield emu


@pytest.fixture
def qwen_omni_emulator(qwen_omni_emulator_session: Emulator) -> Emulator:
    """The session's emulator, reset for this test."""
    qwen_omni_emulator_session.reset()
    return qwen_omni_emulator_session
