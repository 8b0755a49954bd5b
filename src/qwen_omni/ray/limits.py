"""Rate limits as pure state machines (no Ray): the limiter and the budget the actors hold.

DashScope limits requests and tokens per model per root account (RPM/TPM, RPS/TPS) and
refuses traffic that grows too fast (``limit_burst_rate``: "scale requests more smoothly over
time", reference §9). Retrying after 429s is called ineffective there; client-side flow control
is the advice. So the limiter:

- spaces requests evenly (GCRA: one request per ``60/rpm`` seconds, no bursts at all), which
  also makes the achieved rate equal the limit when there is enough work;
- ramps up linearly from ``ramp_start`` of the rate to all of it over ``ramp_up_s`` (again
  after every pause);
- debits a token bucket with our own estimate **before** sending, and corrects it with the
  reported usage after (a request larger than the bucket goes when the bucket is full);
- caps the requests in flight across the whole cluster;
- pauses everything when any worker sees a 429, for the ``Retry-After`` it carried.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BudgetState", "LimiterState", "RateLimit"]


@dataclass(frozen=True)
class RateLimit:
    """Client-side limits for one (region, workspace, model).

    Attributes:
        rpm: requests per minute (spaced evenly: 600 rpm is one request every 0.1 s).
        tpm: tokens per minute (input estimate plus expected output), None for no limit.
        max_in_flight: requests streaming at once across the cluster, None for no cap.
        ramp_up_s: seconds to grow from ``ramp_start × rpm`` to ``rpm`` (0: start at full rate).
        ramp_start: the fraction of the rate to start (and restart after a 429) at.
        pause_s: how long a 429 without ``Retry-After`` pauses everything.
    """

    rpm: float
    tpm: float | None = None
    max_in_flight: int | None = 16
    ramp_up_s: float = 10.0
    ramp_start: float = 0.25
    pause_s: float = 2.0

    def __post_init__(self) -> None:
        if self.rpm <= 0:
            raise ValueError(f"rpm must be > 0, got {self.rpm}")
        if self.tpm is not None and self.tpm <= 0:
            raise ValueError(f"tpm must be > 0 or None, got {self.tpm}")
        if self.max_in_flight is not None and self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1 or None, got {self.max_in_flight}")
        if not 0 < self.ramp_start <= 1:
            raise ValueError(f"ramp_start must be in (0, 1], got {self.ramp_start}")

    @property
    def token_capacity(self) -> float:
        """The token bucket's size: six seconds of TPM (small bursts only)."""
        return (self.tpm or 0.0) / 10.0


class LimiterState:
    """The limiter's state; ``try_acquire`` is called with the current monotonic time."""

    def __init__(self, limit: RateLimit, now: float) -> None:
        self.limit = limit
        self._ramp_from = now
        self._tat = now  # GCRA's theoretical arrival time of the next request
        self._tokens = limit.token_capacity
        self._refilled = now
        self.paused_until = 0.0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.granted = 0
        self.rate_limited = 0

    def configure(self, limit: RateLimit, now: float) -> None:
        """Adopt new limits (a later run with other settings reuses the named actor)."""
        if limit != self.limit:
            self.limit = limit
            self._tokens = min(self._tokens, limit.token_capacity)
            self._ramp_from = now

    def rate(self, now: float) -> float:
        """Requests per second allowed at ``now`` (ramping up)."""
        full = self.limit.rpm / 60.0
        ramp = self.limit.ramp_up_s
        if ramp <= 0:
            return full
        progress = min(1.0, max(0.0, (now - self._ramp_from) / ramp))
        start = self.limit.ramp_start
        return full * (start + (1.0 - start) * progress)

    def _refill(self, now: float) -> None:
        if self.limit.tpm is None:
            return
        cap = self.limit.token_capacity
        self._tokens = min(cap, self._tokens + (now - self._refilled) * self.limit.tpm / 60.0)
        self._refilled = now

    def try_acquire(self, tokens: float, now: float) -> float:
        """0.0 when a request of ``tokens`` may go now (and it is counted), else the seconds
        to wait before asking again."""
        if now < self.paused_until:
            return self.paused_until - now
        cap = self.limit.max_in_flight
        if cap is not None and self.in_flight >= cap:
            return 0.005  # a release will free a slot; callers re-ask soon
        if now < self._tat:
            return self._tat - now
        if now - self._tat > max(self.limit.ramp_up_s, 1.0):
            self._ramp_from = now  # idle for a while: to the service, this is a new burst
        if self.limit.tpm is not None:
            self._refill(now)
            capacity = self.limit.token_capacity
            need = min(tokens, capacity)  # a request larger than the bucket needs it full
            if self._tokens < need:
                return (need - self._tokens) * 60.0 / self.limit.tpm
            self._tokens -= tokens
        self._tat = max(self._tat, now) + 1.0 / self.rate(now)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        self.granted += 1
        return 0.0

    def release(self, estimated_tokens: float, actual_tokens: float | None, now: float) -> None:
        """A request finished: free its slot and correct the bucket with the real usage
        (``None``: unknown, the estimate stands; 0 for a request refused before any work)."""
        self.in_flight = max(0, self.in_flight - 1)
        if self.limit.tpm is not None and actual_tokens is not None:
            self._refill(now)
            self._tokens = min(
                self.limit.token_capacity, self._tokens + estimated_tokens - actual_tokens
            )

    def pause(self, seconds: float | None, now: float) -> None:
        """A 429: stop everyone for ``seconds`` (``Retry-After``) and ramp up again after."""
        wait = seconds if seconds is not None and seconds > 0 else self.limit.pause_s
        self.rate_limited += 1
        self.paused_until = max(self.paused_until, now + wait)
        self._ramp_from = self.paused_until
        self._tat = self.paused_until


class BudgetState:
    """Spending against a budget: estimates are reserved before sending, settled after.

    Once a reservation would cross the budget, the budget is exhausted for good: no later
    (smaller) request slips through, so a run stops at one clear point.
    """

    def __init__(self, budget_cny: float | None) -> None:
        self.budget_cny = budget_cny
        self.reserved = 0.0
        self.spent = 0.0
        self.exhausted = False

    def reserve(self, estimate_cny: float) -> bool:
        """True when a request estimated at ``estimate_cny`` may be sent (it is reserved)."""
        if self.budget_cny is None:
            self.reserved += estimate_cny
            return True
        if self.exhausted or self.spent + self.reserved + estimate_cny > self.budget_cny:
            self.exhausted = True
            return False
        self.reserved += estimate_cny
        return True

    def settle(self, estimate_cny: float, actual_cny: float) -> None:
        """Replace a reservation with what the request really cost."""
        self.reserved = max(0.0, self.reserved - estimate_cny)
        self.spent += actual_cny
