"""The async client's cap on streams in flight: explicit caps are honoured, the default is
documented and says once when it makes a request wait (issue #18). Over loopback sockets."""

import asyncio
import logging

import pytest

from qwen_omni import AsyncOmniClient
from qwen_omni.client import DEFAULT_MAX_CONCURRENCY
from qwen_omni_emulator import Reply

pytestmark = pytest.mark.integration


async def _peak(client: AsyncOmniClient, n: int) -> int:
    """Run ``n`` requests at once; the most that streamed at the same time."""
    peak = 0
    stop = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, client.in_flight)
            await asyncio.sleep(0.002)

    sampler = asyncio.create_task(sample())
    texts = await asyncio.gather(*(client.complete(f"q{i}") for i in range(n)))
    stop.set()
    await sampler
    assert len(texts) == n
    return peak


async def test_an_explicit_cap_above_the_default_is_honoured(qwen_omni_emulator, caplog):
    n = DEFAULT_MAX_CONCURRENCY + 8
    qwen_omni_emulator.script(*[Reply.text(f"a{i}", delay=0.4) for i in range(n)])
    async with AsyncOmniClient(**qwen_omni_emulator.connection, max_concurrency=n) as client:
        with caplog.at_level(logging.WARNING, logger="qwen_omni"):
            peak = await _peak(client, n)
    assert peak > DEFAULT_MAX_CONCURRENCY
    assert not [r for r in caplog.records if "max_concurrency" in r.getMessage()]


async def test_the_default_cap_says_once_that_requests_wait(qwen_omni_emulator, caplog):
    n = DEFAULT_MAX_CONCURRENCY + 6
    qwen_omni_emulator.script(*[Reply.text(f"a{i}", delay=0.3) for i in range(2 * n)])
    async with AsyncOmniClient(**qwen_omni_emulator.connection) as client:
        assert client.max_concurrency == DEFAULT_MAX_CONCURRENCY
        with caplog.at_level(logging.WARNING, logger="qwen_omni"):
            peak = await _peak(client, n)
            await _peak(client, n)  # waits again: not said again
    assert peak <= DEFAULT_MAX_CONCURRENCY
    said = [r for r in caplog.records if "max_concurrency" in r.getMessage()]
    assert len(said) == 1
    assert f"max_concurrency={DEFAULT_MAX_CONCURRENCY}" in said[0].getMessage()


async def test_an_explicit_cap_below_the_default_waits_quietly(qwen_omni_emulator, caplog):
    qwen_omni_emulator.script(*[Reply.text(f"a{i}", delay=0.2) for i in range(6)])
    async with AsyncOmniClient(**qwen_omni_emulator.connection, max_concurrency=2) as client:
        with caplog.at_level(logging.WARNING, logger="qwen_omni"):
            peak = await _peak(client, 6)
    assert 1 <= peak <= 2
    assert not [r for r in caplog.records if "max_concurrency" in r.getMessage()]
