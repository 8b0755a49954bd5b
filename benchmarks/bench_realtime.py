"""Realtime: our session's cost over a raw ``websockets`` client, side by side in one run.

Both clients drive the same scripted manual-mode session on the in-process emulator (its own
thread): ``session.update``, 100 ms PCM16 16 kHz packets, ``commit``, ``response.create``, then
read every event until ``response.done``. We measure

- the time from sending ``response.create`` to the first ``response.audio.delta`` (raw) or the
  first :class:`~qwen_omni.realtime.AudioDelta` event (ours): the added latency;
- the CPU time of the client's thread (``time.thread_time``: the emulator's thread is not
  counted) per second of audio streamed both ways (sent + received).

Target (issue #16): added latency < 5 ms (median).

    uv run --no-sync python benchmarks/bench_realtime.py [--turns 20] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time

import numpy as np

from qwen_omni.realtime import AsyncRealtimeSession, AudioDelta, ResponseDone
from qwen_omni_emulator import Emulator, RealtimeReply

MODEL = "qwen3-omni-flash-realtime"


def speech(seconds: float) -> bytes:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return (0.3 * 32767 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()


async def raw_turns(emu: Emulator, pcm: bytes, turns: int) -> tuple[list[float], float, float]:
    """The floor: websockets + json + base64 by hand, no typed events, no bookkeeping."""
    from websockets.asyncio.client import connect

    url = f"{emu.realtime_url}?model={MODEL}"
    latencies = []
    cpu = audio_s = 0.0
    async with connect(
        url,
        additional_headers={"Authorization": f"Bearer {emu.api_key}"},
        max_size=None,
        compression=None,
    ) as ws:
        await ws.recv()  # session.created
        update = {"type": "session.update", "session": {"turn_detection": None}}
        await ws.send(json.dumps(update))
        while json.loads(await ws.recv())["type"] != "session.updated":
            pass
        for _ in range(turns):
            c0 = time.thread_time()
            for i in range(0, len(pcm), 3200):
                chunk = base64.b64encode(pcm[i : i + 3200]).decode()
                await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
            await ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
            t0 = time.perf_counter()
            await ws.send(json.dumps({"type": "response.create"}))
            first = None
            received = 0
            while True:
                event = json.loads(await ws.recv())
                kind = event["type"]
                if kind == "response.audio.delta":
                    if first is None:
                        first = time.perf_counter() - t0
                    received += len(base64.b64decode(event["delta"]))
                elif kind == "response.done":
                    break
            cpu += time.thread_time() - c0
            audio_s += len(pcm) / 32_000 + received / 48_000
            latencies.append(first or 0.0)
    return latencies, cpu, audio_s


async def our_turns(emu: Emulator, pcm: bytes, turns: int) -> tuple[list[float], float, float]:
    latencies = []
    cpu = audio_s = 0.0
    async with AsyncRealtimeSession(
        base_url=emu.base_url,
        api_key=emu.api_key,
        model=MODEL,
        turn_detection=None,
        keepalive_s=None,
    ) as session:
        for _ in range(turns):
            c0 = time.thread_time()
            await session.send_audio(pcm, sample_rate=16_000)
            await session.commit()
            t0 = time.perf_counter()
            await session.respond()
            first = None
            async for event in session.events():
                if isinstance(event, AudioDelta) and first is None:
                    first = time.perf_counter() - t0
                elif isinstance(event, ResponseDone):
                    audio_s += len(pcm) / 32_000 + event.turn.audio_seconds
                    break
            cpu += time.thread_time() - c0
            latencies.append(first or 0.0)
    return latencies, cpu, audio_s


async def main(turns: int, seconds: float, rounds: int) -> None:
    pcm = speech(seconds)
    # a reply of about `seconds` of speech (the emulator speaks 0.08 s per character)
    text = "x" * int(seconds / 0.08)
    async with Emulator() as emu:
        raw_lat: list[float] = []
        our_lat: list[float] = []
        raw_cpu = our_cpu = raw_audio = our_audio = 0.0
        for r in range(rounds):
            order = [raw_turns, our_turns] if r % 2 == 0 else [our_turns, raw_turns]
            for fn in order:
                emu.script_realtime(*[RealtimeReply(text=text, chunk_chars=40)] * turns)
                lat, cpu, audio = await fn(emu, pcm, turns)
                if fn is raw_turns:
                    raw_lat += lat
                    raw_cpu += cpu
                    raw_audio += audio
                else:
                    our_lat += lat
                    our_cpu += cpu
                    our_audio += audio
    raw_med = statistics.median(raw_lat) * 1000
    our_med = statistics.median(our_lat) * 1000
    raw_per_s = raw_cpu / raw_audio * 1000
    our_per_s = our_cpu / our_audio * 1000
    print(f"{rounds} rounds × {turns} turns, {seconds:g} s of audio each way per turn")
    print(f"{'':34}{'raw websockets':>16}{'qwen_omni':>12}{'delta/ratio':>14}")
    print(
        f"{'first audio delta after commit':34}{raw_med:>13.2f} ms{our_med:>9.2f} ms"
        f"{our_med - raw_med:>+11.2f} ms"
    )
    print(
        f"{'client CPU per audio second':34}{raw_per_s:>13.2f} ms{our_per_s:>9.2f} ms"
        f"{our_per_s / raw_per_s:>13.2f}×"
    )
    verdict = "PASS" if our_med - raw_med < 5.0 else "FAIL"
    print(f"added latency target < 5 ms: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.seconds, args.rounds))
