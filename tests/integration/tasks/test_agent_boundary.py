"""The agent boundary (issue 12): no TOCTOU on local files, DNS pinned, a fetch deadline."""

from __future__ import annotations

import asyncio
import http.server
import os
import threading
import time
from pathlib import Path

import pytest

from qwen_omni.tasks import AccessPolicy
from qwen_omni.tasks.fetch import download, fetch_head
from qwen_omni.tasks.policy import AccessRefused

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56


class _Recorder(http.server.BaseHTTPRequestHandler):
    hosts: list[str] = []  # noqa: RUF012 - per-class record, reset by the fixture

    def do_GET(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        if self.path.startswith("/redirect"):
            target = self.path.split("to=", 1)[1]
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/drip"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                return
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def recorder():
    handler = type("H", (_Recorder,), {"hosts": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], handler
    server.shutdown()
    server.server_close()


def _pinning_policy(calls: list[str], **kw) -> AccessPolicy:
    def resolver(host: str) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    return AccessPolicy(resolver=resolver, allow_private_hosts=(".pinned.test",), **kw)


def test_the_connection_goes_to_the_checked_address_with_host_kept(recorder):
    port, handler = recorder
    calls: list[str] = []
    # "media.pinned.test" exists in no DNS: the fetch only works if it connects to the address
    # the policy checked, instead of resolving the name again (the rebinding window).
    head = asyncio.run(fetch_head(f"http://media.pinned.test:{port}/a.png", _pinning_policy(calls)))
    assert head.head.startswith(b"\x89PNG")
    assert handler.hosts == [f"media.pinned.test:{port}"]
    assert calls == ["media.pinned.test"]  # resolved once, by the check


def test_every_redirect_hop_is_resolved_checked_and_pinned(recorder):
    port, handler = recorder
    calls: list[str] = []
    url = f"http://a.pinned.test:{port}/redirect?to=http://b.pinned.test:{port}/b.png"
    head = asyncio.run(fetch_head(url, _pinning_policy(calls)))
    assert head.redirects == 1 and head.url == f"http://b.pinned.test:{port}/b.png"
    assert handler.hosts == [f"a.pinned.test:{port}", f"b.pinned.test:{port}"]
    assert calls == ["a.pinned.test", "b.pinned.test"]


def test_a_redirect_to_a_name_that_rebinds_to_private_is_refused(recorder):
    port, handler = recorder

    def resolver(host: str) -> list[str]:
        return ["127.0.0.1"] if host == "a.pinned.test" else ["169.254.169.254"]

    policy = AccessPolicy(resolver=resolver, allow_private_hosts=("a.pinned.test",))
    url = f"http://a.pinned.test:{port}/redirect?to=http://evil.example:{port}/x.png"
    with pytest.raises(AccessRefused) as info:
        asyncio.run(fetch_head(url, policy))
    assert info.value.reason == "redirect" and "169.254.169.254" in str(info.value)
    assert handler.hosts == [f"a.pinned.test:{port}"]


def test_a_dripping_server_cannot_hold_a_download(recorder, tmp_path):
    port, _ = recorder
    calls: list[str] = []
    policy = _pinning_policy(calls, fetch_deadline_s=1.0)
    start = time.monotonic()
    with pytest.raises(AccessRefused, match="longer than 1 s"):
        asyncio.run(download(f"http://m.pinned.test:{port}/drip", tmp_path / "x", policy))
    assert time.monotonic() - start < 3


def test_a_racing_symlink_swapper_never_gets_an_outside_file_through(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "inside.png").write_bytes(b"INSIDE" * 100)
    (outside / "secret.png").write_bytes(b"SECRET" * 100)
    link = root / "media.png"
    os.symlink(root / "inside.png", link)
    policy = AccessPolicy(roots=(root,))
    stop = threading.Event()

    def swapper() -> None:
        targets = [outside / "secret.png", root / "inside.png"]
        i = 0
        while not stop.is_set():
            tmp = root / f".swap{i % 2}"
            try:
                os.symlink(targets[i % 2], tmp)
                os.replace(tmp, link)
            except OSError:
                pass
            i += 1

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    leaked = taken = refused = 0
    try:
        for _ in range(300):
            try:
                snap = policy.open_local("media.png")
            except AccessRefused:
                refused += 1
                continue
            data = snap.path.read_bytes()
            snap.path.unlink()
            taken += 1
            leaked += data.startswith(b"SECRET")
    finally:
        stop.set()
        thread.join()
    assert leaked == 0, f"{leaked} of {taken} snapshots held the outside file"
    assert taken > 0 and refused > 0  # both sides of the race were exercised


def test_a_snapshot_does_not_change_when_the_path_is_swapped_after_the_check(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.png").write_bytes(b"FIRST")
    policy = AccessPolicy(roots=(root,))
    snap = policy.open_local("a.png")
    (root / "a.png").write_bytes(b"SECOND")
    assert snap.path.read_bytes() == b"FIRST" and snap.label == "a.png"
    assert Path(snap.real_path) == (root / "a.png").resolve()


def _lying_mkv(path: Path, factor: float = 200.0) -> Path:
    """A 3 s Matroska clip whose header claims ``factor`` times its real duration."""
    import struct

    from qwen_omni.media.synthetic import make_video

    make_video(path, seconds=3, width=96, height=64, fps=5, preset="ultrafast")
    data = bytearray(path.read_bytes())
    i = data.find(b"\x44\x89\x88")  # Segment Info › Duration, an 8-byte float
    assert i > 0
    (old,) = struct.unpack(">d", data[i + 3 : i + 11])
    data[i + 3 : i + 11] = struct.pack(">d", old * factor)
    path.write_bytes(data)
    return path


async def test_a_header_that_lies_about_its_duration_does_not_crash_the_summary(emu, tmp_path):
    from qwen_omni.media.probe import probe
    from qwen_omni.tasks import AsyncOmniTasks, SummaryResult, ToolRefusal

    root = tmp_path / "root"
    root.mkdir()
    clip = _lying_mkv(root / "lie.mkv")
    assert probe(clip).duration_s > 500  # the header lies: the clip holds 3 s
    policy = AccessPolicy(roots=(root,))
    async with AsyncOmniTasks(
        base_url=emu.base_url, api_key=emu.api_key, policy=policy, max_retries=0
    ) as tasks:
        result = await tasks.run_tool("summarize_long_video", {"source": "lie.mkv"})
    assert isinstance(result, (SummaryResult, ToolRefusal)), repr(result)
    if isinstance(result, ToolRefusal):
        assert result.kind in ("media", "service_error")
