"""QwenOmniMediaCache around LangChain's own caches, with ChatQwenOmni over the emulator."""

from __future__ import annotations

import base64
import warnings
from pathlib import Path
from typing import Any

import pytest
from langchain_core.caches import BaseCache, InMemoryCache
from langchain_core.messages import HumanMessage

from langchain_qwen_omni import ChatQwenOmni, QwenOmniMediaCache
from qwen_omni.media.synthetic import make_image


def _sqlite_cache(path: Path) -> BaseCache:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # langchain-community's notice
        from langchain_community.cache import SQLiteCache

    return SQLiteCache(database_path=str(path))


@pytest.fixture(params=["memory", "sqlite"])
def inner(request: pytest.FixtureRequest, tmp_path: Path) -> BaseCache:
    return InMemoryCache() if request.param == "memory" else _sqlite_cache(tmp_path / "lc.db")


def _ask(model: ChatQwenOmni, block: dict[str, Any]) -> str:
    return model.invoke([HumanMessage([block, {"type": "text", "text": "What is it?"}])]).text


def _requests(emulator: Any) -> int:
    return len(emulator.requests.chat())


def test_path_blocks_are_keyed_by_bytes(qwen_omni_emulator, inner, tmp_path) -> None:
    model = ChatQwenOmni(cache=QwenOmniMediaCache(inner), temperature=0)
    pic = make_image(tmp_path / "a.png", width=64, height=48, content="graphic")
    first = _ask(model, {"type": "image", "path": str(pic)})
    assert _ask(model, {"type": "image", "path": str(pic)}) == first
    assert _requests(qwen_omni_emulator) == 1
    # Same path, new bytes: a miss (LangChain alone would return the stale answer).
    make_image(pic, width=80, height=40, content="photo")
    _ask(model, {"type": "image", "path": str(pic)})
    assert _requests(qwen_omni_emulator) == 2
    # Same bytes, new path: a hit (LangChain alone would pay again).
    copy = tmp_path / "copy" / "renamed.png"
    copy.parent.mkdir()
    copy.write_bytes(pic.read_bytes())
    _ask(model, {"type": "image", "path": str(copy)})
    assert _requests(qwen_omni_emulator) == 2


def test_base64_blocks_make_small_keys(qwen_omni_emulator, tmp_path) -> None:
    inner = InMemoryCache()
    model = ChatQwenOmni(cache=QwenOmniMediaCache(inner), temperature=0)
    pic = make_image(tmp_path / "big.png", width=400, height=300, content="photo")
    b64 = base64.b64encode(pic.read_bytes()).decode()
    assert len(b64) > 100_000
    block = {"type": "image", "base64": b64, "mime_type": "image/png"}
    _ask(model, block)
    _ask(model, block)
    assert _requests(qwen_omni_emulator) == 1
    ((prompt, _llm),) = inner._cache.keys()
    assert len(prompt) < 2_000
    assert b64[:100] not in prompt
