"""Integration tests drive the local emulator over loopback sockets.

The ``qwen_omni_emulator`` (reset per test) and ``qwen_omni_emulator_session`` (one per
session) fixtures come from ``qwen_omni_emulator.pytest_plugin``, registered as a ``pytest11``
entry point by the qwen-omni-emulator distribution, so every test folder (and users' own
projects that install it) gets them.

Folders that test the OSS server on its own (``oss/``, ``delivery/``) share the fixtures
below: one OSS emulator per module, state reset per test.
"""

from __future__ import annotations

import pytest

from qwen_omni_emulator.oss import OssState, serve_oss


@pytest.fixture(scope="module")
def oss_server():
    state = OssState()
    state.create_bucket("media")
    state.create_bucket("public", public_read=True)
    with serve_oss(state) as endpoint:
        yield state, endpoint
    state.close()


@pytest.fixture
def oss_state(oss_server):
    state, _ = oss_server
    state.time_offset = 0.0
    state.requests.clear()
    state.peak_in_flight = 0
    return state


@pytest.fixture
def endpoint(oss_server, oss_state):
    return oss_server[1]
