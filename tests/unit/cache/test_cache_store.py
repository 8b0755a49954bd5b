"""The analysis cache without a server: keys, digests, stores, concurrency."""

from __future__ import annotations

import base64
import hashlib
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qwen_omni import Message, image, text, video
from qwen_omni.cache import (
    AnalysisCache,
    DigestMemo,
    DirectoryStore,
    SQLiteStore,
    data_uri_digest,
    digest_in_key,
    request_key,
)
from qwen_omni.cache.analysis import entry_from_response, response_from_entry
from qwen_omni.content import ToolCall
from qwen_omni.response import OmniResponse, Usage


def _key(parts, *, memo=None, **over):
    memo = memo or DigestMemo()
    kw = dict(
        model="qwen3-omni-flash",
        region="beijing",
        endpoint="https://dashscope.aliyuncs.com/compatible-mode/v1",
        dialect="dashscope",
        params={"temperature": 0.0},
        voice=None,
        prepare="auto",
        file_digest=memo.digest,
    )
    kw.update(over)
    content = tuple(text(p) if isinstance(p, str) else p for p in parts)
    return request_key([Message(role="user", content=content)], **kw)


def test_same_path_new_bytes_is_a_new_key(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"first version")
    before = _key([video(clip)]).key
    clip.write_bytes(b"second version!")  # size differs: the fingerprint changes
    assert _key([video(clip)]).key != before


def test_same_bytes_new_path_is_the_same_key(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "sub" / "renamed.mp4"
    b.parent.mkdir()
    a.write_bytes(b"the same bytes")
    b.write_bytes(b"the same bytes")
    assert _key([video(a), "Describe."]).key == _key([video(b), "Describe."]).key
    # The same bytes as raw data or as a data URI name the same medium too.
    data_uri = "data:video/mp4;base64," + base64.b64encode(b"the same bytes").decode()
    assert _key([video(data_uri)]).digests == _key([video(a)]).digests
    assert _key([video(b"the same bytes")]).digests == _key([video(a)]).digests
    assert data_uri_digest(data_uri) == hashlib.sha256(b"the same bytes").hexdigest()


def test_key_changes_with_everything_that_shapes_the_answer(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"x" * 100)
    base = _key([video(clip), "Describe."])
    variants = [
        _key([video(clip), "Describe it."]),
        _key([video(clip, fps=1), "Describe."]),
        _key([video(clip), "Describe."], model="qwen3.5-omni-plus"),
        _key([video(clip), "Describe."], region="singapore"),
        _key([video(clip), "Describe."], dialect="vllm"),
        _key([video(clip), "Describe."], params={"temperature": 0.0, "max_tokens": 5}),
        _key([video(clip), "Describe."], params={"temperature": 0.0, "enable_thinking": True}),
        _key([video(clip), "Describe."], params={"tools": [{"type": "function"}]}),
        _key([video(clip), "Describe."], voice="Ethan"),
        _key([video(clip), "Describe."], prepare="never"),
    ]
    keys = {v.key for v in variants}
    assert base.key not in keys and len(keys) == len(variants)


def test_keys_stay_small_whatever_the_media_size(tmp_path: Path) -> None:
    big = "data:video/mp4;base64," + "A" * 200_000
    material = _key([video(big), "Describe."])
    assert len(material.key) == 64
    assert len(str(material.document)) < 1_000  # the bytes are a digest, not in the key


def test_url_inputs_are_volatile_unless_content_addressed() -> None:
    plain = _key([image("https://example.com/cat.png")])
    assert plain.volatile_urls == ("https://example.com/cat.png",)
    digest = "ab" * 32
    ours = _key([image(f"https://b.oss-cn-beijing.aliyuncs.com/qwen-omni/{digest}.png?Signature=x")])
    assert ours.volatile_urls == () and ours.digests == (digest,)
    assert digest_in_key(f"qwen-omni/{digest}.mp4") == digest
    assert digest_in_key("qwen-omni/notadigest.mp4") is None


def test_fast_path_hashes_once_and_reverifies_lazily(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"abc")
    now = [1000.0]
    store = SQLiteStore(tmp_path / "c.sqlite3")
    memo = DigestMemo(store, reverify_after_s=60, clock=lambda: now[0])
    expected = hashlib.sha256(b"abc").hexdigest()
    assert memo.digest(clip) == expected and memo.hashed == 1
    assert memo.digest(clip) == expected and memo.hashed == 1
    # A new process (a new memo) finds the mapping in the store: still no hashing.
    memo2 = DigestMemo(store, reverify_after_s=60, clock=lambda: now[0])
    assert memo2.digest(clip) == expected and memo2.hashed == 0
    # A rewrite that keeps size and mtime is invisible to the fast path until re-verified.
    st = clip.stat()
    clip.write_bytes(b"xyz")
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert memo.digest(clip) == expected
    now[0] += 61
    assert memo.digest(clip) == hashlib.sha256(b"xyz").hexdigest() and memo.hashed == 2


@pytest.mark.parametrize("kind", ["sqlite", "dir"])
def test_store_round_trip_expiry_stats_clear(tmp_path: Path, kind: str) -> None:
    store = SQLiteStore(tmp_path / "a.db") if kind == "sqlite" else DirectoryStore(tmp_path / "d")
    value = {"text": "hi", "cost_cny": 0.5, "usage": {"total_tokens": 10}}
    store.put("a" * 64, value)
    store.put("b" * 64, value, expires_at=time.time() - 1)
    assert store.get("a" * 64) == value
    assert store.get("b" * 64) is None  # expired
    assert store.get("c" * 64) is None
    store.record_hit("a" * 64, cost_cny=0.5, tokens=10)
    store.record_hit("a" * 64, cost_cny=0.5, tokens=10)
    stats = store.stats()
    assert (stats.entries, stats.hits, stats.saved_tokens) == (1, 2, 20)
    assert stats.saved_cny == pytest.approx(1.0)
    if kind == "dir":
        assert (tmp_path / "d" / "aa" / "aa" / f"{'a' * 64}.json").is_file()
    assert store.clear() == 1 and store.get("a" * 64) is None


_WRITER = """
import hashlib, sys
from qwen_omni.cache import DirectoryStore, SQLiteStore
kind, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = SQLiteStore(root) if kind == "sqlite" else DirectoryStore(root)
for i in range(n):
    key = hashlib.sha256(str(i % 20).encode()).hexdigest()
    store.put(key, {"text": "x" * 2000 + str(i % 20), "usage": {"total_tokens": i}})
    got = store.get(key)
    assert got is not None and got["text"].endswith(str(i % 20)), got
"""


@pytest.mark.parametrize("kind", ["sqlite", "dir"])
def test_concurrent_writers_from_several_processes(tmp_path: Path, kind: str) -> None:
    root = str(tmp_path / ("w.sqlite3" if kind == "sqlite" else "w"))
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, kind, root, "40"]) for _ in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    store = SQLiteStore(root) if kind == "sqlite" else DirectoryStore(root)
    assert store.stats().entries == 20
    if kind == "dir":
        assert not list(Path(root).glob("??/??/*.tmp"))  # no half-written leftovers


def test_entries_round_trip_and_only_complete_answers_are_stored(tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path / "c.sqlite3")
    response = OmniResponse(
        text="a cat",
        tool_calls=[ToolCall(id="c1", name="f", arguments='{"x": 1}')],
        finish_reason="tool_calls",
        model="qwen3-omni-flash",
        request_id="req-1",
        usage=Usage.from_dict({"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}),
        audio_pcm=b"\x01\x02" * 4,
        transcript="a cat",
    )
    back = response_from_entry(entry_from_response(response, cost_cny=0.1, elapsed_s=1.5))
    assert back == response
    material = _key(["hello"])
    partial = OmniResponse(text="a c", finish_reason=None)
    assert cache.put(material, partial, cost_cny=None, elapsed_s=0.1) is False
    assert cache.get(material.key) is None
    assert cache.put(material, response, cost_cny=0.1, elapsed_s=1.5) is True
    found = cache.get(material.key)
    assert found is not None
    assert found[0].text == "a cat" and found[1].saved_tokens == 7
    assert found[1].saved_cny == 0.1 and found[1].summary().startswith("from cache")


def test_sampled_answers_need_opt_in(tmp_path: Path) -> None:
    assert AnalysisCache(tmp_path / "a.db").refusal(None)
    assert AnalysisCache(tmp_path / "a.db").refusal(0.7)
    assert AnalysisCache(tmp_path / "a.db").refusal(0) == ""
    assert AnalysisCache(tmp_path / "a.db", sampled=True).refusal(0.7) == ""


def test_cache_pickles_for_workers(tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path / "p.sqlite3", sampled=True, url_ttl_s=5)
    cache.store.put("k" * 64, {"text": "t"})
    clone = pickle.loads(pickle.dumps(cache))
    assert clone.sampled and clone.url_ttl_s == 5
    assert clone.store.get("k" * 64) == {"text": "t"}
