"""Upload benchmark: our OssStore (parallel resumable multipart) vs oss2's default resumable upload.

The OSS emulator runs in its own process with a per-connection bandwidth cap (a WAN link: each
TCP connection gets ``--bandwidth`` bytes/s) and added latency. The same file is uploaded twice:

- **ours**: ``MediaDelivery("oss", oss=OssStore(...)).deliver(video(path), ctx)`` — hashing for
  the content-addressed key, a HEAD for dedupe, parallel multipart, and the signed URL;
- **oss2 default**: ``oss2.resumable_upload(bucket, key, path)`` with its defaults
  (one thread, 10 MiB parts).

Reported side by side: wall time, throughput, the speed-up ratio, and the client's peak memory
growth during each upload (RSS sampled every 5 ms), plus the server process's peak RSS.

    uv run --no-sync python benchmarks/bench_upload.py               # 1 GiB, 20 MB/s/connection
    uv run --no-sync python benchmarks/bench_upload.py --size 64MiB  # quick run

Targets (issue #5): ours ≥ 2.5× faster than oss2's default; peak memory growth ≤ 64 MiB.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

MiB = 1024 * 1024
TARGET_SPEEDUP = 2.5
TARGET_MEMORY_MIB = 64.0


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1GiB, 64MiB, 500MB)")
    number, unit = float(match.group(1)), (match.group(2) or "B").upper()
    scale = {
        "B": 1,
        "K": 1e3,
        "KB": 1e3,
        "KIB": 1024,
        "M": 1e6,
        "MB": 1e6,
        "MIB": MiB,
        "G": 1e9,
        "GB": 1e9,
        "GIB": 1024 * MiB,
    }[unit]
    return int(number * scale)


def rss_bytes(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def hwm_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """Samples this process's RSS in a thread; ``growth`` is peak minus the value at start."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.start = 0
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval_s)

    def __enter__(self) -> PeakRss:
        self.start = self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth(self) -> int:
        return self.peak - self.start


def run_server(queue: mp.Queue, root: str, bandwidth: float, latency: float) -> None:
    from qwen_omni_emulator.oss import OssState, serve_oss

    state = OssState(root=root)
    state.create_bucket("bench")
    stop = threading.Event()
    with serve_oss(state, bandwidth_bps=bandwidth, latency_s=latency) as endpoint:
        queue.put(endpoint)
        stop.wait()


def make_file(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with path.open("wb") as fh:
        written = 0
        counter = 0
        while written < size:
            counter += 1
            # different blocks, cheaply: the content-addressed key must not collide across runs
            chunk = counter.to_bytes(8, "little") + block[8:]
            chunk = chunk[: size - written]
            fh.write(chunk)
            written += len(chunk)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size", type=parse_size, default=1024 * MiB, help="file size (default 1GiB)"
    )
    parser.add_argument(
        "--bandwidth",
        type=parse_size,
        default=parse_size("20MB"),
        help="per-connection cap in bytes/s (default 20MB = 20,000,000)",
    )
    parser.add_argument("--latency", type=float, default=0.02, help="added per request, seconds")
    parser.add_argument(
        "--threads", type=int, default=None, help="our parallel parts (default: OssStore's)"
    )
    parser.add_argument(
        "--part-size", type=parse_size, default=None, help="our part size (default: oss2's)"
    )
    parser.add_argument(
        "--no-crc",
        action="store_true",
        help="ours without the client-side CRC64 check (verify_crc=False); the baseline keeps it",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="only run ours")
    args = parser.parse_args()

    import oss2

    from qwen_omni import content
    from qwen_omni.delivery import DeliveryContext, LocalMedia, MediaDelivery, OssStore

    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    source = workdir / "clip.mp4"
    print(f"writing a {args.size / MiB:,.0f} MiB test file…", flush=True)
    make_file(source, args.size)

    ctx_mp = mp.get_context("spawn")
    queue: mp.Queue = ctx_mp.Queue()
    server = ctx_mp.Process(
        target=run_server,
        args=(queue, str(workdir / "oss"), args.bandwidth, args.latency),
        daemon=True,
    )
    server.start()
    endpoint = queue.get(timeout=30)
    try:
        store_kwargs = {
            "bucket": "bench",
            "endpoint": endpoint,
            "region": "cn-beijing",
            "access_key_id": "emu-oss-ak",
            "access_key_secret": "emu-oss-sk",
            "checkpoint_dir": workdir / "ckpt-ours",
        }
        if args.threads:
            store_kwargs["num_threads"] = args.threads
        if args.part_size:
            store_kwargs["part_size"] = args.part_size
        if args.no_crc:
            store_kwargs["verify_crc"] = False
        store = OssStore(**store_kwargs)
        delivery = MediaDelivery("oss", oss=store, use_env=False)
        ctx = DeliveryContext(model="qwen3-omni-flash", base_url=endpoint + "/compatible-mode/v1")
        store.bucket.put_object("warmup", b"x")  # imports and the first connection, off the clock

        crc = "on" if store.verify_crc else "off"
        print(f"ours: OssStore, {store.num_threads} threads, CRC64 check {crc}…", flush=True)
        with PeakRss() as ours_mem:
            start = time.perf_counter()
            # The content-addressed key (SHA-256 of the file), timed apart; deliver() reuses it.
            store.key_for(LocalMedia.from_part(content.video(source)))
            hash_s = time.perf_counter() - start
            delivered = delivery.deliver(content.video(source), ctx)
            ours_s = time.perf_counter() - start
        assert delivered.url.startswith(endpoint)

        base_s = base_mem_growth = None
        if not args.skip_baseline:
            bucket = oss2.Bucket(
                oss2.AuthV4("emu-oss-ak", "emu-oss-sk"), endpoint, "bench", region="cn-beijing"
            )
            checkpoints = oss2.ResumableStore(root=str(workdir / "ckpt-oss2"))
            print("oss2 default: resumable_upload(bucket, key, path)…", flush=True)
            with PeakRss() as base_mem:
                start = time.perf_counter()
                oss2.resumable_upload(bucket, "baseline/clip.mp4", str(source), store=checkpoints)
                base_s = time.perf_counter() - start
            base_mem_growth = base_mem.growth
        server_peak = hwm_bytes(server.pid)  # type: ignore[arg-type]
    finally:
        server.terminate()
        server.join(10)
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)

    size_mib = args.size / MiB
    print()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after (ours is CPU-bound when the machine is busy; the "
        "single-threaded baseline is bandwidth-bound)"
    )
    print(
        f"file {size_mib:,.0f} MiB · per-connection cap {args.bandwidth / 1e6:,.1f} MB/s · "
        f"latency {args.latency * 1000:.0f} ms/request"
    )
    header = f"{'':<28}{'ours (OssStore)':>18}{'oss2 default':>16}{'ratio':>10}"
    print(header)
    print("-" * len(header))
    base_txt = f"{base_s:>15.2f}s" if base_s else f"{'-':>16}"
    ratio_txt = f"{base_s / ours_s:>9.2f}x" if base_s else f"{'-':>10}"
    print(f"{'wall time':<28}{ours_s:>17.2f}s{base_txt}{ratio_txt}")
    print(f"{'  of which SHA-256 key':<28}{hash_s:>17.2f}s")
    base_tp = f"{size_mib / base_s:>11.1f} MiB/s" if base_s else f"{'-':>16}"
    print(f"{'throughput':<28}{size_mib / ours_s:>12.1f} MiB/s{base_tp}")
    base_m = f"{base_mem_growth / MiB:>12.1f} MiB" if base_mem_growth is not None else f"{'-':>16}"
    print(f"{'client peak RSS growth':<28}{ours_mem.growth / MiB:>14.1f} MiB{base_m}")
    print(f"{'server peak RSS (both runs)':<28}{server_peak / MiB:>14.1f} MiB")
    print()
    ok = True
    if base_s:
        speedup = base_s / ours_s
        passed = speedup >= TARGET_SPEEDUP
        ok &= passed
        print(
            f"[{'PASS' if passed else 'FAIL'}] speed-up {speedup:.2f}x "
            f"(target >= {TARGET_SPEEDUP}x)"
        )
    mem_passed = ours_mem.growth / MiB <= TARGET_MEMORY_MIB
    ok &= mem_passed
    print(
        f"[{'PASS' if mem_passed else 'FAIL'}] peak memory growth {ours_mem.growth / MiB:.1f} MiB "
        f"(target <= {TARGET_MEMORY_MIB:.0f} MiB)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
