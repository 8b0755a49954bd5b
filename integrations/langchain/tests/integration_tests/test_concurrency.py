"""ChatQwenOmni honours an explicit concurrency: LangChain's batch max_concurrency, or the
model's own field, over the core's default cap (issue #18). Against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni.client import DEFAULT_MAX_CONCURRENCY
from qwen_omni_emulator import Reply


async def _batch_peak(model: ChatQwenOmni, n: int, config: Any) -> int:
    """abatch ``n`` prompts; the most streams that model's clients had in flight at once."""
    peak = 0
    stop = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            clients = model._async_clients.get()
            peak = max(peak, sum(c.in_flight for c in clients.values()))
            await asyncio.sleep(0.002)

    sampler = asyncio.create_task(sample())
    out = await model.abatch([f"q{i}" for i in range(n)], config=config)
    stop.set()
    await sampler
    assert len(out) == n
    return peak


async def test_abatch_max_concurrency_above_the_default_is_honoured(
    qwen_omni_emulator: Any,
) -> None:
    n = DEFAULT_MAX_CONCURRENCY + 8
    qwen_omni_emulator.script(*[Reply.text(f"a{i}", delay=0.4) for i in range(n)])
    model = ChatQwenOmni()
    peak = await _batch_peak(model, n, {"max_concurrency": n})
    assert peak > DEFAULT_MAX_CONCURRENCY


async def test_the_model_field_is_an_explicit_cap(qwen_omni_emulator: Any) -> None:
    qwen_omni_emulator.script(*[Reply.text(f"a{i}", delay=0.2) for i in range(8)])
    model = ChatQwenOmni(max_concurrency=3)
    peak = await _batch_peak(model, 8, None)
    assert 1 <= peak <= 3
