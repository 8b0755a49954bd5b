"""The limiter and budget as pure state machines, on a fake clock (numbers worked by hand)."""

from __future__ import annotations

import itertools

import pytest

from qwen_omni.ray.limits import BudgetState, LimiterState, RateLimit


def _drain(
    state: LimiterState, until: float, tokens: float = 0.0, step: float = 0.001
) -> list[float]:
    """Grant times when a caller asks every millisecond and releases at once."""
    now, grants = 0.0, []
    while now < until:
        if state.try_acquire(tokens, now) == 0.0:
            grants.append(now)
            state.release(tokens, tokens, now)
        now = round(now + 0.001, 6)
    return grants


def test_requests_are_spaced_evenly_at_the_limit() -> None:
    # 600 rpm = one request per 0.1 s: 10 in the first second, none bunched.
    grants = _drain(LimiterState(RateLimit(rpm=600, ramp_up_s=0), 0.0), 1.0)
    assert len(grants) == 10
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) == pytest.approx(0.1, abs=0.0015)


def test_ramp_up_starts_at_a_quarter_and_reaches_the_limit() -> None:
    # ramp 0.25 → 1 over 4 s at 600 rpm: the first second is near 2.5–4.4 req/s, the fifth 10.
    grants = _drain(LimiterState(RateLimit(rpm=600, ramp_up_s=4.0), 0.0), 5.0)
    first = sum(1 for g in grants if g < 1.0)
    last = sum(1 for g in grants if 4.0 <= g < 5.0)
    assert 3 <= first <= 4
    assert last == 10


def test_in_flight_cap_blocks_until_a_release() -> None:
    state = LimiterState(RateLimit(rpm=60_000, max_in_flight=2, ramp_up_s=0), 0.0)
    assert state.try_acquire(0, 0.0) == 0.0
    assert state.try_acquire(0, 0.01) == 0.0
    assert state.try_acquire(0, 0.02) > 0  # two in flight
    state.release(0, 0, 0.03)
    assert state.try_acquire(0, 0.03) == 0.0
    assert state.peak_in_flight == 2


def test_token_bucket_debits_estimates_and_corrects_from_usage() -> None:
    # 60,000 tpm = 1,000 tokens/s; the bucket holds 6,000 (six seconds).
    state = LimiterState(RateLimit(rpm=60_000, tpm=60_000, ramp_up_s=0), 0.0)
    assert state.try_acquire(5_000, 0.0) == 0.0  # 1,000 left
    wait = state.try_acquire(3_000, 0.001)
    assert wait == pytest.approx(2.0, abs=0.01)  # 2,000 more tokens at 1,000/s
    state.release(5_000, 1_000, 0.002)  # it really used 1,000: 4,000 come back
    assert state.try_acquire(3_000, 0.003) == 0.0


def test_a_request_larger_than_the_bucket_goes_when_it_is_full() -> None:
    state = LimiterState(RateLimit(rpm=60_000, tpm=60_000, ramp_up_s=0), 0.0)
    assert state.try_acquire(20_000, 0.0) == 0.0  # full bucket: allowed, into debt
    assert state.try_acquire(1, 0.01) > 10  # the debt is paid back first


def test_a_429_pauses_everyone_for_retry_after_then_ramps_again() -> None:
    state = LimiterState(RateLimit(rpm=600, ramp_up_s=2.0, ramp_start=0.5), 0.0)
    state.pause(3.0, now=1.0)
    assert state.try_acquire(0, 2.0) == pytest.approx(2.0)
    assert state.try_acquire(0, 4.0) == 0.0
    assert state.rate(4.0) == pytest.approx(5.0)  # half of 10 req/s again
    state.pause(None, now=5.0)
    assert state.paused_until == pytest.approx(5.0 + state.limit.pause_s)


def test_budget_stops_for_good_once_reached() -> None:
    budget = BudgetState(1.0)
    assert budget.reserve(0.4) and budget.reserve(0.4)
    assert not budget.reserve(0.4)  # 1.2 > 1.0
    budget.settle(0.4, 0.1)
    assert not budget.reserve(0.1)  # exhausted stays exhausted: one clear stopping point
    assert budget.exhausted and budget.spent == pytest.approx(0.1)


def test_rate_limit_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="rpm"):
        RateLimit(rpm=0)
    with pytest.raises(ValueError, match="max_in_flight"):
        RateLimit(rpm=1, max_in_flight=0)
