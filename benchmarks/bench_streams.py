"""Stream scaling: core, LangChain, LlamaIndex and the raw openai client side by side.

One small SSE server (its own process, answers pre-rendered, so the server costs nothing
measurable) streams the same answer to four consumers, each in a fresh process:

- ``raw``: ``openai.OpenAI().chat.completions.create(stream=True)``, typed chunks, collecting
  the text, the audio (decoded at the end) and the tool arguments — what a user of the SDK
  does to get the same answer;
- ``core``: ``OmniClient.stream()`` then ``.response``;
- ``langchain``: ``ChatQwenOmni.stream()`` (LangChain merges the chunks at the end);
- ``llamaindex``: ``QwenOmni.stream_chat()``.

Work: 1k / 10k / 100k text deltas; 10 / 100 / 300 s of spoken reply (0.1 s PCM pieces, a
transcript delta every second piece); one tool call streamed in 1k / 10k / 30k argument
deltas. Per run: the consumer process's CPU time, wall time and time to the first delta;
median of ``--rounds`` runs after a warm-up. Memory: the peak RSS growth of the first run
(imports and first-use caches excluded: a warm-up on a tiny answer precedes it), and with
``--heap`` the peak of the Python heap during one more run under ``tracemalloc`` (what the
consumer holds at once). Printed: the table, each consumer's CPU relative to raw, and the
growth of CPU per ×10 of work (a ×3 step is scaled to ×10 as ratio ** (1 / log10(3))).

Targets (issue #18): growth ≤ 11× per ×10 everywhere; LangChain ≤ 1.5× raw CPU at every
size; time to first delta independent of the stream's length.

    uv run --no-sync python benchmarks/bench_streams.py              # everything (~10 min)
    uv run --no-sync python benchmarks/bench_streams.py --quick      # smaller sizes, 1 round
    uv run --no-sync python benchmarks/bench_streams.py --only audio --consumers core,langchain
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

MODEL = "qwen3-omni-flash"
AUDIO_PIECE_BYTES = 4_800  # 0.1 s of PCM16 mono 24 kHz
TEXT_DELTA = "w{} "

SCENARIOS: dict[str, list[tuple[str, int]]] = {
    "text": [("text", 1_000), ("text", 10_000), ("text", 100_000)],
    "audio": [("audio", 10), ("audio", 100), ("audio", 300)],
    "tools": [("tools", 1_000), ("tools", 10_000), ("tools", 30_000)],
}
QUICK: dict[str, list[tuple[str, int]]] = {
    "text": [("text", 1_000), ("text", 10_000)],
    "audio": [("audio", 10), ("audio", 100)],
    "tools": [("tools", 1_000), ("tools", 10_000)],
}
CONSUMERS = ("raw", "core", "langchain", "llamaindex")


# --- the server -----------------------------------------------------------------------------


def render(kind: str, size: int) -> bytes:
    """The whole SSE body of one answer, as DashScope shapes its chunks."""
    tail = (
        f',"object":"chat.completion.chunk","usage":null,"created":1,"system_fingerprint":null,'
        f'"model":"{MODEL}","id":"chatcmpl-bench"}}\n\n'
    )

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"delta": delta, "finish_reason": finish, "index": 0, "logprobs": None}
        return "data: " + json.dumps({"choices": [choice]}, separators=(",", ":"))[:-1] + tail

    out = [chunk({"content": "", "role": "assistant"})]
    finish = "stop"
    if kind == "text":
        out += [chunk({"content": TEXT_DELTA.format(i)}) for i in range(size)]
    elif kind == "audio":
        pieces = size * 10
        for i in range(pieces):
            if i % 2 == 0:
                out.append(chunk({"content": TEXT_DELTA.format(i)}))
            pcm = bytes([(i * 7 + j) % 251 for j in range(16)]) * (AUDIO_PIECE_BYTES // 16)
            data = base64.b64encode(pcm).decode()
            out.append(chunk({"audio": {"data": data, "expires_at": 1, "id": "audio_bench"}}))
    elif kind == "tools":
        finish = "tool_calls"
        start = {"index": 0, "id": "call_bench", "type": "function"}
        out.append(
            chunk({"tool_calls": [{**start, "function": {"name": "echo", "arguments": ""}}]})
        )
        pieces = ['{"text": "'] + ["abcd "] * (size - 2) + ['"}']
        out += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces]
    out.append(chunk({"content": ""}, finish))
    usage = {"prompt_tokens": 10, "completion_tokens": size, "total_tokens": 10 + size}
    out.append(
        'data: {"choices":[],"usage":' + json.dumps(usage) + tail.replace('"usage":null,', "", 1)
    )
    out.append("data: [DONE]\n\n")
    return "".join(out).encode()


async def _serve(body: bytes, port: int) -> None:
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"x-request-id: req-bench\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n"
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                headers = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in headers.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                writer.write(head)
                view = memoryview(body)
                for start in range(0, len(body), 1 << 16):
                    writer.write(view[start : start + (1 << 16)])
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- one consumer in its own process ---------------------------------------------------------


def _status(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def _consumer(name: str, kind: str, base_url: str) -> Any:
    """A function that consumes one answer and returns (first-delta seconds, check value)."""
    params: dict[str, Any] = {}
    if kind == "audio":
        params = {"modalities": ["text", "audio"]}
    if name == "raw":
        import openai

        client = openai.OpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)

        def run_raw() -> tuple[float, int]:
            t0 = time.perf_counter()
            first = 0.0
            text: list[str] = []
            audio: list[str] = []
            args: list[str] = []
            extra = {"audio": {"voice": "Cherry", "format": "wav"}} if kind == "audio" else {}
            stream = client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": "go"}],
                stream=True,
                stream_options={"include_usage": True},
                **params,
                **extra,
            )
            for chunk in stream:
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                got = False
                if delta.content:
                    text.append(delta.content)
                    got = True
                piece = getattr(delta, "audio", None)
                if piece:
                    audio.append(piece["data"] if isinstance(piece, dict) else piece.data)
                    got = True
                if delta.tool_calls:
                    args.append(delta.tool_calls[0].function.arguments or "")
                    got = True
                if got and not first:
                    first = time.perf_counter() - t0
            pcm = base64.b64decode("".join(audio))
            return first, len("".join(text)) + len(pcm) + len("".join(args))

        return run_raw
    if name == "core":
        from qwen_omni import OmniClient

        core = OmniClient(base_url=base_url, api_key="sk-bench", max_retries=0)

        def run_core() -> tuple[float, int]:
            t0 = time.perf_counter()
            first = 0.0
            with core.stream("go", model=MODEL, **params) as s:
                for event in s:
                    if not first and type(event).__name__ in (
                        "TextDelta",
                        "AudioDelta",
                        "ToolCallDelta",
                    ):
                        first = time.perf_counter() - t0
                r = s.response
            args = sum(len(c.arguments) for c in r.tool_calls)
            return first, len(r.text) + len(r.audio_pcm) + args

        return run_core
    if name == "langchain":
        from langchain_qwen_omni import ChatQwenOmni

        lc = ChatQwenOmni(model=MODEL, base_url=base_url, api_key="sk-bench", max_retries=0)

        def run_lc() -> tuple[float, int]:
            t0 = time.perf_counter()
            first = 0.0
            n = 0
            for chunk in lc.stream("go", **params):
                if not first and (chunk.content or chunk.tool_call_chunks):
                    first = time.perf_counter() - t0
                n += 1
            return first, n

        return run_lc
    if name == "llamaindex":
        from llama_index.core.llms import ChatMessage

        from llama_index.llms.qwen_omni import QwenOmni

        li = QwenOmni(model=MODEL, base_url=base_url, api_key="sk-bench", max_retries=0)
        messages = [ChatMessage(role="user", content="go")]

        def run_li() -> tuple[float, int]:
            t0 = time.perf_counter()
            first = 0.0
            n = 0
            for _chunk in li.stream_chat(messages, **params):
                if not first:
                    first = time.perf_counter() - t0
                n += 1
            return first, n

        return run_li
    raise SystemExit(f"unknown consumer {name}")


def child(name: str, kind: str, base_url: str, warm_url: str, rounds: int) -> None:
    """Runs in a fresh process: a warm-up on a tiny answer of the same kind (imports, first-use
    caches), the first run (its peak RSS growth), ``rounds`` timed runs, one traced run."""
    import gc
    import tracemalloc

    _consumer(name, kind, warm_url)()
    run = _consumer(name, kind, base_url)
    # RSS growth is read on the first run: later runs reuse the memory it freed.
    gc.collect()
    _reset_peak()
    rss0 = _status("VmRSS:")
    run()
    rss = max(_status("VmHWM:") - rss0, 0)
    results = []
    for _ in range(rounds):
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        first, _ = run()
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        results.append({"cpu": cpu, "wall": wall, "first": first})
    heap = 0
    if os.environ.get("BENCH_STREAMS_HEAP"):
        # One more, untimed run under tracemalloc: the peak of what the consumer holds at once.
        gc.collect()
        tracemalloc.start()
        run()
        heap = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    for r in results:
        r["rss"] = rss
        r["heap"] = heap
    print(json.dumps(results))


# --- the driver -----------------------------------------------------------------------------


def measure(name: str, kind: str, base_url: str, warm_url: str, rounds: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, kind, base_url, warm_url, str(rounds)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{name} on {kind} failed:\n{out.stderr[-3000:]}")
    runs = json.loads(out.stdout.strip().splitlines()[-1])
    keys = ("cpu", "wall", "first", "rss", "heap")
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def label(kind: str, size: int) -> str:
    if kind == "text":
        return f"text, {size:,} deltas"
    if kind == "audio":
        return f"audio, {size} s"
    return f"tool args, {size:,} deltas"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the two smaller sizes, 1 round")
    parser.add_argument("--only", default="text,audio,tools")
    parser.add_argument("--consumers", default=",".join(CONSUMERS))
    parser.add_argument(
        "--heap", action="store_true", help="also trace the Python heap's peak (one more run)"
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, kind, base_url, warm_url, rounds = args.child
        child(name, kind, base_url, warm_url, int(rounds))
        return
    if args.serve:
        kind, size, port = args.serve
        asyncio.run(_serve(render(kind, int(size)), int(port)))
        return

    rounds = 1 if args.quick else args.rounds
    if args.heap:
        os.environ["BENCH_STREAMS_HEAP"] = "1"  # read by the consumer processes
    table = QUICK if args.quick else SCENARIOS
    consumers = [c for c in args.consumers.split(",") if c]
    load = os.getloadavg()
    print(
        f"stream scaling, median of {rounds} run(s) after a warm-up, fresh process per consumer; "
        f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    results: dict[tuple[str, int], dict[str, dict[str, float]]] = {}
    for family in args.only.split(","):
        for kind, size in table[family]:
            servers = []
            try:
                urls = []
                for k, n in ((kind, size), (kind, 10 if kind != "audio" else 1)):
                    port = free_port()
                    proc = subprocess.Popen(
                        [sys.executable, __file__, "--serve", k, str(n), str(port)],
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                    servers.append(proc)
                    assert proc.stdout is not None
                    proc.stdout.readline()  # "ready"
                    urls.append(f"http://127.0.0.1:{port}/v1")
                results[(kind, size)] = {
                    c: measure(c, kind, urls[0], urls[1], rounds) for c in consumers
                }
            finally:
                for proc in servers:
                    proc.terminate()
                    proc.wait()
            row = results[(kind, size)]
            print(f"\n{label(kind, size)}")
            print(
                f"  {'':12}{'CPU s':>9}{'wall s':>9}{'1st delta ms':>14}{'peak heap MB':>14}"
                f"{'RSS+ MB':>9}"
                f"{'CPU vs raw':>12}"
            )
            for c in consumers:
                m = row[c]
                ratio = m["cpu"] / row["raw"]["cpu"] if "raw" in row else float("nan")
                print(
                    f"  {c:12}{m['cpu']:9.3f}{m['wall']:9.3f}{m['first'] * 1e3:14.2f}"
                    + (f"{m['heap'] / 1e6:14.1f}" if m["heap"] else f"{'-':>14}")
                    + f"{m['rss'] / 1e6:9.1f}{ratio:11.2f}x"
                )
    print("\nCPU growth per x10 of work (target <= 11x)")
    for family in args.only.split(","):
        steps = table[family]
        for (k1, s1), (k2, s2) in itertools.pairwise(steps):
            parts = []
            for c in consumers:
                c1, c2 = results[(k1, s1)][c]["cpu"], results[(k2, s2)][c]["cpu"]
                per10 = (c2 / c1) ** (1 / math.log10(s2 / s1))
                parts.append(f"{c} {per10:5.1f}x")
            print(f"  {label(k1, s1)} -> {s2:,}: " + ", ".join(parts))
    if "langchain" in consumers and "raw" in consumers:
        worst = max(r["langchain"]["cpu"] / r["raw"]["cpu"] for r in results.values())
        print(f"\nLangChain CPU vs raw openai, worst size: {worst:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
