"""Shared media and helpers for the emulator's integration tests.

Media is generated once per session (``qwen_omni.media.synthetic``) and kept small so the whole
suite stays fast.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from qwen_omni.media.synthetic import make_audio, make_image, make_video

MODEL = "qwen3-omni-flash"


@dataclass(frozen=True)
class Media:
    path: Path
    data: bytes

    def data_uri(self, mime: str = "") -> str:
        """``data:<mime>;base64,…`` (the docs' ``data:;base64,`` when mime is empty)."""
        return f"data:{mime};base64,{base64.b64encode(self.data).decode()}"


def _media(path: Path) -> Media:
    return Media(path, path.read_bytes())


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emulator-media")


@pytest.fixture(scope="session")
def png(media_dir: Path) -> Media:
    return _media(make_image(media_dir / "cat.png", width=640, height=480, format="png"))


@pytest.fixture(scope="session")
def jpeg_frames(media_dir: Path) -> list[Media]:
    return [
        _media(make_image(media_dir / f"frame{i}.jpg", width=320, height=240, format="jpeg"))
        for i in range(4)
    ]


@pytest.fixture(scope="session")
def wav(media_dir: Path) -> Media:
    return _media(make_audio(media_dir / "tone.wav", seconds=2.0, format="wav"))


@pytest.fixture(scope="session")
def mp4(media_dir: Path) -> Media:
    return _media(
        make_video(media_dir / "clip.mp4", seconds=4.0, width=320, height=240, fps=10, audio=True)
    )


@pytest.fixture(scope="session")
def mp4_silent(media_dir: Path) -> Media:
    return _media(
        make_video(
            media_dir / "silent.mp4", seconds=3.0, width=320, height=240, fps=10, audio=False
        )
    )


def user(*parts: dict[str, Any] | str) -> dict[str, Any]:
    """A user message; strings become text parts."""
    content = [{"type": "text", "text": p} if isinstance(p, str) else p for p in parts]
    return {"role": "user", "content": content}


def image_part(url: str, **knobs: Any) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}, **knobs}


def audio_part(data: str, fmt: str = "wav") -> dict[str, Any]:
    return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}


def video_part(url: str, **knobs: Any) -> dict[str, Any]:
    return {"type": "video_url", "video_url": {"url": url}, **knobs}


@dataclass
class RawStream:
    """A streamed answer read with raw httpx: every SSE ``data:`` payload, in order."""

    status: int
    headers: httpx.Headers
    events: list[str] = field(default_factory=list)

    @property
    def chunks(self) -> list[dict[str, Any]]:
        return [json.loads(e) for e in self.events if e != "[DONE]"]

    @property
    def choice_chunks(self) -> list[dict[str, Any]]:
        return [c for c in self.chunks if c["choices"]]

    @property
    def deltas(self) -> list[dict[str, Any]]:
        return [c["choices"][0]["delta"] for c in self.choice_chunks]

    @property
    def text(self) -> str:
        return "".join(d.get("content") or "" for d in self.deltas)

    @property
    def usage(self) -> dict[str, Any] | None:
        for chunk in self.chunks:
            if not chunk["choices"]:
                return chunk["usage"]
        return None


_clients: list[httpx.Client] = []


def http() -> httpx.Client:
    """One shared httpx client (creating one per call costs an SSL context, ~15 ms)."""
    if not _clients:
        _clients.append(httpx.Client(timeout=30, trust_env=False))
    return _clients[0]


def raw_stream(emu: Any, body: dict[str, Any], headers: dict[str, str] | None = None) -> RawStream:
    """POST a chat request with httpx and collect the SSE events (or the error body)."""
    all_headers = {"Authorization": f"Bearer {emu.api_key}", **(headers or {})}
    body = {"model": MODEL, "stream": True, **body}
    with http().stream(
        "POST", f"{emu.base_url}/chat/completions", json=body, headers=all_headers
    ) as response:
        result = RawStream(response.status_code, response.headers)
        if response.status_code != 200:
            response.read()
            result.events.append(response.text)
            return result
        for line in response.iter_lines():
            if line.startswith("data: "):
                result.events.append(line[len("data: ") :])
    return result


def post_json(
    emu: Any, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    """POST a chat body (no defaults added) and return the whole response."""
    all_headers = {"Authorization": f"Bearer {emu.api_key}", **(headers or {})}
    return http().post(f"{emu.base_url}/chat/completions", json=body, headers=all_headers)


def error_of(
    emu: Any, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """(status, decoded body) of a streaming request that the emulator refuses."""
    response = post_json(emu, {"model": MODEL, "stream": True, **body}, headers)
    assert response.status_code != 200, response.text[:300]
    return response.status_code, response.json()
