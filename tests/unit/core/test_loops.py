"""qwen_omni.loops: one object per event loop, and sync-over-async on one private loop."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from qwen_omni.loops import BlockingRunner, PerLoop


def test_one_object_per_loop_rebuilt_when_the_key_changes() -> None:
    made: list[object] = []

    def factory() -> object:
        made.append(object())
        return made[-1]

    per_loop: PerLoop[object] = PerLoop(factory)

    async def twice(key: str) -> tuple[object, object]:
        return per_loop.get(key), per_loop.get(key)

    a, b = asyncio.run(twice("k"))
    assert a is b
    c, _ = asyncio.run(twice("k"))
    assert c is not a  # another loop, another object
    loop = asyncio.new_event_loop()
    try:
        first = loop.run_until_complete(twice("k"))[0]
        again = loop.run_until_complete(twice("other"))[0]
        assert again is not first  # the settings changed: rebuilt
        assert loop.run_until_complete(asyncio.sleep(0, per_loop.pop(loop))) is again
    finally:
        loop.close()
    del loop
    gc.collect()
    assert len(per_loop) == 0  # closed loops are forgotten
    with pytest.raises(RuntimeError):
        per_loop.get()  # no running loop


def test_blocking_runner_works_inside_a_running_loop_and_refuses_its_own() -> None:
    runner = BlockingRunner("test-runner")
    assert not runner.started

    async def where() -> str:
        return threading.current_thread().name

    async def inside_a_loop() -> str:
        return runner.run(where())  # a sync call from async code (a notebook, an agent)

    assert asyncio.run(inside_a_loop()) != threading.current_thread().name
    assert runner.started

    async def reentrant() -> None:
        runner.run(where())

    with pytest.raises(RuntimeError, match="from its own event loop"):
        runner.run(reentrant())
    closed: list[bool] = []

    async def cleanup() -> None:
        closed.append(True)

    runner.close(cleanup)
    assert closed == [True]
    assert not runner.started
    assert runner.run(where())  # starts again on demand
    runner.close()


def test_errors_propagate() -> None:
    runner = BlockingRunner()

    async def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        runner.run(boom())
    runner.close()
