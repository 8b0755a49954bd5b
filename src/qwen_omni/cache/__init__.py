"""The content-addressed analysis cache: pay once per (media bytes, question).

- ``AnalysisCache``: what the clients use (``OmniClient(cache=...)``); see its docstring.
- Stores: ``SQLiteStore`` (one file, default) and ``DirectoryStore`` (``ab/cd/<key>.json`` on a
  shared filesystem, for clusters). Both are safe for concurrent writers.
- ``request_key``: the key of a request (media digests, never paths, plus everything that
  shapes the answer); ``file_digest``: a file's SHA-256 with a (device, inode, size, mtime)
  fast path, shared with the OSS store's content-addressed upload keys.
"""

from qwen_omni.cache.analysis import (
    DEFAULT_URL_TTL_S,
    AnalysisCache,
    default_cache_path,
    open_cache,
    replay_events,
)
from qwen_omni.cache.digest import (
    DigestMemo,
    FileFingerprint,
    bytes_digest,
    data_uri_digest,
    digest_in_key,
    file_digest,
    fingerprint,
)
from qwen_omni.cache.key import CACHE_FORMAT_VERSION, KeyMaterial, canonical_json, request_key
from qwen_omni.cache.store import CacheStats, CacheStore, DirectoryStore, SQLiteStore

__all__ = [
    "CACHE_FORMAT_VERSION",
    "DEFAULT_URL_TTL_S",
    "AnalysisCache",
    "CacheStats",
    "CacheStore",
    "DigestMemo",
    "DirectoryStore",
    "FileFingerprint",
    "KeyMaterial",
    "SQLiteStore",
    "bytes_digest",
    "canonical_json",
    "data_uri_digest",
    "default_cache_path",
    "digest_in_key",
    "file_digest",
    "fingerprint",
    "open_cache",
    "replay_events",
    "request_key",
]
