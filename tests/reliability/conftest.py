"""Reliability suite (issue #9): load with faults, fault recovery, hostile input, secrets.

Everything here talks to the in-process emulator over 127.0.0.1 (marked ``integration`` per
module) and is bounded in time: the whole folder runs in well under three minutes on two cores.

Shared pieces:

- ``qwen_omni_emulator`` (reset per test) comes from the plugin that the qwen-omni-emulator
  distribution registers (``qwen_omni_emulator.pytest_plugin``);
- :class:`TcpCutter`: a loopback TCP proxy that can drop every connection after N bytes went
  upstream, used to interrupt OSS uploads in the middle of a part (the emulator's OSS server
  has no fault injection of its own);
- ``oss_bucket``: a private bucket on the emulator's OSS server, emptied for each test.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest

__all__ = ["OSS_AK", "OSS_BUCKET", "OSS_SK", "TcpCutter"]

#: The credentials and bucket the emulator's OSS server accepts (``OssState`` defaults).
OSS_AK = "emu-oss-ak"
OSS_SK = "emu-oss-sk"
OSS_BUCKET = "reliability"
OSS_REGION = "cn-beijing"


class TcpCutter:
    """A TCP proxy on 127.0.0.1 in front of ``upstream`` (``host:port``).

    ``cut_after(n)`` arms it: once ``n`` more bytes have gone client → upstream, every open
    connection is aborted (RST), as a flaky network would; connections opened later work
    again (the outage is over). ``bytes_up`` counts what went upstream.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.bytes_up = 0
        self.cuts = 0
        self._budget: int | None = None
        self._transports: set[asyncio.Transport] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tcp-cutter", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut_after(self, n_bytes: int) -> None:
        self._loop.call_soon_threadsafe(self._arm, n_bytes)

    def _arm(self, n_bytes: int) -> None:
        self._budget = n_bytes

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def _cut_all(self) -> None:
        self._budget = None
        self.cuts += 1
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer.transport, up_writer.transport}
        self._transports |= pair

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, up: bool) -> None:
            try:
                while data := await src.read(16 * 1024):
                    if up and self._budget is not None:
                        if len(data) >= self._budget:
                            # Forward part of the chunk, then drop everything mid-body.
                            dst.write(data[: self._budget])
                            self.bytes_up += self._budget
                            await dst.drain()
                            self._cut_all()
                            return
                        self._budget -= len(data)
                    if up:
                        self.bytes_up += len(data)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.close()

        try:
            await asyncio.gather(
                pump(reader, up_writer, True), pump(up_reader, writer, False)
            )
        finally:
            self._transports -= pair

    def __enter__(self) -> TcpCutter:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("the TCP cutter did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        def stop() -> None:
            for transport in list(self._transports):
                transport.abort()
            if self._server is not None:
                self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()


@pytest.fixture
def oss_bucket(qwen_omni_emulator) -> str:
    """A private bucket on the emulator's OSS server (created once, emptied per test)."""
    state = qwen_omni_emulator.oss
    state.create_bucket(OSS_BUCKET)
    for key in state.object_keys(OSS_BUCKET):
        state.delete_object(OSS_BUCKET, key)
    state.requests.clear()
    state.time_offset = 0.0
    return OSS_BUCKET
