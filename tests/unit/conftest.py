"""Unit tests: no network. Sockets are disabled (Unix sockets stay allowed for asyncio)."""

import pytest
import pytest_socket


@pytest.fixture(autouse=True)
def _no_sockets():
    pytest_socket.disable_socket(allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()
