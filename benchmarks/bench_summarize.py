"""summarize_long_video: concurrent segments against a sequential loop, on the emulator.

The emulator answers every request after a fixed latency (2 s by default), like a model
taking 2 s per segment. A 10-minute clip is cut into 90 s segments (7 of them). We time:

- one segment request alone, and the final text-model summary alone (the floor);
- ``summarize_long_video`` with segments concurrent (``max_concurrency`` 8);
- the same pipeline with ``max_concurrency=1``: a sequential loop.

Target (issue #6): concurrent ≤ 1.5 × (one segment + final summary); sequential ≈ 7 × one
segment. Splitting and delivery are included in both pipeline timings.

    uv run --no-sync python benchmarks/bench_summarize.py [--minutes 10] [--latency 2]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from qwen_omni.catalog import GENERIC, MODELS
from qwen_omni.content import video
from qwen_omni.media import split_media
from qwen_omni.media.synthetic import make_video
from qwen_omni.tasks import AsyncOmniTasks
from qwen_omni_emulator import Emulator


async def timed(coro) -> tuple[float, object]:
    start = time.perf_counter()
    result = await coro
    return time.perf_counter() - start, result


async def run(minutes: float, latency: float, segment: float, concurrency: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-summarize-"))
    try:
        await _run(work, minutes, latency, segment, concurrency)
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _run(
    work: Path, minutes: float, latency: float, segment: float, concurrency: int
) -> None:
    clip = work / "long.mp4"
    t0 = time.perf_counter()
    make_video(clip, seconds=minutes * 60, width=64, height=36, fps=2, motion="static")
    print(f"generated a {minutes:g}-minute clip in {time.perf_counter() - t0:.1f} s ({clip})")
    models = {**MODELS, "qwen-plus": replace(GENERIC, name="qwen-plus", audio_output=False)}
    async with Emulator(models=models, latency_s=latency) as emu:
        common = {"base_url": emu.base_url, "api_key": emu.api_key, "max_retries": 0}
        async with (
            AsyncOmniTasks(max_concurrency=concurrency, **common) as parallel,
            AsyncOmniTasks(max_concurrency=1, **common) as sequential,
        ):
            # warm both clients (imports, connection pools) outside the measurements
            await parallel.ask([], "warm up", model="qwen-plus")
            await sequential.ask([], "warm up", model="qwen-plus")
            first_piece = split_media(clip, work / "probe", segment_s=segment)[0]
            one_segment, _ = await timed(
                parallel.ask([video(first_piece.path)], "Summarize this part.")
            )
            final_only, _ = await timed(
                parallel.ask([], "Summarize these summaries: ...", model="qwen-plus")
            )
            floor = one_segment + final_only
            t_par, res_par = await timed(
                parallel.summarize_long_video(str(clip), segment_seconds=segment)
            )
            t_seq, res_seq = await timed(
                sequential.summarize_long_video(str(clip), segment_seconds=segment)
            )
    n = len(res_par.segments)  # type: ignore[attr-defined]
    assert res_par.complete  # type: ignore[attr-defined]
    assert res_seq.complete  # type: ignore[attr-defined]
    print()
    print(f"clip {minutes:g} min, {n} segments of ≤{segment:g} s, emulator latency {latency:g} s")
    print(f"{'run':<38}{'seconds':>9}{'÷ (segment + final)':>22}{'÷ segment':>12}")
    rows = [
        ("one segment request", one_segment),
        ("final summary request (qwen-plus)", final_only),
        (f"concurrent (max_concurrency={concurrency})", t_par),
        ("sequential loop (max_concurrency=1)", t_seq),
    ]
    for label, seconds in rows:
        print(f"{label:<38}{seconds:>9.2f}{seconds / floor:>22.2f}{seconds / one_segment:>12.2f}")
    print()
    print(f"concurrent vs sequential: {t_seq / t_par:.2f}× faster")
    verdict = "PASS" if t_par <= 1.5 * floor else "FAIL"
    print(f"target: concurrent ≤ 1.5 × (segment + final) = {1.5 * floor:.2f} s → {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--latency", type=float, default=2.0, help="emulator seconds per request")
    parser.add_argument("--segment", type=float, default=90.0, help="segment length, seconds")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.minutes, args.latency, args.segment, args.concurrency))


if __name__ == "__main__":
    main()
