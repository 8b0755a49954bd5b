"""Ray Data ingestion over the emulator on a local 2-CPU Ray cluster started here.

Limits are checked where they matter, at the server: the emulator records when each request
started and how long it took, so the achieved rate and the requests in flight are measured
from its log, not from our own counters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from qwen_omni.cache import AnalysisCache  # noqa: E402
from qwen_omni.ray import RateLimit, analyze_dataset, ingest, media_dataset  # noqa: E402


def _pictures(folder: Path, n: int, *, offset: int = 0) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(offset, offset + n):
        path = folder / f"img{i:04d}.png"
        Image.new("RGB", (32, 32), (i % 256, (i // 256) % 256, 90)).save(path)
        out.append(path)
    return out


def _chat(emulator):
    return emulator.requests.chat()


def _max_overlap(records) -> int:
    """The most requests the server was handling at one moment."""
    edges = []
    for r in records:
        edges.append((r.started, 1))
        edges.append((r.started + (r.elapsed_s or 0.0), -1))
    peak = current = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
        current += step
        peak = max(peak, current)
    return peak


@pytest.fixture
def slow_emulator(emulator):
    before = emulator.state.config.latency_s
    emulator.state.config.latency_s = 0.1
    yield emulator
    emulator.state.config.latency_s = before


def _kw(emulator, **over):
    return {"base_url": emulator.base_url, "api_key": emulator.api_key, **over}


@pytest.mark.timeout(900)  # three runs; each starts its actors (slow on a loaded machine)
def test_rate_cap_resume_and_one_changed_file(ray_cluster, slow_emulator, tmp_path) -> None:
    emulator = slow_emulator
    # The service's own limit (15 requests in any second); ours (10/s) is below it, with room
    # for requests that a busy machine delays and then sends close together.
    emulator.state.rate_limit = (15, 1.0)
    files = _pictures(tmp_path / "lib", 200)
    cache = AnalysisCache(tmp_path / "cache.sqlite3")
    limit = RateLimit(rpm=10 * 60, max_in_flight=6, ramp_up_s=0)
    seen = []
    first = ingest(
        tmp_path / "lib",
        out=tmp_path / "results.parquet",
        rate_limit=limit,
        cache=cache,
        concurrency=2,
        on_progress=seen.append,
        **_kw(emulator),
    )
    records = _chat(emulator)
    assert len(records) == 200 and first.status == "complete"
    assert all(r.status == 200 for r in records)  # zero 429s
    # The steady rate, over the middle 160 requests (actors start at different moments).
    starts = sorted(r.started for r in records)[20:181]
    rate = (len(starts) - 1) / (starts[-1] - starts[0])
    assert rate == pytest.approx(10.0, rel=0.05)
    assert _max_overlap(records) <= 6
    assert first.progress.done == 200 and first.progress.tokens > 0
    assert seen and seen[-1].done == 200
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "results.parquet")
    assert table.num_rows == 200 and set(table.column("status").to_pylist()) == {"ok"}
    assert all(t for t in table.column("text").to_pylist())

    # The same run again: everything comes from the cache, nothing is sent.
    emulator.requests.clear()
    again = ingest(tmp_path / "lib", rate_limit=limit, cache=cache, **_kw(emulator))
    assert len(_chat(emulator)) == 0
    assert again.progress.cached == 200 and again.progress.cost_cny == 0

    # One file changed (same path, new bytes): one request.
    from PIL import Image

    Image.new("RGB", (32, 32), (1, 2, 3)).save(files[17])
    rows = ingest(tmp_path / "lib", rate_limit=limit, cache=cache, **_kw(emulator)).rows
    assert len(_chat(emulator)) == 1
    fresh = [r for r in rows if r["status"] == "ok"]
    assert [Path(r["path"]).name for r in fresh] == [files[17].name]


def test_in_flight_cap_holds_at_the_server(ray_cluster, emulator, tmp_path) -> None:
    emulator.state.config.latency_s = 0.3
    try:
        _pictures(tmp_path / "lib", 12)
        ds = media_dataset(tmp_path / "lib")
        out = analyze_dataset(
            ds,
            rate_limit=RateLimit(rpm=60_000, max_in_flight=2, ramp_up_s=0),
            cache=False,
            concurrency=2,
            batch_size=6,
            **_kw(emulator),
        ).take_all()
    finally:
        emulator.state.config.latency_s = 0.0
    assert len(out) == 12 and {r["status"] for r in out} == {"ok"}
    assert _max_overlap(_chat(emulator)) == 2  # concurrent, and never above the cap


def test_budget_stops_with_rows_so_far(ray_cluster, emulator, tmp_path) -> None:
    from qwen_omni import OmniClient, image

    files = _pictures(tmp_path / "lib", 20)
    with OmniClient(**_kw(emulator)) as client:
        one = client.estimate([image(files[0]), "x"], output_tokens=512).cost
    assert one is not None
    budget = one.total * 5.5
    result = ingest(
        tmp_path / "lib",
        rate_limit=RateLimit(rpm=6000, ramp_up_s=0),
        cache=False,
        budget_cny=budget,
        **_kw(emulator),
    )
    p = result.progress
    assert p.budget_exhausted and "stopped: budget reached" in result.status
    assert p.skipped > 0 and p.done == 20 and 1 <= 20 - p.skipped <= 5
    assert len(_chat(emulator)) == 20 - p.skipped
    assert 0 < p.cost_cny <= budget
    skipped = [r for r in result.rows if r["status"] == "skipped"]
    assert all(r["error_class"] == "BudgetExhausted" and r["request_id"] is None for r in skipped)


def test_a_429_pauses_and_the_row_still_succeeds(ray_cluster, emulator, tmp_path) -> None:
    from qwen_omni_emulator import Fault

    _pictures(tmp_path / "lib", 3)
    emulator.fail_next(Fault.rate_limit(retry_after=0.5))
    result = ingest(
        tmp_path / "lib", rate_limit=RateLimit(rpm=6000, ramp_up_s=0), cache=False,
        **_kw(emulator),
    )  # fmt: skip
    assert {r["status"] for r in result.rows} == {"ok"}
    assert result.limiter["rate_limited"] >= 1
    statuses = [r.status for r in _chat(emulator)]
    assert statuses.count(429) == 1 and statuses.count(200) == 3


def test_the_local_cluster_stays_on_loopback(ray_cluster) -> None:
    """Ray maps 127.0.0.1 to the machine's outward address unless told otherwise; the local
    ingestion cluster, its workers included, must listen and talk on loopback only."""
    import ray

    @ray.remote
    def where() -> str:
        return ray.util.get_node_ip_address()

    assert ray.util.get_node_ip_address() == "127.0.0.1"
    assert ray.get(where.remote(), timeout=120) == "127.0.0.1"
