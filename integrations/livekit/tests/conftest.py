"""The LiveKit plugin against the local emulator's realtime route, over loopback only."""

from __future__ import annotations

import pytest
import pytest_socket

from qwen_omni.emulator import pytest_plugin

qwen_omni_emulator = pytest_plugin.qwen_omni_emulator
emulator = pytest_plugin.emulator

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _loopback_only():
    pytest_socket.socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()
