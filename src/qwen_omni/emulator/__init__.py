"""A local DashScope (Qwen-Omni, OpenAI-compatible mode) and OSS, on real loopback sockets.

Start it in-process with :class:`Emulator` (a context manager), from pytest with the
``emulator`` fixture (:mod:`qwen_omni.emulator.pytest_plugin`), or from the shell with
``qwen-omni emulator`` (:func:`serve`).

What it does (details in each module):

- ``POST /compatible-mode/v1/chat/completions`` streams SSE like DashScope and refuses what the
  service refuses, with the documented bodies (:mod:`.request`, :mod:`.bodies`);
- media is really received, probed and counted (:mod:`.perception`);
- answers come from a script (:class:`Reply`), a responder, or a default reply that reports what
  it perceived (:mod:`.responder`);
- faults on demand (:class:`Fault`, header ``X-Emulator-Fault``) or at random rates
  (:class:`FaultRates`) (:mod:`.faults`);
- a request log with secrets masked (:mod:`.log`);
- ``GET /api/v1/uploads?action=getPolicy`` and an OSS server for temporary uploads.

Importing this package is cheap: the names below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qwen_omni.emulator.faults import FAULT_HEADER, Fault, FaultRates
    from qwen_omni.emulator.log import RecordedRequest, RequestLog
    from qwen_omni.emulator.perception import PerceivedPart
    from qwen_omni.emulator.replies import Reply, Responder, ToolCall
    from qwen_omni.emulator.request import ChatRequest
    from qwen_omni.emulator.responder import default_reply
    from qwen_omni.emulator.server import Emulator, main, serve
    from qwen_omni.emulator.state import DEFAULT_API_KEY, EmulatorConfig

__all__ = [
    "DEFAULT_API_KEY",
    "FAULT_HEADER",
    "ChatRequest",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FaultRates",
    "PerceivedPart",
    "RecordedRequest",
    "Reply",
    "RequestLog",
    "Responder",
    "ToolCall",
    "default_reply",
    "main",
    "serve",
]

_WHERE = {
    "DEFAULT_API_KEY": "state",
    "EmulatorConfig": "state",
    "FAULT_HEADER": "faults",
    "Fault": "faults",
    "FaultRates": "faults",
    "RecordedRequest": "log",
    "RequestLog": "log",
    "PerceivedPart": "perception",
    "Reply": "replies",
    "Responder": "replies",
    "ToolCall": "replies",
    "ChatRequest": "request",
    "default_reply": "responder",
    "Emulator": "server",
    "main": "server",
    "serve": "server",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'qwen_omni.emulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"qwen_omni.emulator.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
