"""Where analysis-cache entries live: an SQLite file (default) or a directory tree.

Both stores keep one JSON document per key and are safe for concurrent writers:

- ``SQLiteStore``: one embedded file on local disk, zero setup. WAL journal and a busy timeout
  let several processes on one machine (Ray workers, parallel CLI runs) read and write at once;
  each thread and process opens its own connection (SQLite connections must not cross forks).
- ``DirectoryStore``: ``<root>/ab/cd/<key>.json``, for a shared filesystem that a cluster
  mounts (NFS, a synced OSS bucket). Each entry is written to a temporary file in the same
  directory and renamed into place, so readers see a whole entry or none, and the last writer
  of identical content wins harmlessly.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["CacheStats", "CacheStore", "DirectoryStore", "SQLiteStore"]


@dataclass(frozen=True)
class CacheStats:
    """What a cache holds and what it saved.

    Attributes:
        location: the file or directory.
        entries: answers stored (expired ones excluded).
        bytes: their total size.
        hits: answers served from the cache since it was created (or cleared).
        saved_cny: the list price of the requests those hits did not send.
        saved_tokens: their tokens.
    """

    location: str
    entries: int
    bytes: int
    hits: int
    saved_cny: float
    saved_tokens: int

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.location}: {self.entries:,} answers ({self.bytes / 1e6:.2f} MB); "
            f"{self.hits:,} hits saved {self.saved_tokens:,} tokens, {self.saved_cny:.4f} CNY"
        )


@runtime_checkable
class CacheStore(Protocol):
    """A key → JSON-document store with expiry and hit accounting."""

    location: str

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry for ``key`` (None when absent or expired)."""
        ...

    def put(self, key: str, value: dict[str, Any], *, expires_at: float | None = None) -> None:
        """Store ``value`` (a JSON-serialisable dict) under ``key``."""
        ...

    def record_hit(self, key: str, *, cost_cny: float, tokens: int) -> None:
        """Count one hit of ``key`` (for ``stats``)."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        ...

    def clear(self) -> int:
        """Forget everything; returns how many entries were removed."""
        ...

    def stats(self) -> CacheStats:
        """Counts and savings."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL,
    cost_cny REAL NOT NULL DEFAULT 0,
    tokens INTEGER NOT NULL DEFAULT 0,
    hits INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS digests (
    fingerprint TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    verified REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS totals (
    name TEXT PRIMARY KEY,
    value REAL NOT NULL
);
"""


class SQLiteStore:
    """Cache entries in one SQLite file (created with its parent directories on first use).

    Also keeps the file-fingerprint → digest mappings, so a re-run hashes nothing unchanged.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout_s: float = 30.0) -> None:
        self.path = Path(path).expanduser()
        self.location = str(self.path)
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._init_lock = threading.Lock()
        self._ready = False

    def __repr__(self) -> str:
        return f"SQLiteStore({self.location!r})"

    def __getstate__(self) -> dict[str, Any]:
        # Connections and locks stay in their process; the other side opens its own.
        return {"path": self.location, "timeout_s": self.timeout_s}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], timeout_s=state["timeout_s"])  # type: ignore[misc]

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={int(self.timeout_s * 1000)}")
        with self._init_lock:
            if not self._ready:
                # WAL lets readers proceed while one writer commits; set once per file.
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
                self._ready = True
        conn.execute("PRAGMA synchronous=NORMAL")
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry for ``key`` (None when absent or expired)."""
        row = (
            self._conn()
            .execute("SELECT value, expires FROM entries WHERE key = ?", (key,))
            .fetchone()
        )
        if row is None:
            return None
        if row[1] is not None and row[1] <= time.time():
            self.delete(key)
            return None
        value: dict[str, Any] = json.loads(row[0])
        return value

    def put(self, key: str, value: dict[str, Any], *, expires_at: float | None = None) -> None:
        """Store ``value`` under ``key`` (replacing an older entry)."""
        self._conn().execute(
            "INSERT INTO entries (key, value, created, expires, cost_cny, tokens) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
            "created = excluded.created, expires = excluded.expires, "
            "cost_cny = excluded.cost_cny, tokens = excluded.tokens",
            (
                key,
                json.dumps(value, separators=(",", ":")),
                time.time(),
                expires_at,
                float(value.get("cost_cny") or 0.0),
                int((value.get("usage") or {}).get("total_tokens") or 0),
            ),
        )

    def record_hit(self, key: str, *, cost_cny: float, tokens: int) -> None:
        """Count one hit (the savings are summed in ``stats``)."""
        self._conn().execute("UPDATE entries SET hits = hits + 1 WHERE key = ?", (key,))

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._conn().execute("DELETE FROM entries WHERE key = ?", (key,))

    def clear(self) -> int:
        """Forget every answer and file digest; returns how many answers were removed."""
        conn = self._conn()
        n = int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
        conn.execute("DELETE FROM entries")
        conn.execute("DELETE FROM digests")
        return n

    def stats(self) -> CacheStats:
        """Counts and savings (expired entries excluded)."""
        row = (
            self._conn()
            .execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0), COALESCE(SUM(hits), 0), "
                "COALESCE(SUM(hits * cost_cny), 0), COALESCE(SUM(hits * tokens), 0) FROM entries "
                "WHERE expires IS NULL OR expires > ?",
                (time.time(),),
            )
            .fetchone()
        )
        return CacheStats(
            self.location, int(row[0]), int(row[1]), int(row[2]), float(row[3]), int(row[4])
        )

    # --- fingerprint → digest (see qwen_omni.cache.digest) -----------------------------------

    def get_digest(self, fp: str) -> tuple[str, float] | None:
        """The digest and verification time remembered for a file fingerprint."""
        row = (
            self._conn()
            .execute("SELECT digest, verified FROM digests WHERE fingerprint = ?", (fp,))
            .fetchone()
        )
        return (str(row[0]), float(row[1])) if row else None

    def put_digest(self, fp: str, digest: str, verified_at: float) -> None:
        """Remember that the file with fingerprint ``fp`` had ``digest``."""
        self._conn().execute(
            "INSERT OR REPLACE INTO digests (fingerprint, digest, verified) VALUES (?, ?, ?)",
            (fp, digest, verified_at),
        )


class DirectoryStore:
    """Cache entries as ``<root>/ab/cd/<key>.json`` files (shared filesystems, clusters).

    Hits are appended to ``<key>.hits`` beside the entry (one short line per hit; appends of
    a few bytes are atomic on local and NFS filesystems), so stats count every process's hits.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()
        self.location = str(self.root)

    def __repr__(self) -> str:
        return f"DirectoryStore({self.location!r})"

    def path_for(self, key: str) -> Path:
        """The file that holds ``key``: ``ab/cd/<key>.json``."""
        return self.root / key[:2] / key[2:4] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry for ``key`` (None when absent or expired)."""
        try:
            doc = json.loads(self.path_for(key).read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # unreadable or half-copied by a foreign tool: a miss, not a crash
        expires = doc.get("expires_at")
        if expires is not None and expires <= time.time():
            self.delete(key)
            return None
        value: dict[str, Any] = doc["value"]
        return value

    def put(self, key: str, value: dict[str, Any], *, expires_at: float | None = None) -> None:
        """Write the entry atomically (temporary file + rename)."""
        target = self.path_for(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        doc = {"key": key, "created": time.time(), "expires_at": expires_at, "value": value}
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:8]}-", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, separators=(",", ":"))
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def record_hit(self, key: str, *, cost_cny: float, tokens: int) -> None:
        """Append one hit line beside the entry."""
        line = f"{cost_cny:.6f} {tokens}\n".encode()
        with contextlib.suppress(OSError):
            fd = os.open(
                self.path_for(key).with_suffix(".hits"), os.O_WRONLY | os.O_APPEND | os.O_CREAT
            )
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        for path in (self.path_for(key), self.path_for(key).with_suffix(".hits")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _entries(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return list(self.root.glob("??/??/*.json"))

    def clear(self) -> int:
        """Remove every entry; returns how many."""
        n = 0
        for path in self._entries():
            self.delete(path.stem)
            n += 1
        return n

    def stats(self) -> CacheStats:
        """Counts and savings, by scanning the tree."""
        entries = size = hits = tokens = 0
        saved = 0.0
        for path in self._entries():
            with contextlib.suppress(OSError):
                size += path.stat().st_size
                entries += 1
            with contextlib.suppress(OSError, ValueError):
                for line in path.with_suffix(".hits").read_text().splitlines():
                    cost, toks = line.split()
                    hits += 1
                    saved += float(cost)
                    tokens += int(toks)
        return CacheStats(self.location, entries, size, hits, saved, tokens)
