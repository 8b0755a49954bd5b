"""Progress reporting: one small event type and a callback that may be sync or async."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Union

__all__ = ["Progress", "ProgressCallback", "emit"]

logger = logging.getLogger("qwen_omni.tasks")


@dataclass(frozen=True)
class Progress:
    """Where a long task is.

    Attributes:
        stage: ``"prepare"``, ``"upload"``, ``"segments"``, ``"summary"``, ``"request"``…
        done: units finished in this stage.
        total: units in this stage (None when unknown).
        message: one human-readable line.
    """

    stage: str
    done: int
    total: int | None
    message: str = ""


#: Called with each :class:`Progress`; may return an awaitable (it is awaited).
ProgressCallback = Callable[[Progress], Union[Awaitable[None], None]]


async def emit(callback: ProgressCallback | None, event: Progress) -> None:
    """Send ``event`` to ``callback``; a failing callback is logged, never fatal to the task."""
    if callback is None:
        return
    try:
        result = callback(event)
        if inspect.isawaitable(result):
            await result
    except Exception:  # a progress display must not break the work it reports on
        logger.warning("progress callback failed for %s", event, exc_info=True)
