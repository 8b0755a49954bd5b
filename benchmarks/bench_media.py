"""Video preparation vs ffmpeg with the same settings, on generated 1080p30 clips; splitting.

Run:  uv run --no-sync python benchmarks/bench_media.py  [--workdir DIR] [--seconds 60]
                                                         [--lengths 20,60] [--rounds 3]

Prints, side by side:

- the headline: wall time of ``prepare_video`` (preset ``static``: 720p, 4 fps, x264
  ``veryfast`` CRF 26, AAC mono 16 kHz) against the ffmpeg CLI doing the same work with the
  same settings (``-vf fps=4,scale=-2:720 -c:v libx264 -preset veryfast -crf 26 -g 40 -c:a
  aac -ac 1 -ar 16000 -b:a 48k``: a keyframe every 10 s, as ours), at each clip length,
  median of ``--rounds`` fresh processes each: the call alone, and the whole process
  (interpreter start-up and imports included, as ffmpeg's own start-up is); CPU too, which
  a loaded machine distorts less. Target (issue #18): ≤ 1.10× same-settings wall at every
  length, start-up included;
- for reference, ffmpeg with its own defaults (``-vf "fps=4,scale=-2:720"``: x264 ``medium``
  CRF 23, AAC stereo), which is slower and larger: not the comparison to quote;
- peak memory (max RSS of a fresh process) on the full clip and on a third of it: bounded and
  independent of the clip's length;
- prepared bytes as a share of the source (target ≤ 25 %) and the token estimate before and
  after (must not change);
- splitting a 10-minute clip (the clip ten times, joined by stream copy) into 90 s segments
  by stream copy; target < 2 s.

The source clip is generated once (PyAV from numpy, x264 ``ultrafast`` CRF 18: a high-bitrate
"camera" file) and cached in ``--workdir``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qwen_omni.media import estimate_tokens, make_video, probe, split_media

ROOT = Path(__file__).resolve().parents[1]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def source_clip(workdir: Path, seconds: int) -> Path:
    path = workdir / f"source_{seconds}s_1080p30.mp4"
    if not path.exists():
        started = time.perf_counter()
        make_video(
            path.with_suffix(".tmp.mp4"), seconds=seconds, width=1920, height=1080, fps=30,
            crf=18, preset="ultrafast",
        )  # fmt: skip
        path.with_suffix(".tmp.mp4").rename(path)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f} s")
    return path


def cut(source: Path, dest: Path, seconds: float) -> Path:
    """The first ``seconds`` of ``source`` by stream copy (for the memory comparison)."""
    if dest.exists():
        return dest
    segments = split_media(source, dest.parent / "cut", segment_s=seconds, mode="copy")
    segments[0].path.rename(dest)
    return dest


def join_copies(source: Path, dest: Path, times: int) -> Path:
    """``source`` repeated ``times`` times, joined by stream copy (timestamps shifted)."""
    import av

    if dest.exists():
        return dest
    spans: dict[int, int] = {}
    with av.open(str(source)) as inp:
        first: dict[int, int] = {}
        for packet in inp.demux():
            if packet.dts is None:
                continue
            i = packet.stream.index
            first.setdefault(i, packet.dts)
            spans[i] = max(spans.get(i, 0), packet.dts + (packet.duration or 0) - first[i])
    tmp = dest.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        with av.open(str(source)) as probe_inp:
            streams = {s.index: out.add_stream_from_template(s) for s in probe_inp.streams}
        for k in range(times):
            with av.open(str(source)) as inp:
                for packet in inp.demux():
                    if packet.dts is None:
                        continue
                    i = packet.stream.index
                    packet.dts += k * spans[i]
                    if packet.pts is not None:
                        packet.pts += k * spans[i]
                    packet.stream = streams[i]
                    out.mux(packet)
    tmp.rename(dest)
    return dest


_OURS = """
import json, resource, sys, time
from qwen_omni.media import prepare_video
started, cpu = time.perf_counter(), time.process_time()
result = prepare_video(sys.argv[1], sys.argv[2], preset="static")
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_ours(source: Path, dest: Path) -> dict[str, float]:
    """prepare_video in a fresh process: its own timing of the call, and its peak memory."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _OURS, str(source), str(dest)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def run_ffmpeg(source: Path, dest: Path, extra: list[str]) -> dict[str, float]:
    """ffmpeg in a fresh process: wall time and peak memory (via a tiny wrapper)."""
    wrapper = (
        "import resource, subprocess, sys, time, json; s = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True); e = time.perf_counter() - s; "
        "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(json.dumps({'seconds': e, 'cpu_seconds': r.ru_utime + r.ru_stime, "
        "'max_rss_mb': r.ru_maxrss / 1024}))"
    )
    cmd = [ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", "-i", str(source), *extra,
           str(dest)]  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


#: The ffmpeg CLI doing what prepare_video(preset="static") does, with its settings.
SAME_SETTINGS = [
    "-vf", "fps=4,scale=-2:720", "-c:v", "libx264", "-preset", "veryfast", "-crf", "26",
    "-g", "40", "-c:a", "aac", "-ac", "1", "-ar", "16000", "-b:a", "48k",
]  # fmt: skip


def tokens(path: Path, model: str) -> int:
    return estimate_tokens(probe(path), model).total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "qwen-omni-bench"
    )
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--lengths", default="20,60", help="clip lengths for the headline (s)")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per measurement")
    args = parser.parse_args()
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    print(f"cpus: {os.cpu_count()}, ffmpeg: {ffmpeg_exe()}")

    src = source_clip(work, args.seconds)
    short = cut(src, work / f"source_{args.seconds // 3}s.mp4", args.seconds // 3)
    src_info = probe(src)
    print(f"source: {src.name}, {src_info.size_bytes:,} bytes, {src_info.duration_s:.1f} s, "
          f"{src_info.width}×{src_info.height} {src_info.fps:g} fps")  # fmt: skip

    import statistics

    load = os.getloadavg()
    print(f"\nheadline: same settings, median of {args.rounds} fresh processes each "
          f"(load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})")  # fmt: skip
    print(f"{'clip':>6} {'ours call':>10} {'ours proc':>10} {'ffmpeg':>8} {'call':>7} "
          f"{'proc':>7} {'cpu':>7}")  # fmt: skip
    worst = 0.0
    for length in (int(x) for x in args.lengths.split(",") if x):
        clip = src if length == args.seconds else cut(
            src if length < args.seconds else source_clip(work, length),
            work / f"source_{length}s.mp4", length,
        )  # fmt: skip
        ours_runs = [run_ours(clip, work / f"ours_{length}.mp4") for _ in range(args.rounds)]
        ff_runs = [
            run_ffmpeg(clip, work / f"ffmpeg_same_{length}.mp4", SAME_SETTINGS)
            for _ in range(args.rounds)
        ]
        call = statistics.median(r["seconds"] for r in ours_runs)
        proc = statistics.median(r["process_seconds"] for r in ours_runs)
        ours_cpu = statistics.median(r["cpu_seconds"] for r in ours_runs)
        ff = statistics.median(r["seconds"] for r in ff_runs)
        ff_cpu = statistics.median(r["cpu_seconds"] for r in ff_runs)
        worst = max(worst, proc / ff)
        print(f"{length:5}s {call:9.2f}s {proc:9.2f}s {ff:7.2f}s {call / ff:6.2f}x "
              f"{proc / ff:6.2f}x {ours_cpu / ff_cpu:6.2f}x")  # fmt: skip
    print(f"worst same-settings ratio, start-up included: {worst:.2f}x (target <= 1.10x) "
          f"{'OK' if worst <= 1.10 else 'MISSED'}")  # fmt: skip

    ours = run_ours(src, work / "ours.mp4")
    ff_default = run_ffmpeg(src, work / "ffmpeg.mp4", ["-vf", "fps=4,scale=-2:720"])
    ff_same = run_ffmpeg(src, work / "ffmpeg_same.mp4", SAME_SETTINGS)
    ours_short = run_ours(short, work / "ours_short.mp4")
    ff_short = run_ffmpeg(short, work / "ffmpeg_short.mp4", ["-vf", "fps=4,scale=-2:720"])

    def row(name: str, r: dict[str, float], out: Path) -> str:
        size = out.stat().st_size
        return (
            f"{name:34} {r['seconds']:7.2f} s {r['cpu_seconds']:7.2f} s {r['max_rss_mb']:6.0f} MB"
            f" {size:>12,} B {100 * size / src_info.size_bytes:6.1f} %"
        )

    print()
    print(
        f"{'video preparation':34} {'wall':>9} {'cpu':>9} {'peak RSS':>9} {'bytes':>14} "
        f"{'of src':>8}"
    )
    print(row("qwen_omni prepare_video (static)", ours, work / "ours.mp4"))
    print(row('ffmpeg -vf "fps=4,scale=-2:720"', ff_default, work / "ffmpeg.mp4"))
    print(row("ffmpeg, our encoder settings", ff_same, work / "ffmpeg_same.mp4"))
    print(f"  (ours including interpreter start and imports: {ours['process_seconds']:.2f} s)")
    print(f"this run vs same settings: {ours['seconds'] / ff_same['seconds']:.2f}× wall, "
          f"{ours['cpu_seconds'] / ff_same['cpu_seconds']:.2f}× cpu (one run; the headline "
          "above is the median); vs ffmpeg's slower defaults: "
          f"{ours['seconds'] / ff_default['seconds']:.2f}× (not a fair comparison)")  # fmt: skip
    print(f"  (load average when done: {', '.join(f'{x:.1f}' for x in os.getloadavg())}; on a "
          "busy machine wall times swing, cpu times less)")  # fmt: skip
    share = (work / "ours.mp4").stat().st_size / src_info.size_bytes
    print(f"prepared bytes: {100 * share:.1f} % of the source (target ≤ 25 %) "
          f"{'OK' if share <= 0.25 else 'MISSED'}")  # fmt: skip

    print()
    third, full = f"{args.seconds // 3} s", f"{args.seconds} s"
    print(f"{'peak memory vs clip length':34} {third:>9} {full:>10} {'ratio':>8}")
    print(f"{'qwen_omni':34} {ours_short['max_rss_mb']:6.0f} MB {ours['max_rss_mb']:7.0f} MB "
          f"{ours['max_rss_mb'] / ours_short['max_rss_mb']:7.2f}×")  # fmt: skip
    print(f"{'ffmpeg':34} {ff_short['max_rss_mb']:6.0f} MB {ff_default['max_rss_mb']:7.0f} MB "
          f"{ff_default['max_rss_mb'] / ff_short['max_rss_mb']:7.2f}×")  # fmt: skip

    print()
    print(f"{'token estimate (visual + audio)':34} {'source':>9} {'prepared':>11}")
    for model in ("qwen3-omni-flash", "qwen3.5-omni-plus", "qwen-omni-turbo"):
        before, after = tokens(src, model), tokens(work / "ours.mp4", model)
        print(f"{model:34} {before:9,} {after:11,} {'same' if before == after else 'CHANGED'}")

    print()
    long_clip = join_copies(src, work / "source_10min.mp4", 10)
    long_info = probe(long_clip)
    out_dir = work / "split"
    for old in out_dir.glob("*"):
        old.unlink()
    started = time.perf_counter()
    segments = split_media(long_clip, out_dir, segment_s=90, mode="copy")
    elapsed = time.perf_counter() - started
    print(f"split {long_info.duration_s:.0f} s ({long_info.size_bytes:,} B) into "
          f"{len(segments)} segments by stream copy: {elapsed:.2f} s (target < 2 s) "
          f"{'OK' if elapsed < 2 else 'MISSED'}")  # fmt: skip
    print("  segments: " + ", ".join(f"{s.start_s:g}–{s.end_s:g}" for s in segments))


if __name__ == "__main__":
    main()
