"""The session emulator under a short name for the cache tests."""

import pytest


@pytest.fixture
def emulator(qwen_omni_emulator):
    return qwen_omni_emulator
