"""A local DashScope (Qwen-Omni, OpenAI-compatible mode) and OSS, on real loopback sockets.

Its own distribution, ``qwen-omni-emulator`` (``pip install qwen-omni-emulator``; it depends on
``qwen-omni``, which never imports it). Start it in-process with :class:`Emulator` (a context
manager), from pytest with the ``qwen_omni_emulator`` fixture
(:mod:`qwen_omni_emulator.pytest_plugin`), or from the shell with ``qwen-omni emulator`` or
``python -m qwen_omni_emulator`` (:func:`serve`).

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

Quick reference::

    with Emulator() as emu:                # or the `qwen_omni_emulator` pytest fixture
        emu.base_url                              # http://127.0.0.1:<port>/compatible-mode/v1
        emu.api_base_url, emu.oss_endpoint, emu.api_key ("emu-key"), emu.oss (OssState)
        emu.script(Reply.text("hi"), Reply.tool_call("f", {"x": 1}), Reply.error(429))
        emu.responder = lambda request: Reply.json({...}) or None
        emu.fail_next(Fault.rate_limit(retry_after=1))       # or Fault.drop(3), Fault.cut(2)…
        emu.fault_rates = FaultRates(rate_limit=0.05, seed=7)
        emu.host_media("https://cdn.example.com/a.png", data)  # served without a socket
        emu.route_host("bucket.oss-cn-beijing.aliyuncs.com")    # real OSS names → local OSS
        emu.requests.last.perceived                # what reached the "model"
        emu.reset()

Request headers the emulator understands:

- ``Authorization: Bearer <key>``: required (401 otherwise);
- ``X-DashScope-OssResourceResolve: enable``: makes ``oss://`` URLs resolvable (§7);
- ``X-Emulator-Fault: <kind>[;key=value]…``: a fault for this request only: ``429``,
  ``429;retry_after=2``, ``500``, ``503`` (any 4xx/5xx), ``disconnect``, ``drop;after=3``,
  ``cut;after=5[;done=1]``, ``slow;seconds=1.5`` (see :mod:`.faults`).

Importing this package is cheap: the names below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qwen_omni.fallback import EMULATOR_NOTICE, service_or_emulator
    from qwen_omni_emulator.faults import FAULT_HEADER, Fault, FaultRates
    from qwen_omni_emulator.log import RecordedRequest, RequestLog
    from qwen_omni_emulator.perception import PerceivedPart
    from qwen_omni_emulator.realtime import RealtimeFault, RealtimeLog, RealtimeReply
    from qwen_omni_emulator.replies import Reply, Responder, ToolCall
    from qwen_omni_emulator.request import ChatRequest
    from qwen_omni_emulator.responder import default_reply
    from qwen_omni_emulator.server import Emulator, main, serve
    from qwen_omni_emulator.state import DEFAULT_API_KEY, EmulatorConfig

__all__ = [
    "DEFAULT_API_KEY",
    "EMULATOR_NOTICE",
    "FAULT_HEADER",
    "ChatRequest",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FaultRates",
    "PerceivedPart",
    "RealtimeFault",
    "RealtimeLog",
    "RealtimeReply",
    "RecordedRequest",
    "Reply",
    "RequestLog",
    "Responder",
    "ToolCall",
    "default_reply",
    "main",
    "serve",
    "service_or_emulator",
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
    "RealtimeFault": "realtime",
    "RealtimeLog": "realtime",
    "RealtimeReply": "realtime",
    "Reply": "replies",
    "Responder": "replies",
    "ToolCall": "replies",
    "ChatRequest": "request",
    "default_reply": "responder",
    "Emulator": "server",
    "main": "server",
    "serve": "server",
    # The decision "no key -> emulator" lives in the core; re-exported for convenience.
    "service_or_emulator": "qwen_omni.fallback",
    "EMULATOR_NOTICE": "qwen_omni.fallback",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'qwen_omni_emulator' has no attribute {name!r}")
    path = module if "." in module else f"qwen_omni_emulator.{module}"
    value = getattr(importlib.import_module(path), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
