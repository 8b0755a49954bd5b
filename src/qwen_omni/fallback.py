"""The real service, or the local emulator: the ONE place that decides (CLI, examples, demos).

The emulator is its own distribution (``pip install qwen-omni-emulator``); the core never
imports it. It announces itself through the ``qwen_omni.emulator`` entry point (``server``: a
module with ``Emulator`` and ``serve``), so this module finds it when it is installed and says
how to install it when it is not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from qwen_omni.errors import ConfigurationError

__all__ = [
    "EMULATOR_FORCED_NOTICE",
    "EMULATOR_INSTALL",
    "EMULATOR_NOTICE",
    "emulator_server",
    "service_or_emulator",
    "use_emulator",
]

EMULATOR_NOTICE = (
    "No DASHSCOPE_API_KEY set: running against the local emulator (offline; answers are "
    "synthetic and describe what the service would receive). Set DASHSCOPE_API_KEY to use "
    "Qwen-Omni for real."
)
#: Said when the emulator is forced although a key is set.
EMULATOR_FORCED_NOTICE = "Running against the local emulator (--emulator)."
#: How to get the emulator when it is missing.
EMULATOR_INSTALL = "pip install qwen-omni-emulator"

_ENTRY_POINT_GROUP = "qwen_omni.emulator"


def emulator_server() -> ModuleType:
    """The installed emulator's server module (``Emulator``, ``serve``).

    Raises :class:`~qwen_omni.errors.ConfigurationError` saying how to install it (or to set a
    key) when the ``qwen-omni-emulator`` distribution is not installed.
    """
    found = entry_points(group=_ENTRY_POINT_GROUP, name="server")
    if not found:
        raise ConfigurationError(
            f"the local emulator is not installed: run `{EMULATOR_INSTALL}` "
            "(or set DASHSCOPE_API_KEY to use the real service)"
        )
    module = next(iter(found)).load()
    if not isinstance(module, ModuleType):
        raise ConfigurationError(
            f"the {_ENTRY_POINT_GROUP!r} entry point 'server' must name a module, not "
            f"{module!r}: reinstall it with `{EMULATOR_INSTALL}`"
        )
    return module


def use_emulator(*, emulator: bool | None = None, base_url: str | None = None) -> bool:
    """Whether to run against the emulator: the decision, made here only.

    ``emulator`` True forces it; False forbids it (then a key or a base URL is required:
    :class:`~qwen_omni.errors.ConfigurationError` otherwise); None picks it when no
    ``DASHSCOPE_API_KEY`` is set and no ``base_url`` is given.
    """
    has_key = bool(os.environ.get("DASHSCOPE_API_KEY"))
    if emulator is None:
        return not has_key and not base_url
    if not emulator and not has_key and not base_url:
        raise ConfigurationError(
            "no DASHSCOPE_API_KEY: export DASHSCOPE_API_KEY=sk-... (Model Studio console, "
            "per region), or run with --emulator to work offline"
        )
    return emulator


@contextmanager
def service_or_emulator(
    *,
    emulator: bool | None = None,
    base_url: str | None = None,
    announce: Callable[[str], Any] | None = print,
    **emulator_settings: Any,
) -> Iterator[dict[str, Any]]:
    """Client keyword arguments for the real service, or for an emulator started for the block.

    Without ``DASHSCOPE_API_KEY`` (and no ``base_url``) this yields ``{"base_url": …,
    "api_key": …}`` of a local emulator and passes :data:`EMULATOR_NOTICE` to ``announce``
    (None: silent); with a key it yields ``{}`` (or ``{"base_url": base_url}``). ``emulator``:
    see :func:`use_emulator`. Example::

        with service_or_emulator() as conn, OmniClient(**conn) as client:
            print(client.complete("Hello").text)
    """
    if not use_emulator(emulator=emulator, base_url=base_url):
        yield {"base_url": base_url} if base_url else {}
        return
    server = emulator_server()
    if announce is not None:
        forced = bool(os.environ.get("DASHSCOPE_API_KEY"))
        announce(EMULATOR_FORCED_NOTICE if forced else EMULATOR_NOTICE)
    with server.Emulator(**emulator_settings) as emu:
        yield dict(emu.connection)
