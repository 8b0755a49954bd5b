"""The LiveKit plugin against the local emulator's realtime route, over loopback only.

``qwen_omni_emulator`` (a session emulator, reset per test) comes from the pytest plugin that
the qwen-omni-emulator distribution registers.
"""

from __future__ import annotations

import pytest
import pytest_socket

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _loopback_only():
    pytest_socket.socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()
