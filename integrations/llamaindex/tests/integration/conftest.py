"""Integration tests: the LlamaIndex package against the local emulator over loopback.

Only loopback traffic: the emulator serves the model endpoint, receives and probes media, and
hosts any "remote" URL a test needs (``emulator.host_media``). Media is generated per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_socket

# ``qwen_omni_emulator`` (a session emulator, reset per test) comes from the pytest plugin that
# the qwen-omni-emulator distribution registers.
pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _loopback_only():
    pytest_socket.socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small generated media: a 3 s video with sound, a 2 s WAV and a PNG."""
    from qwen_omni.media.synthetic import make_audio, make_image, make_video

    root = tmp_path_factory.mktemp("media")
    return {
        "video": make_video(root / "clip.mp4", seconds=3, width=160, height=120, fps=10),
        "audio": make_audio(root / "tone.wav", seconds=2),
        "image": make_image(root / "picture.png", width=64, height=48),
    }


@pytest.fixture
def llm_factory(qwen_omni_emulator):
    from llama_index.llms.qwen_omni import QwenOmni

    def make(**kwargs):
        kwargs.setdefault("base_url", qwen_omni_emulator.base_url)
        kwargs.setdefault("api_key", qwen_omni_emulator.api_key)
        return QwenOmni(**kwargs)

    return make


@pytest.fixture
def llm(llm_factory):
    return llm_factory()


COLOURS = {"red": (220, 30, 30), "green": (30, 200, 60), "blue": (30, 60, 220)}


def make_colour_video(path: Path, colours: list[str], seconds_each: float, fps: int = 10) -> Path:
    """A video whose consecutive stretches are solid colours (a keyframe every second)."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.gop_size = fps
        for name in colours:
            frame_rgb = np.empty((48, 64, 3), dtype=np.uint8)
            frame_rgb[:] = COLOURS[name]
            for _ in range(int(seconds_each * fps)):
                frame = av.VideoFrame.from_ndarray(frame_rgb, format="rgb24")
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def seen_colour(data_uri: str) -> str:
    """The colour name closest to the middle frame of a ``data:`` video (what a model 'sees')."""
    import base64
    import io

    import av
    import numpy as np

    raw = base64.b64decode(data_uri.split(",", 1)[1])
    with av.open(io.BytesIO(raw)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    mean = frames[len(frames) // 2].reshape(-1, 3).mean(axis=0)
    return min(COLOURS, key=lambda n: float(np.abs(mean - np.array(COLOURS[n])).sum()))


@pytest.fixture
def colour_video():
    """``make(path, colours, seconds_each)``: a video of solid-colour stretches."""
    return make_colour_video


@pytest.fixture
def colour_vision(qwen_omni_emulator):
    """Make the emulator 'see' colours: a video request is answered with its dominant colour."""
    from qwen_omni_emulator import Reply

    def respond(request):
        videos = [m for m in request.media if m.kind == "video"]
        if not videos or request.tools:
            return None
        colour = seen_colour(videos[0].url)
        return Reply.text(f"The screen is filled with a solid {colour} colour. Nothing is said.")

    qwen_omni_emulator.responder = respond
    return respond
