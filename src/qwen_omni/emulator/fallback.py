"""The real service when a key is set, else a local emulator: for examples, demos and the CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["EMULATOR_NOTICE", "service_or_emulator"]

EMULATOR_NOTICE = (
    "No DASHSCOPE_API_KEY set: running against the local emulator (offline; answers are "
    "synthetic and describe what the service would receive). Set DASHSCOPE_API_KEY to use "
    "Qwen-Omni for real."
)


@contextmanager
def service_or_emulator(
    *, announce: Callable[[str], Any] | None = print, **emulator_settings: Any
) -> Iterator[dict[str, Any]]:
    """Client keyword arguments: ``{}`` when ``DASHSCOPE_API_KEY`` is set (the real service),
    else ``{"base_url": …, "api_key": …}`` of an emulator started for the block.

    ``announce`` receives :data:`EMULATOR_NOTICE` when the emulator is used (None: silent).
    Example::

        with service_or_emulator() as conn, OmniClient(**conn) as client:
            print(client.complete("Hello").text)
    """
    if os.environ.get("DASHSCOPE_API_KEY"):
        yield {}
        return
    from qwen_omni.emulator.server import Emulator

    if announce is not None:
        announce(EMULATOR_NOTICE)
    with Emulator(**emulator_settings) as emu:
        yield {"base_url": emu.base_url, "api_key": emu.api_key}
