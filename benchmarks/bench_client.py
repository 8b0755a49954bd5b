"""The adapter's cost over the raw openai client, measured side by side in one run.

Both consume the same scripted 5,000-delta stream from the in-process emulator. We compare the
CPU time of the consuming thread (``time.thread_time``: the emulator's server thread is not
counted) and the time to the first text delta.

Targets (issue #2): CPU within 1.10× of raw; added time to first delta under 5 ms.

    uv run --no-sync python benchmarks/bench_client.py [--deltas 5000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import openai

from qwen_omni import OmniClient, TextDelta
from qwen_omni_emulator import Emulator, Reply

PROMPT = "Count for me."


def raw_run(client: openai.OpenAI) -> tuple[float, float, int]:
    t0, c0 = time.perf_counter(), time.thread_time()
    first = None
    n = 0
    stream = client.chat.completions.create(
        model="qwen3-omni-flash",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            if first is None:
                first = time.perf_counter() - t0
            n += 1
    return time.thread_time() - c0, first or 0.0, n


def floor_run(client: openai.OpenAI) -> tuple[float, float, int]:
    """The openai SDK without typed chunks (dicts): the floor any adapter on it can reach."""
    t0, c0 = time.perf_counter(), time.thread_time()
    first = None
    n = 0
    stream = client.post(
        "/chat/completions",
        body={
            "model": "qwen3-omni-flash",
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        cast_to=object,
        stream=True,
        stream_cls=openai.Stream[object],
    )
    for chunk in stream:
        choices = chunk.get("choices")  # type: ignore[attr-defined]
        if choices and choices[0]["delta"].get("content"):
            if first is None:
                first = time.perf_counter() - t0
            n += 1
    return time.thread_time() - c0, first or 0.0, n


def ours_run(client: OmniClient) -> tuple[float, float, int]:
    t0, c0 = time.perf_counter(), time.thread_time()
    first = None
    n = 0
    with client.stream(PROMPT) as s:
        for event in s:
            if type(event) is TextDelta:
                if first is None:
                    first = time.perf_counter() - t0
                n += 1
    return time.thread_time() - c0, first or 0.0, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ttfd-rounds", type=int, default=40)
    args = parser.parse_args()

    with Emulator() as emu:
        raw = openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
        ours = OmniClient(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
        deltas = [f"t{i} " for i in range(args.deltas)]
        cpu: dict[str, list[float]] = {"raw": [], "floor": [], "ours": []}
        runs = (("raw", raw_run, raw), ("floor", floor_run, raw), ("ours", ours_run, ours))
        for round_ in range(args.rounds + 1):  # round 0 warms both up
            for name, fn, client in runs:
                emu.script(Reply.stream(deltas))
                spent, _, n = fn(client)  # type: ignore[operator]
                assert n == args.deltas, f"{name} saw {n} deltas"
                if round_:
                    cpu[name].append(spent)
        first: dict[str, list[float]] = {"raw": [], "floor": [], "ours": []}
        for _ in range(args.ttfd_rounds):
            for name, fn, client in runs:
                emu.script(Reply.stream(["hello", " world"]))
                _, t_first, _ = fn(client)  # type: ignore[operator]
                first[name].append(t_first)
        raw.close()
        ours.close()

    c = {k: statistics.median(v) * 1e3 for k, v in cpu.items()}
    f = {k: statistics.median(v) * 1e3 for k, v in first.items()}
    print(f"{args.deltas:,}-delta stream, median of {args.rounds} rounds (consumer thread CPU)")
    print(f"{'':30}{'openai typed':>13}{'openai dicts':>13}{'qwen-omni':>11}"
          f"{'vs typed':>10}{'vs dicts':>10}")
    print(f"{'client CPU per stream (ms)':30}{c['raw']:13.1f}{c['floor']:13.1f}{c['ours']:11.1f}"
          f"{c['ours'] / c['raw']:9.2f}x{c['ours'] / c['floor']:9.2f}x")
    print(f"{'time to first delta (ms)':30}{f['raw']:13.2f}{f['floor']:13.2f}{f['ours']:11.2f}"
          f"{f['ours'] - f['raw']:+9.2f}{f['ours'] - f['floor']:+10.2f}  (ms added)")
    print("targets: CPU <= 1.10x the raw (typed) openai client; added time to first delta < 5 ms")


if __name__ == "__main__":
    main()
