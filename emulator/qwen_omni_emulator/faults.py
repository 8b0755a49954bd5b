"""Fault injection: what can go wrong with a request, and how tests ask for it.

Three ways, checked in this order for each chat request:

1. the request header ``X-Emulator-Fault`` (see :func:`parse_fault_header`);
2. faults queued on the emulator: ``emulator.fail_next(Fault.rate_limit(retry_after=2))``;
3. rates: ``emulator.fault_rates = FaultRates(rate_limit=0.05, drop=0.01, seed=7)``, drawn
   from a seeded RNG, one draw per request (load tests).

A fault replaces the reply for that request only; scripted replies stay queued, so "429 then
the scripted answer" is ``fail_next(Fault.rate_limit())`` plus ``script(Reply.text(...))``.

Kinds:

- ``status``: an HTTP error with the documented body (429 with ``Retry-After``, 500, 503…);
- ``disconnect``: the connection is reset before any response byte;
- ``drop``: the response starts (200, SSE), ``after`` chunks are sent, the connection is reset;
- ``cut``: ``after`` chunks are sent, then the stream ends cleanly without a finish reason, usage
  or ``[DONE]`` (with ``done=True``, ``data: [DONE]`` is still sent);
- ``slow``: ``seconds`` of silence before the first byte, then the normal answer.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal

__all__ = ["FAULT_HEADER", "Fault", "FaultRates", "FaultSyntaxError", "parse_fault_header"]

#: request header that injects a fault into that request
FAULT_HEADER = "x-emulator-fault"

FaultKind = Literal["status", "disconnect", "drop", "cut", "slow"]


class FaultSyntaxError(ValueError):
    """The ``X-Emulator-Fault`` header could not be parsed."""


@dataclass(frozen=True)
class Fault:
    """One injected failure. Build it with the class methods."""

    kind: FaultKind
    status: int = 0
    retry_after: float | None = None
    message: str | None = None
    after: int = 0
    seconds: float = 0.0
    done: bool = False

    @classmethod
    def rate_limit(cls, *, retry_after: float | None = 1.0, message: str | None = None) -> Fault:
        """HTTP 429 ``limit_requests`` with ``Retry-After`` (omitted when None)."""
        return cls("status", status=429, retry_after=retry_after, message=message)

    @classmethod
    def server_error(cls, status: int = 500, *, message: str | None = None) -> Fault:
        """HTTP 5xx (500 ``internal_error``, 503 ``ModelUnavailable``…)."""
        return cls("status", status=status, message=message)

    @classmethod
    def http(
        cls, status: int, *, retry_after: float | None = None, message: str | None = None
    ) -> Fault:
        """Any HTTP error status with the documented body for it."""
        return cls("status", status=status, retry_after=retry_after, message=message)

    @classmethod
    def disconnect(cls) -> Fault:
        """Reset the connection before any response byte."""
        return cls("disconnect")

    @classmethod
    def drop(cls, after: int = 0) -> Fault:
        """Start a 200 stream, send ``after`` chunks, then reset the connection."""
        return cls("drop", after=max(0, after))

    @classmethod
    def cut(cls, after: int = 1, *, done: bool = False) -> Fault:
        """Send ``after`` chunks, then end the stream cleanly with no finish reason."""
        return cls("cut", after=max(0, after), done=done)

    @classmethod
    def slow_first_byte(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before the first byte, then answer normally."""
        return cls("slow", seconds=max(0.0, seconds))

    def header_value(self) -> str:
        """This fault as an ``X-Emulator-Fault`` header value."""
        if self.kind == "status":
            value = str(self.status)
            if self.retry_after is not None:
                value += f";retry_after={self.retry_after:g}"
            return value
        if self.kind in ("drop", "cut"):
            value = f"{self.kind};after={self.after}"
            return value + (";done=1" if self.done else "")
        if self.kind == "slow":
            return f"slow;seconds={self.seconds:g}"
        return self.kind


def parse_fault_header(value: str) -> Fault:
    """Parse ``X-Emulator-Fault``: ``kind[;key=value]...``.

    Examples: ``429``, ``429;retry_after=2``, ``500``, ``503``, ``disconnect``,
    ``drop;after=3``, ``cut;after=5``, ``cut;after=5;done=1``, ``slow;seconds=1.5``.
    """
    head, *params = [p.strip() for p in value.split(";") if p.strip()] or [""]
    options: dict[str, str] = {}
    for param in params:
        key, sep, val = param.partition("=")
        if not sep:
            raise FaultSyntaxError(f"bad X-Emulator-Fault parameter {param!r} (want key=value)")
        options[key.strip().lower().replace("-", "_")] = val.strip()
    try:
        if head.isdigit():
            status = int(head)
            if not 400 <= status <= 599:
                raise FaultSyntaxError(f"X-Emulator-Fault status {status} is not an error")
            retry = options.get("retry_after")
            return Fault.http(status, retry_after=float(retry) if retry is not None else None)
        kind = head.lower()
        if kind == "disconnect":
            return Fault.disconnect()
        if kind == "drop":
            return Fault.drop(int(options.get("after", "0")))
        if kind == "cut":
            done = options.get("done", "0").lower() in ("1", "true", "yes")
            return Fault.cut(int(options.get("after", "1")), done=done)
        if kind == "slow":
            return Fault.slow_first_byte(float(options.get("seconds", "1")))
    except ValueError as exc:
        if isinstance(exc, FaultSyntaxError):
            raise
        raise FaultSyntaxError(f"bad X-Emulator-Fault value {value!r}: {exc}") from exc
    raise FaultSyntaxError(
        f"unknown X-Emulator-Fault {value!r}: use a status (429, 500…), disconnect, drop, cut "
        "or slow"
    )


@dataclass
class FaultRates:
    """Probabilities of each fault per request, drawn from a seeded RNG (load tests).

    The probabilities are cumulative slices of one uniform draw, so their sum must be ≤ 1.
    """

    rate_limit: float = 0.0
    server_error: float = 0.0
    disconnect: float = 0.0
    drop: float = 0.0
    cut: float = 0.0
    slow_first_byte: float = 0.0
    #: chunks sent before a drop or cut
    after: int = 1
    slow_seconds: float = 1.0
    retry_after: float | None = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        rates = (
            self.rate_limit,
            self.server_error,
            self.disconnect,
            self.drop,
            self.cut,
            self.slow_first_byte,
        )
        total = sum(rates)
        if total > 1.0 + 1e-9 or min(rates) < 0:
            raise ValueError(f"fault probabilities must be ≥ 0 and sum to ≤ 1, got {total}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self) -> Fault | None:
        """The fault for the next request, or None."""
        with self._lock:
            x = self._rng.random()
        for probability, fault in (
            (self.rate_limit, Fault.rate_limit(retry_after=self.retry_after)),
            (self.server_error, Fault.server_error()),
            (self.disconnect, Fault.disconnect()),
            (self.drop, Fault.drop(self.after)),
            (self.cut, Fault.cut(self.after)),
            (self.slow_first_byte, Fault.slow_first_byte(self.slow_seconds)),
        ):
            if x < probability:
                return fault
            x -= probability
        return None
