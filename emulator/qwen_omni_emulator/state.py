"""The emulator's settings and the state shared by the test thread and the server thread.

Tests change the state through :class:`~qwen_omni_emulator.server.Emulator` (script replies,
queue faults, set rates, host media); the server's event loop reads it. Queues are guarded by
a lock; single assignments (``responder``, ``fault_rates``) are atomic in CPython.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from qwen_omni.catalog import MODELS, ModelSpec
from qwen_omni_emulator.faults import Fault, FaultRates
from qwen_omni_emulator.log import RequestLog
from qwen_omni_emulator.perception import HostedMedia
from qwen_omni_emulator.replies import Reply, Responder

if TYPE_CHECKING:
    from qwen_omni_emulator.oss import OssState
    from qwen_omni_emulator.realtime import RealtimeFault, RealtimeLog, RealtimeReply

__all__ = ["DEFAULT_API_KEY", "EmulatorConfig", "EmulatorState", "Endpoint"]

#: the key the emulator accepts unless configured otherwise
DEFAULT_API_KEY = "emu-key"

Endpoint = Literal["chat", "uploads", "any"]


@dataclass
class EmulatorConfig:
    """How the emulator behaves. Every field has a test-friendly default.

    Attributes:
        api_key: the accepted ``Authorization: Bearer`` key; ``None`` accepts any non-empty key.
        models: the models served (name → spec); default: every model of the catalog. Others
            get 404 ``model_not_found``.
        latency_s: added before every response of the model endpoint (benchmarks).
        bandwidth_bps: cap on the bytes per second of each response (None: no cap).
        fetch_timeout_s: how long the model endpoint waits for a media URL.
        send_done: end streams with ``data: [DONE]`` (UNCONFIRMED for DashScope; clients must
            cope with both).
        allow_required_tool_choice: accept ``tool_choice="required"``; the reference documents
            only "none", "auto" and a function object, so by default it is refused with the
            documented message, as the service would.
        upload_policy_qps: getPolicy calls allowed per second per (key, model) (§7: 100).
        oss_latency_s, oss_bandwidth_bps: the same knobs for the OSS server.
        log_size: requests kept in the log.
        log_data_uri_chars: data URIs longer than this are elided in the logged body (the
            perceived part keeps their size and sha256).
        realtime_idle_s, realtime_max_session_s, realtime_vad_rms: the realtime route's idle
            cut, session-length cut and VAD threshold.
    """

    api_key: str | None = DEFAULT_API_KEY
    models: Mapping[str, ModelSpec] = field(default_factory=lambda: dict(MODELS))
    latency_s: float = 0.0
    bandwidth_bps: float | None = None
    fetch_timeout_s: float = 10.0
    send_done: bool = True
    allow_required_tool_choice: bool = False
    upload_policy_qps: int = 100
    oss_latency_s: float = 0.0
    oss_bandwidth_bps: float | None = None
    log_size: int = 1000
    log_data_uri_chars: int = 256
    #: realtime: the socket is closed after this long without a client event (service: ~300 s)
    realtime_idle_s: float = 300.0
    #: realtime: the longest session (the service's value is UNCONFIRMED: 20-120 min)
    realtime_max_session_s: float = 1800.0
    #: realtime energy VAD: a 20 ms frame is speech above this RMS (fraction of full scale)
    realtime_vad_rms: float = 0.02


class EmulatorState:
    """Everything the servers read at request time."""

    def __init__(self, config: EmulatorConfig, oss: OssState) -> None:
        self.config = config
        self.oss = oss
        self.oss_endpoint = ""
        self.log = RequestLog(config.log_size)
        self.responder: Responder | None = None
        self.fault_rates: FaultRates | None = None
        self.rate_limit: tuple[int, float] | None = None
        """``(requests, window_s)``: more chat requests than this per API key and model within
        any ``window_s`` seconds get 429 ``limit_requests`` (DashScope's RPS/RPM limits)."""
        self.chat_times: dict[tuple[str, str], deque[float]] = {}
        self.hosted: dict[str, HostedMedia] = {}
        self.routes: dict[str, str] = {}
        self._replies: deque[Reply] = deque()
        self._rt_replies: deque[RealtimeReply] = deque()
        self._rt_faults: deque[RealtimeFault] = deque()
        #: one entry per realtime connection, in order
        self.realtime_log: list[RealtimeLog] = []
        self._faults: deque[tuple[Fault, Endpoint]] = deque()
        self._lock = threading.Lock()

    # --- scripted replies -----------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next_scripted(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    @property
    def pending_replies(self) -> int:
        with self._lock:
            return len(self._replies)

    def chat_allowed(self, api_key: str, model: str) -> bool:
        """Count a chat request against ``rate_limit``; False when it is over the limit."""
        limit = self.rate_limit
        if limit is None:
            return True
        count, window_s = limit
        now = time.monotonic()
        with self._lock:
            times = self.chat_times.setdefault((api_key, model), deque())
            while times and now - times[0] >= window_s:
                times.popleft()
            if len(times) >= count:
                return False
            times.append(now)
            return True

    # --- realtime ---------------------------------------------------------------------------

    def script_realtime(self, *replies: RealtimeReply) -> None:
        with self._lock:
            self._rt_replies.extend(replies)

    def next_realtime(self) -> RealtimeReply | None:
        with self._lock:
            return self._rt_replies.popleft() if self._rt_replies else None

    def peek_realtime(self) -> RealtimeReply | None:
        with self._lock:
            return self._rt_replies[0] if self._rt_replies else None

    def queue_realtime_fault(self, fault: RealtimeFault) -> None:
        with self._lock:
            self._rt_faults.append(fault)

    def next_realtime_fault(self) -> RealtimeFault | None:
        with self._lock:
            return self._rt_faults.popleft() if self._rt_faults else None

    # --- faults ----------------------------------------------------------------------------

    def queue_fault(self, fault: Fault, endpoint: Endpoint) -> None:
        with self._lock:
            self._faults.append((fault, endpoint))

    def next_fault(self, endpoint: Endpoint) -> Fault | None:
        """The first queued fault for ``endpoint`` (removed), else one drawn from the rates."""
        with self._lock:
            for i, (fault, target) in enumerate(self._faults):
                if target in (endpoint, "any"):
                    del self._faults[i]
                    return fault
        rates = self.fault_rates
        if endpoint == "chat" and rates is not None:
            return rates.draw()
        return None

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def reset(self) -> None:
        """Forget scripted replies, queued faults, rates, the responder, hosted media and the log.

        Host routes stay: they are wiring (which host is the OSS server), not per-test state.
        """
        with self._lock:
            self._replies.clear()
            self._faults.clear()
            self._rt_replies.clear()
            self._rt_faults.clear()
        self.realtime_log.clear()
        self.responder = None
        self.fault_rates = None
        self.rate_limit = None
        self.chat_times.clear()
        self.hosted.clear()
        self.log.clear()
