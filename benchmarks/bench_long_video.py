"""Long-video summary on a real 720p30 clip with sound: wall time against the CPU floor and
against a plain ``asyncio.gather`` loop (issues 17, 18).

The clip is generated in code (1280×720, 30 fps, moving picture, 16 kHz sound). The emulator
runs in its own process (so its media probing is not counted as ours) and answers every
request after ``--latency`` seconds, like a model. Delivery is inline only (a custom endpoint,
no OSS): each segment must fit the 10 MB data-URI cap.

- **ours**: ``summarize_long_video`` — each segment cut and prepared in one pass (720p, preset
  fps, capped bitrate) on a worker thread and sent as soon as it is written;
- **gather loop**: what a plain script does with the same library calls and settings: cut at
  keyframes (``split_media``), then ``asyncio.gather`` over segments of
  ``prepare_video`` (in a thread) + one request each, then the final text summary;
- **CPU floor**: our process CPU ÷ cores + one segment request + the final summary request
  (the least wall time the work can take on this machine).

    uv run --no-sync python benchmarks/bench_long_video.py [--seconds 180] [--segment 90]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def _emulator(queue: mp.Queue, latency: float, stop: mp.Event) -> None:  # type: ignore[type-arg]
    from qwen_omni.catalog import GENERIC, MODELS
    from qwen_omni_emulator import Emulator

    models = {**MODELS, "qwen-plus": replace(GENERIC, name="qwen-plus", audio_output=False)}
    with Emulator(models=models, latency_s=latency) as emu:
        queue.put((emu.base_url, emu.api_key))
        stop.wait()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _ours(common: dict, clip: Path, segment: float) -> tuple[float, float, object]:
    from qwen_omni.tasks import AsyncOmniTasks

    async with AsyncOmniTasks(**common) as tasks:
        await tasks.ask([], "warm up", model="qwen-plus")
        c0, t0 = _cpu(), time.perf_counter()
        result = await tasks.summarize_long_video(str(clip), segment_seconds=segment)
        return time.perf_counter() - t0, _cpu() - c0, result


async def _gather_loop(
    common: dict, clip: Path, segment: float, work: Path
) -> tuple[float, float, int]:
    from qwen_omni import AsyncOmniClient, video
    from qwen_omni.media import prepare_video, split_media

    async with AsyncOmniClient(**common) as client:
        await client.complete("warm up", model="qwen-plus")
        c0, t0 = _cpu(), time.perf_counter()
        pieces = await asyncio.to_thread(
            split_media, clip, work / "gather", segment_s=segment, model="qwen3-omni-flash"
        )

        async def one(i: int) -> str:
            seg = pieces[i]
            ready = await asyncio.to_thread(prepare_video, seg.path, work / f"g{i:03d}.mp4")
            reply = await client.complete([video(ready.path), "Summarize this part."])
            return reply.text

        texts = await asyncio.gather(*(one(i) for i in range(len(pieces))), return_exceptions=True)
        ok = [t for t in texts if isinstance(t, str)]
        await client.complete("Summarize: " + " ".join(ok), model="qwen-plus")
        return time.perf_counter() - t0, _cpu() - c0, len(ok)


async def _one_request(common: dict, clip: Path, work: Path) -> tuple[float, float]:
    from qwen_omni import AsyncOmniClient, video
    from qwen_omni.media import make_video

    small = make_video(work / "one.mp4", seconds=4, width=320, height=180, fps=4)
    async with AsyncOmniClient(**common) as client:
        t0 = time.perf_counter()
        await client.complete([video(small), "Summarize this part."])
        t1 = time.perf_counter()
        await client.complete("Summarize: a b c", model="qwen-plus")
        return t1 - t0, time.perf_counter() - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="clip length")
    parser.add_argument("--segment", type=float, default=90.0, help="segment length, seconds")
    parser.add_argument("--latency", type=float, default=2.0, help="emulator seconds per request")
    parser.add_argument("--clip", type=Path, default=None, help="reuse a clip (skips generation)")
    args = parser.parse_args()

    from qwen_omni.media import make_video, probe

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    work = Path(tempfile.mkdtemp(prefix="bench-long-video-"))
    ctx = mp.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_emulator, args=(queue, args.latency, stop), daemon=True)
    server.start()
    try:
        clip = args.clip
        if clip is None:
            t0 = time.perf_counter()
            clip = make_video(
                work / "talk720p30.mp4", seconds=args.seconds, width=1280, height=720, fps=30
            )
            print(f"generated {clip.name} in {time.perf_counter() - t0:.0f} s")
        info = probe(clip)
        base_url, api_key = queue.get(timeout=60)
        common = {"base_url": base_url, "api_key": api_key, "max_retries": 0}
        one, final = asyncio.run(_one_request(common, clip, work))
        wall, cpu, result = asyncio.run(_ours(common, clip, args.segment))
        g_wall, g_cpu, g_ok = asyncio.run(_gather_loop(common, clip, args.segment, work))
    finally:
        stop.set()
        server.join(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    n = len(result.segments)  # type: ignore[attr-defined]
    floor = cpu / cores + one + final
    print()
    print(
        f"clip {info.width}×{info.height} {info.fps:g} fps, {info.duration_s:.0f} s, "
        f"{info.size_bytes / 1e6:.1f} MB, sound {'yes' if info.audio else 'no'}; "
        f"{n} segments of ≤{args.segment:g} s; emulator latency {args.latency:g} s; "
        f"{cores} cores, load {load:.1f}"
    )
    print(f"complete: ours {result.complete} ({n}/{n} segments)"  # type: ignore[attr-defined]
          f", gather loop {g_ok}/{n}")  # fmt: skip
    for trade in result.trades:  # type: ignore[attr-defined]
        print(f"trade: {trade}")
    print(f"{'run':<44}{'wall s':>8}{'CPU s':>8}{'÷ floor':>9}")
    rows = [
        ("one segment request + final summary", one + final, 0.0),
        ("CPU floor (our CPU ÷ cores + requests)", floor, cpu),
        ("ours: summarize_long_video", wall, cpu),
        ("plain asyncio.gather loop", g_wall, g_cpu),
    ]
    for label, seconds, cpu_s in rows:
        print(f"{label:<44}{seconds:>8.2f}{cpu_s:>8.2f}{seconds / floor:>9.2f}")
    print(f"ours vs gather loop: {wall / g_wall:.2f}× the wall time")


if __name__ == "__main__":
    main()
