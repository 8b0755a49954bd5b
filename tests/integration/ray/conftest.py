"""A local 2-CPU Ray cluster for the ingestion tests (loopback only), and the session emulator
under a short name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def emulator(qwen_omni_emulator):
    return qwen_omni_emulator


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """``ray.init(num_cpus=2, include_dashboard=False)`` on loopback (through ``init_ray``,
    which works around a Ray start-up race on loaded machines), shut down after the module."""
    ray = pytest.importorskip("ray")
    from qwen_omni.ray import init_ray

    init_ray(num_cpus=2)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()
