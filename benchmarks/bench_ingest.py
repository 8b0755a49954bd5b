"""Ingestion benchmark: the Ray limiter against its limit, Ray against a plain asyncio loop, and
a cached re-run against the first run, in one run over the emulator.

The emulator answers every request after a fixed latency (``--latency``) and refuses more than
``--service-rps`` requests a second with 429, like DashScope's per-second limits. The rows are
``--rows`` generated PNG images. Printed side by side:

1. **rate**: ``ingest`` on Ray with ``RateLimit(rpm)``: the steady request rate the emulator
   saw (middle 80 % of the requests) against the limit, and the 429s (target: 0, within 5 %);
2. **overhead**: the same rows with no rate limit and the same in-flight cap, through a plain
   ``asyncio.gather`` over one ``AsyncOmniClient`` with a semaphore, and through Ray
   (``analyze_dataset``, start-up included): wall time and Ray's extra time per row;
3. **cache**: the asyncio loop with an ``AnalysisCache``: first run against the re-run (target:
   ≥ 50× faster), and the Ray re-run over the same cache (zero requests; its time is mostly
   Ray starting its actors).

    uv run --no-sync python benchmarks/bench_ingest.py                  # 200 rows, 0.2 s, 20 rps
    uv run --no-sync python benchmarks/bench_ingest.py --rows 60 --rps 10
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

TARGET_RATE_TOLERANCE = 0.05
TARGET_CACHE_SPEEDUP = 50.0


def make_rows(folder: Path, n: int) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = folder / f"img{i:05d}.png"
        Image.new("RGB", (32, 32), (i % 256, (i // 256) % 256, 90)).save(path)
        out.append(path)
    return out


async def asyncio_loop(paths: list[Path], conn: dict[str, str], cap: int, cache: object) -> float:
    """The fair competitor: one client, a semaphore, gather (the same request per row)."""
    from qwen_omni import AsyncOmniClient, image

    sem = asyncio.Semaphore(cap)
    start = time.perf_counter()
    async with AsyncOmniClient(**conn, cache=cache, max_concurrency=None) as client:

        async def one(path: Path) -> None:
            async with sem:
                await client.complete([image(path), PROMPT], temperature=0)

        await asyncio.gather(*(one(p) for p in paths))
    return time.perf_counter() - start


PROMPT = "Describe this media: what it shows or says, and anything notable."


def steady_rate(emulator: object) -> tuple[float, int]:
    records = emulator.requests.chat()  # type: ignore[attr-defined]
    starts = sorted(r.started for r in records if r.status == 200)
    cut = len(starts) // 10
    window = starts[cut : len(starts) - cut]
    rate = (len(window) - 1) / (window[-1] - window[0]) if len(window) > 1 else 0.0
    return rate, sum(1 for r in records if r.status == 429)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--rps", type=float, default=20.0, help="our limit (requests/s)")
    parser.add_argument("--service-rps", type=int, default=25, help="the emulator's 429 limit")
    parser.add_argument("--latency", type=float, default=0.2, help="emulator latency (s)")
    parser.add_argument("--in-flight", type=int, default=8)
    args = parser.parse_args()

    import ray

    from qwen_omni.cache import AnalysisCache
    from qwen_omni.ray import RateLimit, analyze_dataset, ingest, init_ray, media_dataset
    from qwen_omni_emulator import Emulator

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    paths = make_rows(tmp / "lib", args.rows)
    init_ray(num_cpus=2)
    ray.data.DataContext.get_current().enable_progress_bars = False
    with Emulator(latency_s=args.latency) as emu:
        conn = {"base_url": emu.base_url, "api_key": emu.api_key}
        emu.state.rate_limit = (args.service_rps, 1.0)

        # 1. rate
        limit = RateLimit(rpm=args.rps * 60, max_in_flight=args.in_flight, ramp_up_s=0)
        ingest(tmp / "lib", rate_limit=limit, cache=False, **conn)
        rate, n429 = steady_rate(emu)

        # 2. overhead: no rate limit, same in-flight cap
        emu.state.rate_limit = None
        emu.requests.clear()
        t_async = asyncio.run(asyncio_loop(paths, conn, args.in_flight, None))
        unlimited = RateLimit(rpm=1e9, max_in_flight=args.in_flight, ramp_up_s=0)
        start = time.perf_counter()
        analyze_dataset(
            media_dataset(tmp / "lib"), rate_limit=unlimited, cache=False, **conn
        ).take_all()
        t_ray = time.perf_counter() - start

        # 3. cache
        cache = AnalysisCache(tmp / "cache.sqlite3")
        t_first = asyncio.run(asyncio_loop(paths, conn, args.in_flight, cache))
        t_again = asyncio.run(asyncio_loop(paths, conn, args.in_flight, cache))
        emu.requests.clear()
        start = time.perf_counter()
        again = ingest(tmp / "lib", rate_limit=unlimited, cache=cache, **conn)
        t_ray_again = time.perf_counter() - start
        ray_requests = len(emu.requests.chat())
    ray.shutdown()

    n = args.rows
    ok_rate = abs(rate - args.rps) <= TARGET_RATE_TOLERANCE * args.rps and n429 == 0
    speedup = t_first / t_again if t_again > 0 else float("inf")
    print(f"rows {n}, emulator latency {args.latency:g} s, in-flight cap {args.in_flight}")
    print(f"{'':34}{'measured':>14}{'target':>16}")
    print(
        f"{'1. rate (req/s), Ray limiter':34}{rate:>14.2f}{args.rps:>13.2f} ±5%  "
        f"{'OK' if ok_rate else 'MISS'}"
    )
    print(f"{'   429s from the service':34}{n429:>14d}{0:>16d}")
    print(f"{'2. asyncio + semaphore (s)':34}{t_async:>14.2f}")
    print(f"{'   Ray analyze_dataset (s)':34}{t_ray:>14.2f}")
    print(
        f"{'   Ray overhead per row (ms)':34}{(t_ray - t_async) / n * 1000:>14.1f}"
        "   (start-up included)"
    )
    print(f"{'3. first run, asyncio (s)':34}{t_first:>14.2f}")
    print(f"{'   cached re-run, asyncio (s)':34}{t_again:>14.3f}")
    print(
        f"{'   speed-up':34}{speedup:>13.0f}x{TARGET_CACHE_SPEEDUP:>14.0f}x  "
        f"{'OK' if speedup >= TARGET_CACHE_SPEEDUP else 'MISS'}"
    )
    print(
        f"{'   cached re-run, Ray (s)':34}{t_ray_again:>14.2f}   "
        f"{ray_requests} requests, {again.progress.cached} rows cached"
    )


if __name__ == "__main__":
    main()
