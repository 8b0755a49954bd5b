"""Fixtures shared by the CLI tests."""

import pytest


@pytest.fixture
def no_key(monkeypatch):
    """No key and no endpoint in the environment: the CLI falls back to the emulator."""
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("QWEN_OMNI_BASE_URL", raising=False)


@pytest.fixture
def against(qwen_omni_emulator, monkeypatch):
    """CLI arguments pointing at the test's emulator, as if it were the real service."""
    monkeypatch.setenv("DASHSCOPE_API_KEY", qwen_omni_emulator.api_key)
    return ["--base-url", qwen_omni_emulator.base_url]
