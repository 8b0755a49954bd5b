"""Upload benchmark: our OssStore vs oss2.resumable_upload with the same threads and parts.

The OSS emulator runs in its own process with a per-connection bandwidth cap (a WAN link: each
TCP connection gets ``--bandwidth`` bytes/s) and added latency. The same file is uploaded, in
each of ``--rounds`` rounds (median reported), by:

- **ours, first upload**: ``MediaDelivery("oss", oss=OssStore(...)).deliver(video(path), ctx)``
  with a fresh checkpoint directory — the SHA-256 of the file for the content-addressed key (it
  must precede the upload: the key names the object), a HEAD for dedupe, parallel multipart,
  the signed URL;
- **ours, again**: the same file once more (the object deleted first, so it is uploaded again):
  the digest is remembered per file version (``qwen_omni.cache.digest``), so no hash
  precedes the upload;
- **oss2, same threads**: ``oss2.resumable_upload(bucket, key, path, num_threads=N,
  part_size=P, multipart_threshold=T)`` with OssStore's N, P and T — the fair competitor.

Reported: wall time, the ratio to oss2 (the headline), throughput, and the client's peak memory
growth during each upload (RSS sampled every 5 ms).

    uv run --no-sync python benchmarks/bench_upload.py               # 1 GiB, 20 MB/s/connection
    uv run --no-sync python benchmarks/bench_upload.py --size 256MiB --rounds 3

Targets (issue #18): ours ≤ 1.0× oss2 with the same threads; peak memory growth < 2 MiB.
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
TARGET_RATIO = 1.0
TARGET_MEMORY_MIB = 2.0


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
    parser.add_argument("--rounds", type=int, default=3, help="rounds (median reported)")
    args = parser.parse_args()

    import shutil
    import statistics

    import oss2

    from qwen_omni import content
    from qwen_omni.cache.digest import _default_memo as digest_memo
    from qwen_omni.delivery import DeliveryContext, LocalMedia, MediaDelivery, OssStore

    load_before = os.getloadavg()
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
    runs: dict[str, list[float]] = {"first": [], "again": [], "hash": [], "oss2": []}
    mem: dict[str, list[int]] = {"first": [], "again": [], "oss2": []}
    try:
        base_kwargs: dict = {
            "bucket": "bench",
            "endpoint": endpoint,
            "region": "cn-beijing",
            "access_key_id": "emu-oss-ak",
            "access_key_secret": "emu-oss-sk",
        }
        if args.threads:
            base_kwargs["num_threads"] = args.threads
        if args.part_size:
            base_kwargs["part_size"] = args.part_size
        if args.no_crc:
            base_kwargs["verify_crc"] = False
        ctx = DeliveryContext(model="qwen3-omni-flash", base_url=endpoint + "/compatible-mode/v1")
        bucket = oss2.Bucket(
            oss2.AuthV4("emu-oss-ak", "emu-oss-sk"), endpoint, "bench", region="cn-beijing"
        )
        bucket.put_object("warmup", b"x")  # imports and the first connection, off the clock
        probe = OssStore(**base_kwargs, checkpoint_dir=workdir / "probe")
        threads, part_size = probe.num_threads, probe.part_size
        threshold = probe.multipart_threshold
        crc = "on" if probe.verify_crc else "off"
        print(
            f"ours: OssStore, {threads} threads, part size {part_size or 'oss2 default'}, "
            f"CRC64 {crc}; oss2.resumable_upload with the same threads and parts",
            flush=True,
        )
        for round_ in range(args.rounds):
            ckpt = workdir / f"ckpt-ours-{round_}"
            for label in ("first", "again"):
                if label == "first":
                    digest_memo._memory.clear()  # a first upload pays the hash every round
                store = OssStore(**base_kwargs, checkpoint_dir=ckpt)
                delivery = MediaDelivery("oss", oss=store, use_env=False)
                with PeakRss() as ours_mem:
                    start = time.perf_counter()
                    key = store.key_for(LocalMedia.from_part(content.video(source)))
                    hashed = time.perf_counter() - start
                    delivered = delivery.deliver(content.video(source), ctx)
                    runs[label].append(time.perf_counter() - start)
                mem[label].append(ours_mem.growth)
                assert delivered.url.startswith(endpoint)
                if label == "first":
                    runs["hash"].append(hashed)
                store.delete(key)  # so that the next upload really uploads
            checkpoints = oss2.ResumableStore(root=str(workdir / f"ckpt-oss2-{round_}"))
            with PeakRss() as base_mem:
                start = time.perf_counter()
                oss2.resumable_upload(
                    bucket,
                    f"baseline/{round_}/clip.mp4",
                    str(source),
                    store=checkpoints,
                    multipart_threshold=threshold,
                    part_size=part_size,
                    num_threads=threads,
                )
                runs["oss2"].append(time.perf_counter() - start)
            mem["oss2"].append(base_mem.growth)
            bucket.delete_object(f"baseline/{round_}/clip.mp4")
            print(
                f"  round {round_ + 1}: first {runs['first'][-1]:.2f}s "
                f"(hash {runs['hash'][-1]:.2f}s), again {runs['again'][-1]:.2f}s, "
                f"oss2 {runs['oss2'][-1]:.2f}s",
                flush=True,
            )
        server_peak = hwm_bytes(server.pid)  # type: ignore[arg-type]
    finally:
        server.terminate()
        server.join(10)
        shutil.rmtree(workdir, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in runs.items()}
    peak = {k: max(v) for k, v in mem.items()}
    size_mib = args.size / MiB
    load_after = os.getloadavg()
    print()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after; median of {args.rounds} rounds"
    )
    print(
        f"file {size_mib:,.0f} MiB · per-connection cap {args.bandwidth / 1e6:,.1f} MB/s · "
        f"latency {args.latency * 1000:.0f} ms/request · {threads} threads"
    )
    header = f"{'':<30}{'wall s':>9}{'vs oss2':>9}{'MiB/s':>9}{'peak RSS+ MiB':>15}"
    print(header)
    print("-" * len(header))
    for label, name in (
        ("first", "ours, first upload (hashes)"),
        ("again", "ours, again (digest reused)"),
        ("oss2", f"oss2, {threads} threads"),
    ):
        print(
            f"{name:<30}{med[label]:>9.2f}{med[label] / med['oss2']:>8.2f}x"
            f"{size_mib / med[label]:>9.1f}{peak[label] / MiB:>15.1f}"
        )
    print(f"{'  SHA-256 of the first upload':<30}{med['hash']:>9.2f}")
    print(f"{'server peak RSS (all runs)':<30}{server_peak / MiB:>9.1f} MiB")
    print()
    ok = True
    for label in ("first", "again"):
        ratio = med[label] / med["oss2"]
        passed = ratio <= TARGET_RATIO
        ok &= passed
        print(
            f"[{'PASS' if passed else 'FAIL'}] ours ({label}) / oss2 with {threads} threads: "
            f"{ratio:.2f}x (target <= {TARGET_RATIO:.1f}x)"
        )
    grew = max(peak["first"], peak["again"]) / MiB
    mem_passed = grew < TARGET_MEMORY_MIB
    ok &= mem_passed
    print(
        f"[{'PASS' if mem_passed else 'FAIL'}] peak memory growth {grew:.1f} MiB "
        f"(target < {TARGET_MEMORY_MIB:.0f} MiB)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
