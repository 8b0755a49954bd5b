"""Integration tests: langchain-qwen-omni against the qwen-omni emulator, over loopback only.

The ``qwen_omni_emulator`` fixture (session server, reset per test) comes from the pytest plugin
of the qwen-omni-emulator distribution. Every test here points ``ChatQwenOmni`` at it through
the environment, the way a user would (``QWEN_OMNI_BASE_URL`` and ``DASHSCOPE_API_KEY``), so
models built anywhere in a test (also inside LangChain's standard suite) talk to the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_socket

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _emulator_env(qwen_omni_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    pytest_socket.socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    monkeypatch.setenv("QWEN_OMNI_BASE_URL", qwen_omni_emulator.base_url)
    monkeypatch.setenv("DASHSCOPE_API_KEY", qwen_omni_emulator.api_key)
    for name in ("QWEN_OMNI_REGION", "QWEN_OMNI_MODEL", "QWEN_OMNI_DIALECT"):
        monkeypatch.delenv(name, raising=False)
    yield
    pytest_socket.enable_socket()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small generated media: a 3 s video with sound, a 2 s WAV and a PNG."""
    from qwen_omni.media.synthetic import make_audio, make_image, make_video

    root = tmp_path_factory.mktemp("lc-media")
    return {
        "video": make_video(root / "clip.mp4", seconds=3, width=160, height=120, fps=10),
        "audio": make_audio(root / "tone.wav", seconds=2),
        "image": make_image(root / "picture.png", width=64, height=48),
    }
