"""``AnalysisCache``: answers already paid for, found again by what was asked.

Stored per key (see ``qwen_omni.cache.key``): the text, reasoning, tool calls, finish reason,
usage, cost, request id, when it was received and how long it took. Only complete answers are
stored (a stream that broke, was cut or was closed early never is). Answers sampled with
``temperature > 0`` (or the service's default, which is > 0) vary between calls, so they are
stored only when the cache is built with ``sampled=True``. Requests that read media from an
http(s) URL (whose content may change) are stored with an expiry (``url_ttl_s``); media sent
from local files, bytes, data URIs or content-addressed uploads never expire.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qwen_omni.cache.digest import DEFAULT_REVERIFY_S, DigestMemo
from qwen_omni.cache.key import KeyMaterial
from qwen_omni.cache.store import CacheStats, CacheStore, DirectoryStore, SQLiteStore
from qwen_omni.content import ToolCall
from qwen_omni.response import (
    AudioDelta,
    CacheInfo,
    Event,
    Finish,
    OmniResponse,
    ReasoningDelta,
    Started,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageEvent,
)

__all__ = ["DEFAULT_URL_TTL_S", "AnalysisCache", "default_cache_path", "open_cache"]

logger = logging.getLogger("qwen_omni.cache")

#: How long an answer about media read from an http(s) URL is trusted.
DEFAULT_URL_TTL_S = 24 * 3600.0


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/qwen-omni/analysis.sqlite3`` (``~/.cache/…`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qwen-omni" / "analysis.sqlite3"


class AnalysisCache:
    """A content-addressed cache of Qwen-Omni answers.

    Example::

        from qwen_omni import OmniClient, video
        from qwen_omni.cache import AnalysisCache
        cache = AnalysisCache("answers.sqlite3")      # or a directory for a cluster
        client = OmniClient(cache=cache)
        r = client.complete([video("clip.mp4"), "Describe it."], temperature=0)
        r.cache.summary()   # 'stored in cache'; the same call again: 'from cache (saved …)'

    Args:
        store: a ``CacheStore``, a path ending in ``.sqlite3``/``.sqlite``/``.db`` (SQLite), an
            existing or new directory (``DirectoryStore``), or None for the default SQLite file
            (:func:`default_cache_path`).
        sampled: also store answers sampled with temperature > 0 (or the service's default).
        url_ttl_s: expiry of answers about media read from http(s) URLs.
        reverify_after_s: how long a file's (device, inode, size, mtime) → digest mapping is
            trusted before the file is hashed again.
    """

    def __init__(
        self,
        store: CacheStore | str | os.PathLike[str] | None = None,
        *,
        sampled: bool = False,
        url_ttl_s: float = DEFAULT_URL_TTL_S,
        reverify_after_s: float = DEFAULT_REVERIFY_S,
    ) -> None:
        if store is None:
            store = SQLiteStore(default_cache_path())
        elif isinstance(store, (str, os.PathLike)):
            path = Path(store).expanduser()
            is_db = path.suffix.lower() in (".sqlite3", ".sqlite", ".db") or path.is_file()
            store = SQLiteStore(path) if is_db else DirectoryStore(path)
        self.store: CacheStore = store
        self.sampled = sampled
        self.url_ttl_s = url_ttl_s
        backend = store if isinstance(store, SQLiteStore) else None
        self.digests = DigestMemo(backend, reverify_after_s=reverify_after_s)
        self.hits = 0
        self.misses = 0
        self.stores = 0

    def __repr__(self) -> str:
        return f"AnalysisCache({self.store!r}, sampled={self.sampled})"

    def __getstate__(self) -> dict[str, Any]:
        # Picklable (Ray ships it to workers): the digest memo is rebuilt on the other side.
        return {
            "store": self.store,
            "sampled": self.sampled,
            "url_ttl_s": self.url_ttl_s,
            "reverify_after_s": self.digests.reverify_after_s,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["store"],
            sampled=state["sampled"],
            url_ttl_s=state["url_ttl_s"],
            reverify_after_s=state["reverify_after_s"],
        )

    def file_digest(self, path: Any) -> str:
        """SHA-256 of a local file through the fast path (fingerprint → digest)."""
        return self.digests.digest(path)

    def refusal(self, temperature: float | None) -> str:
        """Why an answer with this temperature would not be stored ("" when it would)."""
        if self.sampled or temperature == 0:
            return ""
        shown = "the service default" if temperature is None else f"temperature={temperature:g}"
        return (
            f"sampled answers ({shown}) vary between calls: pass temperature=0, or build the "
            "cache with AnalysisCache(..., sampled=True) to keep them"
        )

    def get(self, key: str) -> tuple[OmniResponse, CacheInfo] | None:
        """The stored answer for ``key`` and what it saves (a hit is counted), or None."""
        value = self.store.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        response = response_from_entry(value)
        usage = response.usage
        tokens = usage.total_tokens if usage else 0
        info = CacheInfo(
            key=key,
            hit=True,
            saved_tokens=tokens,
            saved_cny=value.get("cost_cny"),
            saved_seconds=float(value.get("elapsed_s") or 0.0),
            cached_at=value.get("received_at"),
        )
        self.store.record_hit(key, cost_cny=float(value.get("cost_cny") or 0.0), tokens=tokens)
        return response, info

    def put(
        self,
        material: KeyMaterial,
        response: OmniResponse,
        *,
        cost_cny: float | None,
        elapsed_s: float,
    ) -> bool:
        """Store a complete answer (returns False, storing nothing, for a partial one)."""
        if response.finish_reason is None:
            return False
        expires = time.time() + self.url_ttl_s if material.volatile_urls else None
        self.store.put(
            material.key,
            entry_from_response(response, cost_cny=cost_cny, elapsed_s=elapsed_s),
            expires_at=expires,
        )
        self.stores += 1
        return True

    def stats(self) -> CacheStats:
        """What the store holds and what its hits saved."""
        return self.store.stats()

    def clear(self) -> int:
        """Forget every stored answer; returns how many were removed."""
        return self.store.clear()


def open_cache(
    spec: AnalysisCache | CacheStore | str | os.PathLike[str] | bool | None,
) -> AnalysisCache | None:
    """An ``AnalysisCache`` from what a user passed as ``cache=``: None/False (no cache), True
    (the default SQLite file), a path (SQLite file or directory), a store, or a cache."""
    if spec is None or spec is False:
        return None
    if isinstance(spec, AnalysisCache):
        return spec
    if spec is True:
        return AnalysisCache()
    if isinstance(spec, (str, os.PathLike)) or _is_store(spec):
        return AnalysisCache(spec)
    raise TypeError(
        f"cache= takes True, a path (SQLite file or directory), a CacheStore or an "
        f"AnalysisCache; got {type(spec).__name__}"
    )


def _is_store(value: object) -> bool:
    return isinstance(value, CacheStore)


# --- entries ----------------------------------------------------------------------------------


def entry_from_response(
    response: OmniResponse, *, cost_cny: float | None, elapsed_s: float
) -> dict[str, Any]:
    """The JSON document stored for a complete answer."""
    entry: dict[str, Any] = {
        "text": response.text,
        "reasoning": response.reasoning,
        "tool_calls": [c.model_dump() for c in response.tool_calls],
        "finish_reason": response.finish_reason,
        "model": response.model,
        "id": response.id,
        "request_id": response.request_id,
        "usage": dict(response.usage.raw) if response.usage else None,
        "cost_cny": cost_cny,
        "received_at": time.time(),
        "elapsed_s": round(elapsed_s, 4),
    }
    if response.audio_pcm:
        entry["audio_pcm_b64"] = base64.b64encode(response.audio_pcm).decode("ascii")
        entry["transcript"] = response.transcript
        entry["audio_id"] = response.audio_id
    return entry


def response_from_entry(value: dict[str, Any]) -> OmniResponse:
    """The ``OmniResponse`` a stored entry describes."""
    usage = value.get("usage")
    return OmniResponse(
        text=value.get("text") or "",
        reasoning=value.get("reasoning") or "",
        tool_calls=[ToolCall(**c) for c in value.get("tool_calls") or []],
        finish_reason=value.get("finish_reason"),
        model=value.get("model") or "",
        id=value.get("id") or "",
        request_id=value.get("request_id"),
        usage=Usage.from_dict(usage) if usage else None,
        audio_pcm=base64.b64decode(value["audio_pcm_b64"]) if value.get("audio_pcm_b64") else b"",
        transcript=value.get("transcript") or "",
        audio_id=value.get("audio_id"),
    )


def replay_events(response: OmniResponse) -> Iterator[Event]:
    """The events a stream of ``response`` would have produced (for a cache hit)."""
    yield Started(response.id, response.model, response.request_id)
    if response.reasoning:
        yield ReasoningDelta(response.reasoning)
    if response.text and not response.audio_pcm:
        yield TextDelta(response.text)
    if response.audio_pcm:
        if response.text and response.text != response.transcript:
            yield TextDelta(response.text)
        yield AudioDelta(response.audio_pcm, response.transcript, response.audio_id)
    for index, call in enumerate(response.tool_calls):
        yield ToolCallDelta(index, call.id, call.name, call.arguments)
    if response.finish_reason is not None:
        yield Finish(response.finish_reason)
    if response.usage is not None:
        yield UsageEvent(response.usage)
