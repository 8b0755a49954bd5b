"""Fixtures for the MCP tests: the emulator (with a text model) and a media root."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qwen_omni.catalog import GENERIC, MODELS


@pytest.fixture(scope="session")
def mcp_emulator():
    from qwen_omni_emulator import Emulator

    models = {**MODELS, "qwen-plus": replace(GENERIC, name="qwen-plus", audio_output=False)}
    with Emulator(models=models) as emu:
        yield emu


@pytest.fixture
def emu(mcp_emulator):
    mcp_emulator.reset()
    yield mcp_emulator
    mcp_emulator.reset()


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    from qwen_omni.media.synthetic import make_audio, make_video

    root = tmp_path_factory.mktemp("mcp-media")
    make_video(root / "clip.mp4", seconds=3, width=160, height=90, fps=5)
    make_video(root / "long.mp4", seconds=24, width=96, height=64, fps=4, motion="static")
    make_audio(root / "call.mp3", seconds=3, format="mp3")
    return root


@pytest.fixture
async def tasks(emu, media_root):
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks

    t = AsyncOmniTasks(
        base_url=emu.base_url,
        api_key=emu.api_key,
        policy=AccessPolicy(roots=(media_root,)),
        max_retries=0,
        segment_seconds=10,
    )
    yield t
    await t.aclose()
