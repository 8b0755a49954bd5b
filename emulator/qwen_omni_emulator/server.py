"""Run the emulator: :class:`Emulator` (in-process, for tests) and :func:`serve` (the CLI).

An :class:`Emulator` starts two uvicorn servers on loopback ports in a background thread, one
for the model endpoint (:class:`~qwen_omni_emulator.app.ModelApp`) and one for OSS
(:func:`qwen_omni_emulator.oss.create_oss_app`), and stops them on exit::

    with Emulator() as emu:
        client = openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key)
        emu.script(Reply.text("Hello"))
        ...

It works the same from async tests (``async with Emulator() as emu``): the servers have their
own event loop, and clients talk to them over real sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from qwen_omni_emulator.faults import Fault, FaultRates
from qwen_omni_emulator.log import RequestLog
from qwen_omni_emulator.perception import HostedMedia
from qwen_omni_emulator.replies import Reply, Responder
from qwen_omni_emulator.state import EmulatorConfig, EmulatorState, Endpoint

if TYPE_CHECKING:
    import openai

    from qwen_omni_emulator.oss import OssState
    from qwen_omni_emulator.realtime import RealtimeFault, RealtimeLog, RealtimeReply

__all__ = ["Emulator", "main", "serve"]

_log = logging.getLogger(__name__)

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP; without it Nagle holds every second write for a delayed ACK (~40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class Emulator:
    """A local DashScope (compatible mode + uploads) and OSS, on real loopback sockets.

    Args:
        config: the settings (:class:`~qwen_omni_emulator.state.EmulatorConfig`); keyword
            arguments override its fields, e.g. ``Emulator(api_key=None, latency_s=0.05)``.
        host: interface to bind (loopback by default).
        port, oss_port: ports (0: free ports chosen by the OS).
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        oss_port: int = 0,
        **overrides: Any,
    ) -> None:
        known = {f.name for f in fields(EmulatorConfig)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown Emulator settings: {sorted(unknown)}")
        self.config = replace(config or EmulatorConfig(), **overrides)
        self.host = host
        self._ports = (port, oss_port)
        self._state: EmulatorState | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[Any] = []
        self._error: BaseException | None = None
        self.port = 0
        self.oss_port = 0

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind the ports and start serving; returns when both servers accept connections."""
        if self._thread is not None:
            return self
        import uvicorn

        from qwen_omni_emulator.app import ModelApp
        from qwen_omni_emulator.oss import OssState, create_oss_app

        model_sock = _bind(self.host, self._ports[0])
        try:
            oss_sock = _bind(self.host, self._ports[1])
        except OSError:
            model_sock.close()
            raise
        self.port = model_sock.getsockname()[1]
        self.oss_port = oss_sock.getsockname()[1]
        state = EmulatorState(self.config, OssState())
        state.oss_endpoint = self.oss_endpoint
        self._state = state
        oss_app = create_oss_app(
            state.oss,
            latency_s=self.config.oss_latency_s,
            bandwidth_bps=self.config.oss_bandwidth_bps,
        )
        common: dict[str, Any] = {
            "log_config": None,
            "log_level": "warning",
            "access_log": False,
            "lifespan": "on",
            "http": "h11",
            # the realtime route; the sans-I/O implementation runs on the locked websockets
            "ws": "websockets-sansio",
            "loop": "asyncio",
            "timeout_graceful_shutdown": 2,
            "timeout_keep_alive": 30,
        }
        self._servers = [
            uvicorn.Server(uvicorn.Config(ModelApp(state), **common)),
            uvicorn.Server(uvicorn.Config(oss_app, **common)),
        ]
        socks = [model_sock, oss_sock]

        async def serve_all() -> None:
            await asyncio.gather(
                *(s.serve(sockets=[k]) for s, k in zip(self._servers, socks, strict=True))
            )

        def run() -> None:
            try:
                asyncio.run(serve_all())
            except BaseException as exc:  # reported by start() and logged, never swallowed
                self._error = exc
                _log.error("the emulator's servers stopped on an error", exc_info=exc)
            finally:
                for sock in socks:
                    sock.close()

        self._thread = threading.Thread(target=run, name="qwen-omni-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not all(s.started for s in self._servers):
            if self._error is not None or not self._thread.is_alive():
                error = self._error
                self.stop()
                raise RuntimeError(f"the emulator failed to start: {error!r}") from error
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start within 10 s")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop both servers (in-flight streams get 2 s to finish) and join the thread."""
        thread = self._thread
        if thread is None:
            return
        for server in self._servers:
            server.should_exit = True
        thread.join(_STOP_TIMEOUT_S)
        if thread.is_alive():
            for server in self._servers:
                server.force_exit = True
            thread.join(_STOP_TIMEOUT_S)
        self._thread = None
        self._servers = []
        if self._state is not None:
            self._state.oss.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Emulator:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    # --- addresses -----------------------------------------------------------------------

    @property
    def state(self) -> EmulatorState:
        if self._state is None:
            raise RuntimeError("the emulator is not started: use `with Emulator() as emu:`")
        return self._state

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>`` of the model endpoint."""
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``…/compatible-mode/v1``)."""
        return f"{self.origin}/compatible-mode/v1"

    @property
    def api_base_url(self) -> str:
        """The DashScope-native base URL (``…/api/v1``), for getPolicy."""
        return f"{self.origin}/api/v1"

    @property
    def oss_endpoint(self) -> str:
        """The OSS server's endpoint (``http://127.0.0.1:<oss_port>``)."""
        return f"http://{_url_host(self.host)}:{self.oss_port}"

    @property
    def api_key(self) -> str:
        """A key the emulator accepts (the configured one, or ``emu-key`` when any is accepted)."""
        return self.config.api_key or "emu-key"

    @property
    def connection(self) -> dict[str, str]:
        """Client keyword arguments for this emulator: ``OmniClient(**emu.connection)``."""
        return {"base_url": self.base_url, "api_key": self.api_key}

    @property
    def oss(self) -> OssState:
        """The OSS server's state (buckets, credentials, temporary uploads)."""
        return self.state.oss

    @property
    def requests(self) -> RequestLog:
        """Every request received since the last :meth:`reset`, secrets masked."""
        return self.state.log

    # --- scripting -----------------------------------------------------------------------

    def script(self, *replies: Reply) -> Emulator:
        """Queue replies; each chat request (that passes validation) takes the next one."""
        self.state.script(*replies)
        return self

    @property
    def pending_replies(self) -> int:
        """Scripted replies not used yet."""
        return self.state.pending_replies

    @property
    def responder(self) -> Responder | None:
        """Called when the script is empty: ``fn(ChatRequest) -> Reply | None``."""
        return self.state.responder

    @responder.setter
    def responder(self, fn: Responder | None) -> None:
        self.state.responder = fn

    def script_realtime(self, *replies: RealtimeReply) -> Emulator:
        """Queue realtime replies; each ``response.create`` (or VAD turn) takes the next one."""
        self.state.script_realtime(*replies)
        return self

    def fail_realtime(self, fault: RealtimeFault) -> Emulator:
        """Apply ``fault`` to the next realtime reply (drop mid-reply, cancel without done)."""
        self.state.queue_realtime_fault(fault)
        return self

    @property
    def realtime_url(self) -> str:
        """``ws://127.0.0.1:<port>/api-ws/v1/realtime`` (add ``?model=…``)."""
        return f"ws://{_url_host(self.host)}:{self.port}/api-ws/v1/realtime"

    @property
    def realtime_log(self) -> list[RealtimeLog]:
        """One :class:`~qwen_omni_emulator.realtime.RealtimeLog` per realtime connection."""
        return self.state.realtime_log

    def fail_next(self, fault: Fault, *, times: int = 1, endpoint: Endpoint = "chat") -> Emulator:
        """Inject ``fault`` into the next ``times`` requests to ``endpoint``: ``chat``,
        ``uploads`` or ``any``."""
        for _ in range(times):
            self.state.queue_fault(fault, endpoint)
        return self

    @property
    def pending_faults(self) -> int:
        return self.state.pending_faults

    @property
    def fault_rates(self) -> FaultRates | None:
        """Random faults per chat request (seeded); None disables them."""
        return self.state.fault_rates

    @fault_rates.setter
    def fault_rates(self, rates: FaultRates | None) -> None:
        self.state.fault_rates = rates

    def host_media(self, url: str, data: bytes, *, status: int = 200, delay: float = 0.0) -> str:
        """Serve ``data`` at ``url`` (any host, e.g. ``https://cdn.example.com/cat.png``) to the
        model endpoint, without a socket. ``status`` and ``delay`` simulate a failing or slow
        origin. Returns ``url``."""
        self.state.hosted[url] = HostedMedia(data=data, status=status, delay=delay)
        return url

    def route_host(self, host: str, base_url: str | None = None) -> None:
        """Send the model endpoint's fetches for ``host`` to ``base_url`` (default: the OSS server),
        keeping the path and query, with ``Host: <host>``: signed URLs on real OSS host names
        are then fetched from the emulated OSS."""
        self.state.routes[host.lower()] = base_url or self.oss_endpoint

    def reset(self) -> None:
        """Clear scripted replies, faults, rates, the responder, hosted media and the log."""
        self.state.reset()

    # --- clients -------------------------------------------------------------------------

    def client(self, **kwargs: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` client for this emulator (no retries unless asked)."""
        import openai

        kwargs.setdefault("max_retries", 0)
        return openai.OpenAI(base_url=self.base_url, api_key=self.api_key, **kwargs)

    def async_client(self, **kwargs: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` client for this emulator (no retries unless asked)."""
        import openai

        kwargs.setdefault("max_retries", 0)
        return openai.AsyncOpenAI(base_url=self.base_url, api_key=self.api_key, **kwargs)

    def __repr__(self) -> str:
        running = "running" if self._thread is not None else "stopped"
        return f"<Emulator {running} {self.base_url if self.port else ''}>"


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    oss_port: int = 0,
    config: EmulatorConfig | None = None,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
    **overrides: Any,
) -> None:
    """Run the emulator until interrupted (Ctrl+C) or until ``stop`` is set; prints how to use it.

    This is what ``qwen-omni emulator`` calls.
    """
    stop = stop or threading.Event()
    with Emulator(config, host=host, port=port, oss_port=oss_port, **overrides) as emu:
        key = (
            emu.config.api_key
            if emu.config.api_key is not None
            else "any non-empty key (e.g. emu-key)"
        )
        lines = [
            "qwen-omni emulator running",
            f"  base_url      {emu.base_url}",
            f"  api_base_url  {emu.api_base_url}",
            f"  oss_endpoint  {emu.oss_endpoint}",
            f"  api_key       {key}",
            "Press Ctrl+C to stop.",
        ]
        print("\n".join(lines), flush=True)  # noqa: T201 - the CLI's output
        if ready is not None:
            ready.set()
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):
                pass


def main(argv: list[str] | None = None) -> int:
    """``python -m qwen_omni_emulator``: parse the command line and :func:`serve`."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="qwen-omni emulator",
        description="Local DashScope (Qwen-Omni) and OSS emulator on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="model endpoint port (0: free)")
    parser.add_argument("--oss-port", type=int, default=0, help="OSS port (0: free)")
    parser.add_argument("--api-key", default="emu-key", help="accepted key (default emu-key)")
    parser.add_argument("--any-key", action="store_true", help="accept any non-empty key")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per response")
    parser.add_argument("--bandwidth", type=float, default=None, help="bytes/s per response")
    args = parser.parse_args(argv)
    serve(
        args.host,
        args.port,
        oss_port=args.oss_port,
        api_key=None if args.any_key else args.api_key,
        latency_s=args.latency,
        bandwidth_bps=args.bandwidth,
    )
    return 0
