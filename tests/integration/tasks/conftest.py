"""Fixtures for the agent-tool tests: an emulator that also serves text and ASR models, short
generated media under one media root, a loopback HTTP origin, and tasks wired to all of it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import pytest

from qwen_omni.catalog import GENERIC, MODELS

EXTRA_MODELS = {
    # The emulator serves the catalog's Omni models; the tools also use a text model for the
    # final long-video summary and, optionally, a chat ASR model.
    "qwen-plus": replace(GENERIC, name="qwen-plus", audio_output=False),
    "qwen3-asr-flash": replace(GENERIC, name="qwen3-asr-flash", audio_output=False),
}


@pytest.fixture(scope="session")
def tools_emulator():
    from qwen_omni_emulator import Emulator

    with Emulator(models={**MODELS, **EXTRA_MODELS}) as emu:
        yield emu


@pytest.fixture
def emu(tools_emulator):
    tools_emulator.reset()
    yield tools_emulator
    tools_emulator.reset()


@dataclass(frozen=True)
class Media:
    root: Path
    clip: Path  # 3 s video with sound
    silent: Path  # 2 s video without sound
    long: Path  # 45 s video, keyframe every 2 s
    call: Path  # 4 s mp3
    photo: Path  # png
    fake: Path  # text pretending to be a video


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Media:
    from qwen_omni.media.synthetic import make_audio, make_image, make_video

    root = tmp_path_factory.mktemp("media")
    clip = make_video(root / "clip.mp4", seconds=3, width=160, height=90, fps=5)
    silent = make_video(root / "silent.mp4", seconds=2, width=96, height=64, fps=5, audio=False)
    long = make_video(root / "long.mp4", seconds=45, width=96, height=64, fps=4, motion="static")
    call = make_audio(root / "call.mp3", seconds=4, format="mp3")
    photo = make_image(root / "photo.png", width=320, height=200)
    fake = root / "fake.mp4"
    fake.write_text("<html><body>not a video</body></html>")
    return Media(root, clip, silent, long, call, photo, fake)


@pytest.fixture
def policy(media):
    from qwen_omni.tasks import AccessPolicy

    return AccessPolicy(roots=(media.root,))


@pytest.fixture
async def tasks(emu, policy):
    from qwen_omni.tasks import AsyncOmniTasks

    t = AsyncOmniTasks(
        base_url=emu.base_url,
        api_key=emu.api_key,
        policy=policy,
        max_retries=0,
        max_concurrency=8,
    )
    yield t
    await t.aclose()


class _Origin(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}
    hits: ClassVar[list[str]] = []
    posts: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self._answer(self.path)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.posts.append((self.path, dict(self.headers), self.rfile.read(length)))
        self._answer("POST " + self.path)

    def _answer(self, key: str) -> None:
        status, headers, body = self.routes.get(key, (404, {}, b"not found"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@dataclass
class Origin:
    """A loopback HTTP server: ``serve(path, body, status, headers)``, ``url(path)``, ``hits``."""

    base: str
    handler: type[_Origin]

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve(
        self, path: str, body: bytes = b"", status: int = 200, headers: dict[str, str] | None = None
    ) -> str:
        self.handler.routes[path] = (status, headers or {}, body)
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.serve(path, b"", status, {"Location": location})

    @property
    def hits(self) -> list[str]:
        return self.handler.hits

    @property
    def posts(self) -> list[tuple[str, dict[str, str], bytes]]:
        return self.handler.posts


@pytest.fixture(scope="session")
def _origin_server() -> Iterator[tuple[str, type[_Origin]]]:
    handler = type("Handler", (_Origin,), {"routes": {}, "hits": [], "posts": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def origin(_origin_server) -> Origin:
    base, handler = _origin_server
    handler.routes.clear()
    handler.hits.clear()
    handler.posts.clear()
    return Origin(base, handler)
