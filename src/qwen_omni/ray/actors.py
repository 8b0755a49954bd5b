"""The Ray actors: one limiter per (region, workspace, model), one run actor per ingestion.

Both are asyncio actors: their methods run one at a time between awaits, so their state needs
no locks, and a waiting ``acquire`` costs no thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import asdict, dataclass
from typing import Any

import ray

from qwen_omni.ray.limits import BudgetState, LimiterState, RateLimit

__all__ = ["NAMESPACE", "Progress", "limiter_name", "get_limiter", "new_run"]

NAMESPACE = "qwen-omni"


def limiter_name(region: str | None, api_key: str | None, model: str, base_url: str) -> str:
    """The limiter's actor name. DashScope counts limits per model per root account; the key's
    hash stands for the account (workspace) without putting the key in a name."""
    account = hashlib.sha256((api_key or "").encode()).hexdigest()[:12]
    where = region or hashlib.sha256(base_url.encode()).hexdigest()[:8]
    return f"limiter:{where}:{account}:{model}"


class _Limiter:
    """Cluster-wide request pacing, token bucket, in-flight cap and 429 pause."""

    def __init__(self, limit: RateLimit) -> None:
        self.state = LimiterState(limit, time.monotonic())

    async def configure(self, limit: RateLimit) -> None:
        self.state.configure(limit, time.monotonic())

    async def acquire(self, tokens: float) -> None:
        """Return once a request of ``tokens`` may be sent."""
        while True:
            wait = self.state.try_acquire(tokens, time.monotonic())
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, 0.5))

    async def release(self, estimated: float, actual: float | None) -> None:
        self.state.release(estimated, actual, time.monotonic())

    async def pause(self, seconds: float | None) -> None:
        self.state.pause(seconds, time.monotonic())

    async def stats(self) -> dict[str, Any]:
        s = self.state
        return {
            "granted": s.granted,
            "in_flight": s.in_flight,
            "peak_in_flight": s.peak_in_flight,
            "rate_limited": s.rate_limited,
        }


# Asyncio actors: thousands of waiting calls, one at a time between awaits (typed as Any:
# ray's stubs do not know max_concurrency).
_remote: Any = ray.remote
_actor: Any = _remote(num_cpus=0, max_concurrency=10_000)
LimiterActor: Any = _actor(_Limiter)


def get_limiter(name: str, limit: RateLimit) -> Any:
    """The named limiter actor (created on first use, detached so later runs share it)."""
    actor = LimiterActor.options(
        name=name, namespace=NAMESPACE, get_if_exists=True, lifetime="detached"
    ).remote(limit)
    ray.get(actor.configure.remote(limit))
    return actor


@dataclass
class Progress:
    """Where an ingestion stands.

    Attributes:
        total: rows in the dataset (None until known).
        done: rows finished (answered, cached, failed or skipped).
        cached, failed, skipped: of those, served from the cache / failed / not sent because
            the budget was reached.
        requests: requests sent (429 retries included).
        tokens: tokens reported by the service.
        cost_cny: what they cost (catalog list prices).
        elapsed_s: seconds since the run started.
        budget_exhausted: True once the budget stopped scheduling.
    """

    total: int | None = None
    done: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0
    requests: int = 0
    tokens: int = 0
    cost_cny: float = 0.0
    elapsed_s: float = 0.0
    budget_exhausted: bool = False

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far (None before the first row or without a total)."""
        if not self.total or not self.done or self.elapsed_s <= 0:
            return None
        return (self.total - self.done) * self.elapsed_s / self.done

    def summary(self) -> str:
        """One line for people."""
        total = f"/{self.total:,}" if self.total else ""
        eta = f", ETA {self.eta_s:.0f} s" if self.eta_s is not None and self.done else ""
        stop = "; stopped: budget reached" if self.budget_exhausted else ""
        return (
            f"{self.done:,}{total} rows ({self.cached:,} cached, {self.failed:,} failed, "
            f"{self.skipped:,} over budget); {self.requests:,} requests, {self.tokens:,} tokens, "
            f"{self.cost_cny:.4f} CNY{eta}{stop}"
        )


class _Run:
    """One ingestion's budget and progress."""

    def __init__(self, budget_cny: float | None, total: int | None) -> None:
        self.budget = BudgetState(budget_cny)
        self.progress = Progress(total=total)
        self.started = time.monotonic()

    async def reserve(self, estimate_cny: float) -> bool:
        return self.budget.reserve(estimate_cny)

    async def row_done(
        self, status: str, tokens: int, cost_cny: float, estimate_cny: float, requests: int
    ) -> None:
        """A row finished: settle its reservation and count it."""
        self.budget.settle(estimate_cny, cost_cny)
        p = self.progress
        p.requests += requests
        p.done += 1
        p.cached += status == "cached"
        p.failed += status == "failed"
        p.skipped += status == "skipped"
        p.tokens += tokens if status != "cached" else 0
        p.cost_cny += cost_cny if status != "cached" else 0.0

    async def snapshot(self) -> dict[str, Any]:
        self.progress.elapsed_s = time.monotonic() - self.started
        self.progress.budget_exhausted = self.budget.exhausted
        return asdict(self.progress)


RunActor: Any = _actor(_Run)


def new_run(budget_cny: float | None, total: int | None) -> Any:
    """A fresh run actor (unnamed: it lives as long as the driver holds it)."""
    return RunActor.remote(budget_cny, total)
