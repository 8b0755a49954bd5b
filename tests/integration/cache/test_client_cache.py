"""OmniClient/AsyncOmniClient with an analysis cache, over the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from qwen_omni import AsyncOmniClient, OmniClient, StreamInterrupted, image
from qwen_omni.cache import AnalysisCache
from qwen_omni.media.synthetic import make_image
from qwen_omni_emulator import Fault


def _chat(emulator) -> int:
    return len(emulator.requests.chat())


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    return make_image(tmp_path / "a.png", width=64, height=48, content="graphic")


def _client(emulator, cache, **kw) -> OmniClient:
    return OmniClient(base_url=emulator.base_url, api_key=emulator.api_key, cache=cache, **kw)


def test_second_identical_request_is_served_from_cache(emulator, tmp_path, picture) -> None:
    cache = AnalysisCache(tmp_path / "c.sqlite3")
    with _client(emulator, cache) as client:
        first = client.complete([image(picture), "Describe."], temperature=0)
        assert not first.from_cache and first.cache is not None and first.cache.stored
        second = client.complete([image(picture), "Describe."], temperature=0)
    assert _chat(emulator) == 1
    assert second.from_cache and second.text == first.text
    assert second.usage == first.usage and second.request_id == first.request_id
    assert second.cache.saved_tokens == first.usage.total_tokens > 0
    assert second.cache.saved_cny is not None and second.cache.saved_cny > 0
    assert "from cache" in second.cache.summary()
    stats = cache.stats()
    assert (stats.entries, stats.hits) == (1, 1)


def test_same_path_new_bytes_misses_same_bytes_new_path_hits(emulator, tmp_path) -> None:
    path = make_image(tmp_path / "x.png", width=64, height=48, content="graphic")
    with _client(emulator, tmp_path / "c.sqlite3") as client:
        client.complete([image(path), "What is it?"], temperature=0)
        make_image(path, width=80, height=40, content="photo")  # new bytes, same path
        assert not client.complete([image(path), "What is it?"], temperature=0).from_cache
        assert _chat(emulator) == 2
        copy = tmp_path / "elsewhere" / "renamed.png"
        copy.parent.mkdir()
        copy.write_bytes(path.read_bytes())
        assert client.complete([image(copy), "What is it?"], temperature=0).from_cache
        assert _chat(emulator) == 2


def test_sampled_answers_are_not_cached_without_opt_in(emulator, tmp_path, picture) -> None:
    with _client(emulator, tmp_path / "c.sqlite3") as client:
        r = client.complete([image(picture), "Describe."])  # the service's default sampling
        assert not r.from_cache and "temperature=0" in r.cache.note
        client.complete([image(picture), "Describe."])
    assert _chat(emulator) == 2
    with _client(emulator, AnalysisCache(tmp_path / "s.sqlite3", sampled=True)) as client:
        client.complete([image(picture), "Describe."], temperature=0.7)
        assert client.complete([image(picture), "Describe."], temperature=0.7).from_cache
    assert _chat(emulator) == 3


def test_broken_or_abandoned_streams_are_never_cached(emulator, tmp_path, picture) -> None:
    with _client(emulator, tmp_path / "c.sqlite3", max_retries=0) as client:
        emulator.fail_next(Fault.drop(after=2))
        with pytest.raises(StreamInterrupted):
            client.complete([image(picture), "Describe."], temperature=0)
        with client.stream([image(picture), "Describe."], temperature=0) as s:
            next(iter(s))  # read one event, then close early
        assert client.cache.stats().entries == 0
        client.complete([image(picture), "Describe."], temperature=0)
        assert client.cache.stats().entries == 1


def test_stream_replays_a_hit_as_events(emulator, tmp_path, picture) -> None:
    with _client(emulator, tmp_path / "c.sqlite3") as client:
        fresh = client.complete([image(picture), "Describe."], temperature=0)
        with client.stream([image(picture), "Describe."], temperature=0) as s:
            text = "".join(getattr(e, "text", "") for e in s)
            assert s.response.from_cache
    assert text == fresh.text


def test_directory_store_and_url_ttl(emulator, tmp_path, picture) -> None:
    url = emulator.host_media("https://media.example.com/a.png", picture.read_bytes())
    cache = AnalysisCache(tmp_path / "tree", url_ttl_s=3600)
    with _client(emulator, cache) as client:
        client.complete([image(url), "Describe."], temperature=0)
        assert client.complete([image(url), "Describe."], temperature=0).from_cache
    entries = list((tmp_path / "tree").glob("??/??/*.json"))
    assert len(entries) == 1 and '"expires_at":null' not in entries[0].read_text()


async def test_async_client_uses_the_cache(emulator, tmp_path, picture) -> None:
    async with AsyncOmniClient(
        base_url=emulator.base_url, api_key=emulator.api_key, cache=tmp_path / "c.sqlite3"
    ) as client:
        first = await client.complete([image(picture), "Describe."], temperature=0)
        second = await client.complete([image(picture), "Describe."], temperature=0)
    assert not first.from_cache and second.from_cache and second.text == first.text
    assert _chat(emulator) == 1
