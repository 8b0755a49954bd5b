"""Integration tests: the LlamaIndex package against the local emulator over loopback.

Only loopback traffic: the emulator serves the model endpoint, receives and probes media, and
hosts any "remote" URL a test needs (``emulator.host_media``). Media is generated per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_socket

# The emulator's fixtures (a session emulator, reset per test), without a root-level plugin.
from qwen_omni.emulator.pytest_plugin import emulator, qwen_omni_emulator  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _loopback_only():
    pytest_socket.socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small generated media: a 3 s video with sound, a 2 s WAV and a PNG."""
    from qwen_omni.media.synthetic import make_audio, make_image, make_video

    root = tmp_path_factory.mktemp("media")
    return {
        "video": make_video(root / "clip.mp4", seconds=3, width=160, height=120, fps=10),
        "audio": make_audio(root / "tone.wav", seconds=2),
        "image": make_image(root / "picture.png", width=64, height=48),
    }


@pytest.fixture
def llm_factory(emulator):
    from llama_index.llms.qwen_omni import QwenOmni

    def make(**kwargs):
        kwargs.setdefault("base_url", emulator.base_url)
        kwargs.setdefault("api_key", emulator.api_key)
        return QwenOmni(**kwargs)

    return make


@pytest.fixture
def llm(llm_factory):
    return llm_factory()
