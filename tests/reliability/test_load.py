"""Load: 1,000 async requests at concurrency 64 against an emulator injecting faults.

Faults per attempt (seeded): 20% HTTP 429 with ``Retry-After: 0.02``, 5% HTTP 500, 5% dropped
before the first text delta (half reset before any byte, half reset after the 200 and the
role chunk), 2% dropped after two text deltas had arrived.

Every request must end one of two ways: the exact expected answer, or ``StreamInterrupted``
whose ``partial`` is a non-empty strict prefix of it. None lost, none silently short, none
duplicated (client side and server side), and at most 64 requests in flight, as the client
counts them and as the server saw them.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import time
from dataclasses import dataclass

import pytest

from qwen_omni import AsyncOmniClient, StreamInterrupted, TextDelta
from qwen_omni_emulator import Emulator, Fault, FaultRates, Reply

pytestmark = pytest.mark.integration

N_REQUESTS = 1000
CONCURRENCY = 64
MAX_RETRIES = 12
SEED = 20260909

RATE_LIMIT = 0.20
SERVER_ERROR = 0.05
DROP_BEFORE_FIRST_DELTA = 0.05
DROP_AFTER_FIRST_DELTA = 0.02
RETRY_AFTER_S = 0.02
#: server-side pause before the first byte, so that 64 requests really overlap
REPLY_DELAY_S = 0.03


class MixedFaultRates(FaultRates):
    """``FaultRates`` whose drops come in two kinds.

    ``FaultRates`` has one ``after`` for every drop, so a single configuration cannot mix
    drops before and after the first delta; this subclass keeps its seeded draw and splits it.
    Chunk 1 of every answer is the role chunk (no text), so ``drop(after=1)`` resets the
    connection after the 200 but before any text, and ``drop(after=3)`` after two text deltas.
    """

    def draw(self) -> Fault | None:
        with self._lock:
            x = self._rng.random()
        table = (
            (RATE_LIMIT, Fault.rate_limit(retry_after=RETRY_AFTER_S)),
            (SERVER_ERROR, Fault.server_error(500)),
            (DROP_BEFORE_FIRST_DELTA / 2, Fault.disconnect()),
            (DROP_BEFORE_FIRST_DELTA / 2, Fault.drop(after=1)),
            (DROP_AFTER_FIRST_DELTA, Fault.drop(after=3)),
        )
        for probability, fault in table:
            if x < probability:
                return fault
            x -= probability
        return None


def expected_answer(i: int) -> str:
    # Unique per request, long enough for many deltas (6 characters each).
    return f"answer {i:04d}: " + " ".join(f"w{i}-{k}" for k in range(8)) + f" end {i:04d}."


def prompt(i: int) -> str:
    return f"load request {i:04d}"


def _responder(request):
    text = request.last_user_text
    if not text.startswith("load request "):
        return None
    i = int(text.rsplit(" ", 1)[1])
    return Reply.text(expected_answer(i), chunk_chars=6, delay=REPLY_DELAY_S)


@dataclass
class Outcome:
    i: int
    kind: str  # "complete" | "interrupted"
    text: str
    deltas: list[str]
    finish_reason: str | None = None


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    peak = current = 0
    for _, step in events:  # ends sort before starts at equal times (-1 < 1)
        current += step
        peak = max(peak, current)
    return peak


@pytest.fixture(scope="module")
def load_emulator():
    # Its own emulator: a log big enough for every attempt (the default keeps 1,000).
    with Emulator(log_size=20_000) as emu:
        yield emu


async def _run_load(emu: Emulator) -> dict:
    emu.reset()
    emu.responder = _responder
    emu.fault_rates = MixedFaultRates(seed=SEED)
    client_peak = 0
    outcomes: dict[int, Outcome] = {}
    unexpected: list[tuple[int, BaseException]] = []

    async with AsyncOmniClient(
        base_url=emu.base_url,
        api_key=emu.api_key,
        max_concurrency=CONCURRENCY,
        max_retries=MAX_RETRIES,
    ) as client:

        async def one(i: int) -> None:
            nonlocal client_peak
            deltas: list[str] = []
            stream = client.stream(prompt(i), max_tokens=200)
            try:
                async with stream:
                    async for event in stream:
                        client_peak = max(client_peak, client.in_flight)
                        if isinstance(event, TextDelta):
                            deltas.append(event.text)
                response = stream.response
                outcomes[i] = Outcome(i, "complete", response.text, deltas, response.finish_reason)
            except StreamInterrupted as exc:
                partial = exc.partial.text if exc.partial is not None else ""
                outcomes[i] = Outcome(i, "interrupted", partial, deltas)
            except Exception as exc:  # recorded, asserted below: every request must be accounted
                unexpected.append((i, exc))

        stop = asyncio.Event()

        async def sample() -> None:
            nonlocal client_peak
            while not stop.is_set():
                client_peak = max(client_peak, client.in_flight)
                await asyncio.sleep(0.001)

        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(N_REQUESTS))), 150)
        elapsed = time.perf_counter() - started
        stop.set()
        await sampler
        in_flight_after = client.in_flight

    emu.fault_rates = None
    emu.responder = None
    return {
        "outcomes": outcomes,
        "unexpected": unexpected,
        "client_peak": client_peak,
        "in_flight_after": in_flight_after,
        "elapsed": elapsed,
        "records": emu.requests.chat(),
    }


@pytest.fixture(scope="module")
def load_run(load_emulator):
    return asyncio.run(_run_load(load_emulator))


def test_every_request_completes_in_full_or_raises_interrupted_with_its_partial(load_run):
    outcomes: dict[int, Outcome] = load_run["outcomes"]
    assert load_run["unexpected"] == [], load_run["unexpected"][:5]
    # None lost: each of the 1,000 requests has exactly one outcome.
    assert sorted(outcomes) == list(range(N_REQUESTS))
    complete = [o for o in outcomes.values() if o.kind == "complete"]
    interrupted = [o for o in outcomes.values() if o.kind == "interrupted"]
    assert complete, "the fault mix must let requests complete"
    assert interrupted, "the fault mix must interrupt some streams after output"
    for o in complete:
        # None silently short, none with doubled deltas: the exact expected text.
        assert o.text == expected_answer(o.i), o
        assert "".join(o.deltas) == o.text
        assert o.finish_reason == "stop"
    for o in interrupted:
        full = expected_answer(o.i)
        assert o.text, f"request {o.i}: an interruption after output must carry the partial"
        assert full.startswith(o.text), o
        assert o.text != full, o
        assert "".join(o.deltas) == o.text


def test_no_answer_is_duplicated(load_run):
    outcomes: dict[int, Outcome] = load_run["outcomes"]
    texts = [o.text for o in outcomes.values() if o.kind == "complete"]
    assert len(texts) == len(set(texts))
    # Server side: a request that completed was answered in full exactly once, and a request
    # that was interrupted after output was never sent again.
    by_prompt: dict[str, list] = collections.defaultdict(list)
    for record in load_run["records"]:
        content = record.body["messages"][-1]["content"]
        by_prompt[content if isinstance(content, str) else json.dumps(content)].append(record)
    assert len(by_prompt) == N_REQUESTS
    for i, o in outcomes.items():
        attempts = by_prompt[prompt(i)]
        full = [r for r in attempts if r.status == 200 and r.fault is None]
        after_output = [r for r in attempts if r.fault == "drop;after=3"]
        if o.kind == "complete":
            history = (i, [(r.status, r.fault) for r in attempts])
            assert len(full) == 1, history
            assert not after_output, history
            assert attempts[-1] is full[0]  # nothing was sent after the answer
        else:
            assert not full
            assert len(after_output) == 1
            assert attempts[-1] is after_output[0]  # no retry once output had arrived


def test_retries_follow_the_injected_faults(load_run):
    records = load_run["records"]
    faults = collections.Counter(r.fault for r in records)
    retried_prompts = {
        r.body["messages"][-1]["content"] for r in records if r.fault not in (None, "drop;after=3")
    }
    attempts = len(records)
    # Every attempt the client made reached the server and was logged.
    assert attempts == N_REQUESTS + sum(
        n for f, n in faults.items() if f not in (None, "drop;after=3")
    )
    # The seeded mix is close to the asked-for rates (per attempt).
    assert faults["429;retry_after=0.02"] / attempts == pytest.approx(RATE_LIMIT, abs=0.04)
    assert faults["500"] / attempts == pytest.approx(SERVER_ERROR, abs=0.02)
    before = faults["disconnect"] + faults["drop;after=1"]
    assert before / attempts == pytest.approx(DROP_BEFORE_FIRST_DELTA, abs=0.02)
    assert faults["drop;after=3"] / attempts == pytest.approx(DROP_AFTER_FIRST_DELTA, abs=0.015)
    interrupted = sum(1 for o in load_run["outcomes"].values() if o.kind == "interrupted")
    assert interrupted == faults["drop;after=3"]
    per_request = collections.Counter(r.body["messages"][-1]["content"] for r in records)
    load_run["summary"] = {
        "attempts": attempts,
        "max_attempts_one_request": max(per_request.values()),
        "faults": {str(k or "none"): v for k, v in faults.items()},
        "retried_requests": len(retried_prompts),
    }
    _write_summary(load_run)


def test_the_concurrency_limit_is_never_exceeded(load_run):
    # Client side: the semaphore's count, sampled every millisecond and at every event.
    assert load_run["client_peak"] <= CONCURRENCY
    assert load_run["client_peak"] >= CONCURRENCY // 2  # the limit was actually reached for
    assert load_run["in_flight_after"] == 0
    # Server side: the requests' own [start, end] as the emulator logged them.
    intervals = [(r.started, r.started + (r.elapsed_s or 0.0)) for r in load_run["records"]]
    server_peak = _max_overlap(intervals)
    load_run["server_peak"] = server_peak
    assert server_peak <= CONCURRENCY
    assert server_peak >= CONCURRENCY // 4  # and the server really saw them overlap
    _write_summary(load_run)


def test_the_run_is_bounded_in_time(load_run):
    # 1,000 requests with ~30% retried attempts; generous for two slow cores.
    assert load_run["elapsed"] < 120


def _write_summary(load_run: dict) -> None:
    """Print the counts (``-s``) and, with QWEN_OMNI_LOAD_REPORT=path, write them as JSON."""
    outcomes = load_run["outcomes"].values()
    summary = {
        "requests": N_REQUESTS,
        "concurrency": CONCURRENCY,
        "completed": sum(1 for o in outcomes if o.kind == "complete"),
        "interrupted": sum(1 for o in outcomes if o.kind == "interrupted"),
        "client_peak_in_flight": load_run["client_peak"],
        "server_peak_in_flight": load_run.get("server_peak"),
        "elapsed_s": round(load_run["elapsed"], 2),
        **load_run.get("summary", {}),
    }
    print("\nload summary:", json.dumps(summary, sort_keys=True))
    path = os.environ.get("QWEN_OMNI_LOAD_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=1, sort_keys=True)
