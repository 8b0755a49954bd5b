"""``QwenOmniMediaCache``: any LangChain LLM cache, keyed on media bytes instead of paths.

LangChain's LLM caches key a chat request on the serialised messages. For media that is wrong
twice over: a ``{"type": "video", "path": "clip.mp4"}`` block is keyed on its *path* (a new
file under the old name returns the old, stale answer; the same file under a new name is paid
for again), and an inline base64 block puts the whole file in the key (a 121 KB video made a
162,005-character key). This wrapper rewrites every path and base64 media block into the
SHA-256 of its bytes (the same digest the core's analysis cache and OSS uploads use) before
delegating to the cache it wraps, so every backend (in memory, SQLite, Redis…) gets small,
content-addressed keys.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache

from qwen_omni.cache.digest import bytes_digest, data_uri_digest, file_digest

__all__ = ["QwenOmniMediaCache"]

_MEDIA_TYPES = frozenset({"image", "audio", "video", "file", "input_audio", "image_url"})
_KEY_PREFIX = "qwen-omni-media-v1:"


def _b64_digest(value: str) -> str | None:
    try:
        return bytes_digest(base64.b64decode(value, validate=False))
    except (binascii.Error, ValueError):
        return None


def _rewrite(node: Any) -> Any:
    """``node`` with media bytes and local paths replaced by ``{"sha256": …}``."""
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    if not isinstance(node, dict):
        if isinstance(node, str) and node.startswith("data:"):
            return {"sha256": data_uri_digest(node) or bytes_digest(node.encode())}
        return node
    out = {key: _rewrite(value) for key, value in node.items()}
    if node.get("type") not in _MEDIA_TYPES and "input_audio" not in node:
        return out
    path = node.get("path") or (node.get("extras") or {}).get("path")
    if isinstance(path, str):
        try:
            out.pop("path", None)
            out["sha256"] = file_digest(Path(path).expanduser())
        except OSError:
            out["path"] = path  # missing file: the model call will fail and nothing is cached
    for key in ("base64", "data"):
        value = node.get(key)
        if isinstance(value, str) and (key == "base64" or node.get("source_type") == "base64"):
            digest = _b64_digest(value)
            if digest is not None:
                out.pop(key)
                out["sha256"] = digest
    return out


def media_key(prompt: str) -> str:
    """The prompt a wrapped cache sees: media replaced by digests (other prompts unchanged)."""
    try:
        value = json.loads(prompt)
    except ValueError:
        return prompt
    rewritten = json.dumps(_rewrite(value), sort_keys=True, separators=(",", ":"))
    return _KEY_PREFIX + rewritten


class QwenOmniMediaCache(BaseCache):
    """Wrap any LangChain ``BaseCache`` so media is keyed by its bytes, not its path.

    Example::

        from langchain_core.caches import InMemoryCache
        from langchain_core.globals import set_llm_cache
        from langchain_qwen_omni import QwenOmniMediaCache

        set_llm_cache(QwenOmniMediaCache(InMemoryCache()))
        # or per model: ChatQwenOmni(cache=QwenOmniMediaCache(SQLiteCache("lc.db")))

    Same path with new bytes is a miss; the same bytes under a new path is a hit; inline
    base64 media costs 64 characters of key, whatever its size. Requests are read once to
    hash local files (a (device, inode, size, mtime) fast path skips unchanged ones).
    """

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """Look up the wrapped cache under the media-digest key."""
        return self.cache.lookup(media_key(prompt), llm_string)

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Store in the wrapped cache under the media-digest key."""
        self.cache.update(media_key(prompt), llm_string, return_val)

    def clear(self, **kwargs: Any) -> None:
        """Clear the wrapped cache."""
        self.cache.clear(**kwargs)

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """Async lookup (hashing a new file happens on this call's thread)."""
        return await self.cache.alookup(media_key(prompt), llm_string)

    async def aupdate(self, prompt: str, llm_string: str, return_val: Sequence[Any]) -> None:
        """Async update."""
        await self.cache.aupdate(media_key(prompt), llm_string, return_val)

    async def aclear(self, **kwargs: Any) -> None:
        """Async clear."""
        await self.cache.aclear(**kwargs)
