"""MCP roots and progress totals, with the official MCP client.

Without ``--root`` the server asks the client for its roots at each call (``roots/list``) and
reads local files under them only; with ``--root`` the client's roots do not widen anything.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import mcp.types as types
import pytest
from mcp import Client, StdioServerParameters

from qwen_omni.mcp_server import ProgressScale, build_server
from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks, Progress
from qwen_omni_emulator import Reply

pytestmark = [
    pytest.mark.integration,
    # the SDK marks roots deprecated for the 2026-07-28 protocol; clients still use them
    pytest.mark.filterwarnings("ignore:The roots capability is deprecated"),
]


def roots_callback(*folders: Path):
    """A client's ``roots/list`` handler announcing ``folders`` (changeable via ``.folders``)."""

    async def list_roots(context) -> types.ListRootsResult:
        return types.ListRootsResult(
            roots=[types.Root(uri=f.resolve().as_uri(), name=f.name) for f in list_roots.folders]
        )

    list_roots.folders = list(folders)
    return list_roots


@pytest.fixture
async def rootless(emu):
    """Tasks with no roots of their own (like `qwen-omni mcp` without --root)."""
    t = AsyncOmniTasks(
        base_url=emu.base_url, api_key=emu.api_key, policy=AccessPolicy(), max_retries=0,
        segment_seconds=10,
    )
    yield t
    await t.aclose()


ASK = {"source": "clip.mp4", "question": "What happens?"}


# "auto" speaks the 2026-07-28 protocol (roots asked through InputRequiredResult);
# "legacy" the 2025-11-25 one (a roots/list request from the server mid-call)
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_clients_roots_are_adopted(rootless, media_root, mode):
    server = build_server(rootless)
    async with Client(server, list_roots_callback=roots_callback(media_root), mode=mode) as c:
        ok = await c.call_tool("analyze_video", ASK)
        assert ok.is_error is False, ok.content[0].text
        assert "video: 3.00 s" in ok.content[0].text
        full = {**ASK, "source": str(media_root / "clip.mp4")}
        by_path = await c.call_tool("analyze_video", full)
        assert by_path.is_error is False, by_path.content[0].text
        outside = await c.call_tool("analyze_video", {**ASK, "source": "/etc/passwd"})
        assert outside.is_error is True
        assert "outside the allowed media directories" in outside.content[0].text
        escape = await c.call_tool("analyze_video", {**ASK, "source": "../../etc/passwd"})
        assert escape.is_error is True


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_roots_are_asked_at_each_call(rootless, media_root, tmp_path, mode):
    callback = roots_callback(tmp_path)  # at first a root without the clip
    async with Client(build_server(rootless), list_roots_callback=callback, mode=mode) as c:
        first = await c.call_tool("analyze_video", {**ASK, "source": str(media_root / "clip.mp4")})
        assert first.is_error is True
        callback.folders = [media_root]
        await c.send_roots_list_changed()
        second = await c.call_tool("analyze_video", {**ASK, "source": str(media_root / "clip.mp4")})
        assert second.is_error is False, second.content[0].text


async def test_a_client_without_roots_gets_no_local_files(rootless):
    async with Client(build_server(rootless)) as c:
        refused = await c.call_tool("analyze_video", ASK)
    assert refused.is_error is True
    assert "local files are disabled" in refused.content[0].text


async def test_configured_roots_win_over_the_clients(tasks, media_root, tmp_path):
    # the server was started with --root media_root; a client announcing / gains nothing
    elsewhere = tmp_path / "elsewhere.mp4"
    elsewhere.write_bytes((media_root / "clip.mp4").read_bytes())
    async with Client(build_server(tasks), list_roots_callback=roots_callback(Path("/"))) as c:
        refused = await c.call_tool("analyze_video", {**ASK, "source": str(elsewhere)})
        inside = await c.call_tool("analyze_video", ASK)
    assert refused.is_error is True
    assert inside.is_error is False, inside.content[0].text


async def test_opting_out_of_client_roots(rootless, media_root):
    server = build_server(rootless, client_roots=False)
    async with Client(server, list_roots_callback=roots_callback(media_root)) as c:
        refused = await c.call_tool("analyze_video", ASK)
    assert refused.is_error is True


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_server_without_root_uses_the_clients(emu, media_root, mode):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QWEN_OMNI_TOOL_")}
    env.update(DASHSCOPE_API_KEY=emu.api_key, QWEN_OMNI_BASE_URL=emu.base_url)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "qwen_omni.mcp_server"], env=env
    )
    async with Client(
        params, read_timeout_seconds=60, list_roots_callback=roots_callback(media_root), mode=mode
    ) as c:
        ok = await c.call_tool("analyze_audio", {"source": "call.mp3", "question": "Tone?"})
        refused = await c.call_tool("analyze_audio", {"source": "/etc/shadow", "question": "?"})
    assert ok.is_error is False, ok.content[0].text
    assert refused.is_error is True


async def test_progress_carries_the_total_when_known(tasks, emu):
    emu.responder = lambda request: Reply.text(f"summary from {request.model}")
    seen: list[tuple[float, float | None, str]] = []

    async def on_progress(progress, total, message):
        seen.append((progress, total, message))

    async with Client(build_server(tasks)) as client:
        result = await client.call_tool(
            "summarize_long_video", {"source": "long.mp4"}, progress_callback=on_progress
        )
    assert result.is_error is False, result.content[0].text
    n = len(result.structured_content["segments"])  # 24 s in 10 s segments: 3
    assert n == 3
    values = [p for p, _, _ in seen]
    assert all(a < b for a, b in itertools.pairwise(values)), values  # strictly increasing
    segment_totals = {t for _, t, m in seen if m.startswith("[segments")}
    # stages end to end: prepare (1 unit), then n segments → the segments end at 1 + n (the
    # segments are prepared while earlier ones are analysed: those events keep the total)
    assert segment_totals == {1.0 + n}, seen
    done = [(p, t) for p, t, m in seen if m.startswith("[segments") and "done" in m]
    assert [p for p, _ in done] == [1.0 + k for k in range(1, n + 1)]
    last_progress, last_total, _ = seen[-1]
    assert last_total is not None and last_progress == last_total == 2.0 + n


def test_progress_scale_by_hand():
    scale = ProgressScale()
    events = [
        Progress("prepare", 0, None, "checking"),
        Progress("prepare", 1, 1, "2 segments"),
        Progress("segments", 0, 2, "analysing"),
        Progress("segments", 1, 2, "segment 1 done"),
        Progress("segments", 1, 2, "retrying segment 2"),
        Progress("segments", 2, 2, "segment 2 done"),
        Progress("prepare", 0, 1, "preparing segment 2 (concurrently)"),
        Progress("summary", 0, 1, "summarizing"),
        Progress("summary", 1, 1, "done"),
    ]
    got = [scale(e) for e in events]
    assert got == [
        (0.0, None),
        (1.0, 1.0),
        (1.001, 3.0),
        (2.0, 3.0),
        (2.001, 3.0),
        (3.0, 3.0),
        (3.001, 3.001),  # never past the total
        (3.002, 4.0),
        (4.0, 4.0),
    ]
