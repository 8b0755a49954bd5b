"""Hostile input: one table, every public surface, each row a typed and actionable error.

A row is (surface, input, expected outcome, needles). The outcome is an exception of a given
type (client, media, delivery, integrations), a ``ToolRefusal`` of a given kind (the agent
tools), an MCP error result, or a CLI exit code. The needles are substrings (case-insensitive;
a tuple means "any of") that the message must contain: the thing that is wrong and the fix.
No row may surface an exception from deep inside (``KeyError``, ``AttributeError``,
``IndexError``, ``struct.error``, ``av.FFmpegError``, ``RecursionError``, ``UnicodeError``…)
or the adapter's "unexpected …" fallback.

The inputs are made here: corrupt, truncated and empty files, pictures of absurd shapes
(``qwen_omni.media.synthetic``), a PNG header that declares 900 megapixels, traversal, symlink,
device and credential paths, private and metadata addresses (also through DNS, patched), OSS
``-internal`` endpoints, expired signed URLs, non-UTF-8 text, wrong types and oversized JSON
(from the agent and from the model).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import shutil
import socket
import struct
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from qwen_omni import (
    AsyncOmniClient,
    Message,
    OmniClient,
    audio,
    image,
    text,
    video,
    video_frames,
)
from qwen_omni.errors import (
    ConfigurationError,
    MediaNotFetchableError,
    MediaNotFoundError,
    MediaTooLargeError,
    MediaTooLongError,
    QwenOmniError,
    RequestValidationError,
    UnsupportedMediaError,
)

pytestmark = pytest.mark.integration

#: Exceptions that mean "a crash from deep inside", never an answer to bad input.
_DEEP: tuple[type[BaseException], ...] = (
    KeyError,
    AttributeError,
    IndexError,
    struct.error,
    RecursionError,
    UnicodeError,
    AssertionError,
    NameError,
    ZeroDivisionError,
)
try:  # PyAV's error base (a media extra dependency)
    import av

    _DEEP = (*_DEEP, av.FFmpegError)
except ImportError:  # pragma: no cover
    pass

FAKE_KEY = "sk-hostile-input-test"
#: the agent policy's byte cap in these rows
TOOL_MAX_BYTES = 2 * 1024 * 1024


# --- expectations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raises:
    """The action raises one of ``types``."""

    types: type[BaseException] | tuple[type[BaseException], ...]


@dataclass(frozen=True)
class Refused:
    """A tool answers with a ``ToolRefusal`` of this kind (and reason, when given)."""

    kind: str
    reason: str | None = None


@dataclass(frozen=True)
class McpError:
    """An MCP ``tools/call`` answers ``is_error=True``."""


@dataclass(frozen=True)
class AgentMessage:
    """A framework tool answers the agent with a refusal message (LangChain: an error
    ``ToolMessage``; LlamaIndex: a ``ToolOutput`` whose text is the refusal)."""


@dataclass(frozen=True)
class Exits:
    """The CLI exits with ``code`` (without an unhandled exception)."""

    code: int


@dataclass(frozen=True)
class Row:
    id: str
    surface: str
    action: Callable[[H], Any]
    expect: Raises | Refused | McpError | AgentMessage | Exits
    needles: tuple[str | tuple[str, ...], ...] = ()


# --- the media the rows use --------------------------------------------------------------------


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width``×``height`` (the pixels are never there)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


@dataclass
class Files:
    root: Path  # the agent tools' media root
    media: Path  # files for the media, client and CLI rows
    outside: Path  # a directory outside the root

    def __getitem__(self, name: str) -> Path:
        return self.media / name


def _noise_png(path, *, width: int, height: int) -> None:
    """A valid PNG that does not compress (random pixels), so its size is about w×h×3."""
    import numpy as np
    from PIL import Image as PILImage

    pixels = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    PILImage.fromarray(pixels).save(path, compress_level=1)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Files:
    from qwen_omni.media.synthetic import make_audio, make_image, make_video

    base = tmp_path_factory.mktemp("hostile")
    root, media, outside = base / "root", base / "media", base / "outside"
    for d in (root, media, outside):
        d.mkdir()
    clip = make_video(media / "clip.mp4", seconds=1, width=64, height=48, fps=10,
                      preset="ultrafast")  # fmt: skip
    data = clip.read_bytes()
    (media / "empty.mp4").write_bytes(b"")
    (media / "random.mp4").write_bytes(os.urandom(4096))
    (media / "trunc.mp4").write_bytes(data[: len(data) // 2])
    (media / "head.mp4").write_bytes(data[:64])
    (media / "text.png").write_text("this is not an image, it is a note\n")
    pic = make_image(media / "pic.png", width=64, height=48)
    png = pic.read_bytes()
    (media / "trunc.png").write_bytes(png[: len(png) // 2])
    make_image(media / "tall.png", width=1, height=20_000)
    make_image(media / "wide.png", width=20_000, height=20)
    make_image(media / "tiny.png", width=4, height=4)
    _noise_png(media / "noise.png", width=1800, height=1500)  # valid, ~8 MB: over the inline cap
    (media / "bomb.png").write_bytes(_png_header(30_000, 30_000))
    (media / "mid-bomb.png").write_bytes(_png_header(13_000, 13_000))  # under Pillow's error
    make_audio(media / "voice.m4a", seconds=1, format="m4a")
    make_audio(media / "call.wav", seconds=1)

    shutil.copy(clip, root / "clip.mp4")
    shutil.copy(pic, root / "pic.png")
    (root / "mid-bomb.png").write_bytes(_png_header(13_000, 13_000))
    shutil.copy(media / "call.wav", root / "call.wav")
    shutil.copy(clip, root / ".hidden.mp4")
    (root / "big.mp4").write_bytes(b"\0" * (TOOL_MAX_BYTES + 1))
    (root / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (root / "broken.mp4").write_bytes(data[: len(data) // 3])
    (root / "notes.mp4").write_text("meeting notes, not a video\n")
    os.mkfifo(root / "pipe.mp4")
    shutil.copy(clip, outside / "secret.mp4")
    os.symlink(outside / "secret.mp4", root / "escape.mp4")
    return Files(root, media, outside)


# --- the harness -------------------------------------------------------------------------------


@dataclass
class H:
    files: Files
    emu: Any
    monkeypatch: pytest.MonkeyPatch
    _closers: list[Callable[[], Any]] = field(default_factory=list)

    # clients
    def dashscope(self, **kw: Any) -> OmniClient:
        """A client for the real endpoint: every row using it fails before the network."""
        client = OmniClient(api_key=FAKE_KEY, max_retries=0, **kw)
        self._closers.append(client.close)
        return client

    def local(self, **kw: Any) -> OmniClient:
        """A client for the emulator (for rows whose failure needs a request built)."""
        client = OmniClient(base_url=self.emu.base_url, api_key=self.emu.api_key,
                            max_retries=0, **kw)  # fmt: skip
        self._closers.append(client.close)
        return client

    # agent tools
    def _tasks(self) -> Any:
        from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks

        policy = AccessPolicy(roots=(self.files.root,), max_bytes=TOOL_MAX_BYTES)
        return AsyncOmniTasks(base_url=self.emu.base_url, api_key=self.emu.api_key,
                              max_retries=0, policy=policy)  # fmt: skip

    def tool(self, name: str, arguments: Any) -> Any:
        async def run() -> Any:
            async with self._tasks() as tasks:
                return await tasks.run_tool(name, arguments)

        return asyncio.run(run())

    def mcp(self, name: str, arguments: dict[str, Any]) -> Any:
        from mcp import Client

        from qwen_omni.mcp_server import build_server

        async def run() -> Any:
            async with self._tasks() as tasks, Client(build_server(tasks)) as client:
                return await client.call_tool(name, arguments)

        return asyncio.run(run())

    def cli(self, *args: str, key: str | None = None) -> Any:
        from typer.testing import CliRunner

        from qwen_omni.cli import app

        env = {"DASHSCOPE_API_KEY": key, "QWEN_OMNI_BASE_URL": None}
        return CliRunner().invoke(app, list(args), env=env)

    def model_replies(self, text_: str, times: int = 2) -> None:
        from qwen_omni_emulator import Reply

        self.emu.script(*[Reply.text(text_, chunk_chars=65_536) for _ in range(times)])

    def resolve_to(self, host: str, address: str) -> None:
        """Patch DNS: ``host`` resolves to ``address``; everything else as usual."""
        real = socket.getaddrinfo

        def fake(name: Any, *args: Any, **kw: Any) -> Any:
            if name == host:
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))]
            return real(name, *args, **kw)

        self.monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.fixture
def h(files, qwen_omni_emulator, monkeypatch):
    for name in ("DASHSCOPE_API_KEY", "QWEN_OMNI_BASE_URL", "OSS_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    harness = H(files, qwen_omni_emulator, monkeypatch)
    yield harness
    for close in harness._closers:
        close()


# --- the rows ----------------------------------------------------------------------------------

URL = "https://cdn.example.com/media"
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def _huge_mentions() -> str:
    mentions = [
        {"topic": f"topic {i}", "mentioned": True, "evidence": "blah " * 20, "time_s": 1.0,
         "confidence": 0.5}
        for i in range(20_000)
    ]  # fmt: skip
    return json.dumps({"mentions": mentions})


def _huge_evidence() -> str:
    mention = {"topic": "pricing", "mentioned": True, "evidence": "x" * 3_000_000,
               "time_s": 1.0, "confidence": 0.9}  # fmt: skip
    return json.dumps({"mentions": [mention]})


def _long_video_check(h: H) -> None:
    from qwen_omni.media import check_media, probe

    info = probe(h.files["clip.mp4"])
    check_media(dataclasses.replace(info, duration_s=400.0), "qwen3-omni-flash")


def _media(fn_name: str, file: str, **kw: Any) -> Callable[[H], Any]:
    def action(h: H) -> Any:
        import qwen_omni.media as media

        fn = getattr(media, fn_name)
        if fn_name == "check_media":
            return fn(media.probe(h.files[file]), "qwen3-omni-flash")
        return fn(h.files[file], **kw)

    return action


def _ask_url(kind: Callable[[str], Any], url: str) -> Callable[[H], Any]:
    return lambda h: h.dashscope().complete([kind(url), "What is this?"])


def _lc_invoke(content: Any, *, local: bool = True, asynchronous: bool = False, **kw: Any):
    def action(h: H) -> Any:
        from langchain_core.messages import HumanMessage

        from langchain_qwen_omni import ChatQwenOmni

        if local:
            llm = ChatQwenOmni(api_key=h.emu.api_key, base_url=h.emu.base_url, max_retries=0)
        else:
            llm = ChatQwenOmni(api_key=FAKE_KEY, max_retries=0)
        messages = [HumanMessage(content=content)]
        if asynchronous:
            return asyncio.run(llm.ainvoke(messages, **kw))
        return llm.invoke(messages, **kw)

    return action


def _li_chat(blocks: Callable[[H], list[Any]], *, asynchronous: bool = False, **kw: Any):
    def action(h: H) -> Any:
        from llama_index.core.llms import ChatMessage

        from llama_index.llms.qwen_omni import QwenOmni

        llm = QwenOmni(api_key=FAKE_KEY, max_retries=0)
        messages = [ChatMessage(role="user", blocks=blocks(h))]
        if asynchronous:
            return asyncio.run(llm.achat(messages, **kw))
        return llm.chat(messages, **kw)

    return action


def _lc_tool(args: dict[str, Any]) -> Callable[[H], Any]:
    def action(h: H) -> Any:
        from langchain_qwen_omni import AnalyzeVideoTool

        tool = AnalyzeVideoTool(media_roots=[h.files.root], api_key=h.emu.api_key,
                                base_url=h.emu.base_url, max_retries=0)  # fmt: skip
        call = {"type": "tool_call", "id": "call_1", "name": tool.name, "args": args}
        return asyncio.run(tool.ainvoke(call))

    return action


def _li_tool(args: dict[str, Any]) -> Callable[[H], Any]:
    def action(h: H) -> Any:
        from llama_index.tools.qwen_omni import QwenOmniToolSpec
        from qwen_omni.tasks import AccessPolicy

        spec = QwenOmniToolSpec(policy=AccessPolicy(roots=(h.files.root,)),
                                api_key=h.emu.api_key, base_url=h.emu.base_url, max_retries=0)
        try:
            tools = {t.metadata.name: t for t in spec.to_tool_list()}
            return tools["analyze_video"].call(**args)
        finally:
            spec.close()

    return action


def _li_llm(**kw: Any) -> Any:
    from llama_index.llms.qwen_omni import QwenOmni

    return QwenOmni(api_key=FAKE_KEY, **kw)


def _li_text(h: H) -> list[Any]:
    from llama_index.core.llms import TextBlock

    return [TextBlock(text="hi")]


def _probe(source: Any) -> Any:
    from qwen_omni.media import probe

    return probe(source)


def _li_document(h: H) -> list[Any]:
    from llama_index.core.llms import DocumentBlock, TextBlock

    return [
        DocumentBlock(data=b"%PDF-1.4 contract", document_mimetype="application/pdf",
                      title="contract.pdf"),
        TextBlock(text="Summarize this."),
    ]


def _li_loopback_image(h: H) -> list[Any]:
    from llama_index.core.llms import ImageBlock, TextBlock

    return [ImageBlock(url="http://127.0.0.1:8080/admin.png"), TextBlock(text="What is it?")]


def _tool_dns_private(h: H) -> Any:
    h.resolve_to("media.attacker.example", "10.0.0.7")
    return h.tool("analyze_video", {"source": "https://media.attacker.example/clip.mp4",
                                    "question": "What happens?"})  # fmt: skip


def _tool_model(payload: str, times: int = 2) -> Callable[[H], Any]:
    def action(h: H) -> Any:
        h.model_replies(payload, times)
        return h.tool("did_call_mention", {"source": "call.wav", "topics": ["pricing"]})

    return action


def _mcp_model(payload: str) -> Callable[[H], Any]:
    def action(h: H) -> Any:
        h.model_replies(payload)
        return h.mcp("did_call_mention", {"source": "call.wav", "topics": ["pricing"]})

    return action


def _data_uri(mime: str, path: Path) -> str:
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()


def _q(source: str, question: str = "What happens?") -> dict[str, str]:
    return {"source": source, "question": question}


_FRAMES = [image(f"{URL}/f{i}.jpg") for i in range(1000)]
NON_UTF8 = b"Caf\xe9 cr\xe8me: what is in this picture?"

ROWS: list[Row] = [
    # --- client: wrong types, non-UTF-8 text, out-of-range and unknown parameters ----------
    Row("messages-int", "client", lambda h: h.dashscope().complete(123),
        Raises(TypeError), ("messages must be", "int")),
    Row("messages-none", "client", lambda h: h.dashscope().complete(None),
        Raises(TypeError), ("messages must be", "none")),
    Row("bytes-as-text", "client", lambda h: h.dashscope().complete(NON_UTF8),
        Raises(TypeError), ("bytes", "decode")),
    Row("non-utf8-text", "client",
        lambda h: h.local().complete(NON_UTF8.decode("utf-8", "surrogateescape")),
        Raises(RequestValidationError), (("utf-8", "unicode"), ("decode", "encoding"))),
    Row("max-tokens-huge", "client", lambda h: h.dashscope().complete("hi", max_tokens=10**9),
        Raises(RequestValidationError), ("max_tokens=1000000000", "16384")),
    Row("temperature-out-of-range", "client",
        lambda h: h.dashscope().complete("hi", temperature=5),
        Raises(RequestValidationError), ("temperature", "[0, 2)")),
    Row("unknown-parameter", "client", lambda h: h.dashscope().complete("hi", temprature=0.2),
        Raises(RequestValidationError), ("temprature", "temperature")),
    Row("parameter-wrong-type", "client",
        lambda h: h.dashscope().complete("hi", temperature="hot"),
        Raises(RequestValidationError), ("temperature", "number")),
    Row("message-bad-role", "client",
        lambda h: h.dashscope().complete([{"role": "robot", "content": "beep"}]),
        Raises(RequestValidationError), ("robot", "user")),
    Row("frames-too-many", "client",
        lambda h: h.dashscope().complete([video_frames(_FRAMES), "What happens?"]),
        Raises(RequestValidationError), ("1000 frames", "128")),
    Row("two-videos-flash", "client",
        lambda h: h.dashscope().complete([video(f"{URL}/a.mp4"), video(f"{URL}/b.mp4"), "?"]),
        Raises(RequestValidationError), ("2 video files", "qwen3.5-omni-plus")),
    Row("mixed-modalities-flash", "client",
        lambda h: h.dashscope().complete([Message(role="user", content=(
            image(f"{URL}/a.png"), audio(f"{URL}/a.mp3"), text("?")))]),
        Raises(RequestValidationError), ("mixes", "split them")),
    Row("unknown-voice", "client",
        lambda h: h.dashscope().complete("hi", modalities=["text", "audio"], voice="Nobody"),
        Raises(RequestValidationError), ("'Nobody'", "choose one of")),
    Row("missing-file", "client",
        lambda h: h.dashscope().complete([video("/nonexistent/clip.mp4"), "What happens?"]),
        Raises(MediaNotFoundError), ("/nonexistent/clip.mp4", ("does not exist", "no such file"))),
    Row("oversized-inline", "client",
        lambda h: h.dashscope(delivery="inline", prepare="never").complete(
            [image(h.files["noise.png"].read_bytes()), "?"]),
        Raises(MediaTooLargeError), ("10,485,760", ("oss", "upload"))),
    Row("huge-dimensions-image", "client",
        lambda h: h.local().complete([image(h.files["tall.png"]), "What is it?"]),
        Raises(UnsupportedMediaError), ("tall.png", "1×20000", "11×11")),
    Row("max-concurrency-zero", "client", lambda h: AsyncOmniClient(api_key=FAKE_KEY,
                                                                    max_concurrency=0),
        Raises(ConfigurationError), ("max_concurrency", ">= 1")),
    Row("negative-timeout", "client", lambda h: OmniClient(api_key=FAKE_KEY, timeout=-1),
        Raises(ConfigurationError), ("timeout", "positive")),
    Row("unknown-region", "client", lambda h: OmniClient(api_key=FAKE_KEY, region="mars"),
        Raises(ConfigurationError), ("'mars'", "beijing")),
    # --- media: corrupt, truncated, empty, absurd shapes, wrong modality ----------------------
    Row("empty-file", "media", _media("probe", "empty.mp4"),
        Raises(UnsupportedMediaError), ("empty.mp4", "empty", "re-export")),
    Row("random-bytes", "media", _media("probe", "random.mp4"),
        Raises(UnsupportedMediaError), ("random.mp4", "not a recognised", "convert")),
    Row("truncated-mp4", "media", _media("probe", "trunc.mp4"),
        Raises(UnsupportedMediaError), ("trunc.mp4", ("truncated", "corrupt"), "re-download")),
    Row("mp4-header-only", "media", _media("prepare_video", "head.mp4"),
        Raises(UnsupportedMediaError), ("head.mp4", "re-download")),
    Row("text-as-png", "media", _media("prepare_image", "text.png"),
        Raises(UnsupportedMediaError), ("text.png", "convert")),
    Row("truncated-png", "media", _media("prepare_image", "trunc.png"),
        Raises(UnsupportedMediaError), ("trunc.png", "truncated", "re-export")),
    Row("1x20000-image", "media", _media("check_media", "tall.png"),
        Raises(UnsupportedMediaError), ("tall.png", "1×20000", "11×11")),
    Row("20000x20-image", "media", _media("check_media", "wide.png"),
        Raises(UnsupportedMediaError), ("wide.png", "200:1", "crop")),
    Row("4x4-image", "media", _media("prepare_image", "tiny.png"),
        Raises(UnsupportedMediaError), ("tiny.png", "4×4", "11×11")),
    Row("900-megapixel-header", "media", _media("probe", "bomb.png"),
        Raises(MediaTooLargeError), ("bomb.png", "too large", "downscale")),
    Row("video-without-video-stream", "media", _media("prepare_video", "voice.m4a"),
        Raises(UnsupportedMediaError), ("voice.m4a", "expected video", "as audio")),
    Row("too-long-video", "media", _long_video_check,
        Raises(MediaTooLongError), ("400 s", "150 s", "split")),
    Row("missing-file", "media", _media("probe", "nope.mp4"),
        Raises(MediaNotFoundError), ("nope.mp4", "check the path")),
    Row("not-a-path", "media", lambda h: _probe(123),
        Raises(TypeError), ("str",)),
    # --- delivery: schemes, loopback, private, metadata, -internal, expired signatures --------
    Row("file-url-not-media", "delivery", _ask_url(image, "file:///etc/passwd"),
        Raises(UnsupportedMediaError), ("/etc/passwd", ("mime_type", "not a recognised"))),
    Row("ftp-url", "delivery", _ask_url(image, "ftp://files.example.com/cat.png"),
        Raises(UnsupportedMediaError), ("ftp://files.example.com/cat.png", "http")),
    Row("loopback", "delivery", _ask_url(image, "http://127.0.0.1:8080/cat.png"),
        Raises(MediaNotFetchableError), ("127.0.0.1", "loopback", "upload it")),
    Row("localhost", "delivery", _ask_url(video, "http://localhost/clip.mp4"),
        Raises(MediaNotFetchableError), ("localhost", "loopback", "inline")),
    Row("ipv6-loopback", "delivery", _ask_url(image, "http://[::1]/cat.png"),
        Raises(MediaNotFetchableError), ("[::1]", "loopback")),
    Row("decimal-ip", "delivery", _ask_url(image, "http://2130706433/cat.png"),
        Raises(MediaNotFetchableError), ("2130706433", "upload it")),
    Row("aws-metadata", "delivery",
        _ask_url(image, "http://169.254.169.254/latest/meta-data/x.png"),
        Raises(MediaNotFetchableError), ("169.254.169.254", "metadata")),
    Row("aliyun-metadata", "delivery", _ask_url(image, "http://100.100.100.200/latest/x.png"),
        Raises(MediaNotFetchableError), ("100.100.100.200", "metadata")),
    Row("private-10", "delivery", _ask_url(audio, "http://10.1.2.3/call.mp3"),
        Raises(MediaNotFetchableError), ("10.1.2.3", "private network", "upload it")),
    Row("private-192-168", "delivery", _ask_url(video, "http://192.168.1.20/clip.mp4"),
        Raises(MediaNotFetchableError), ("192.168.1.20", "private network")),
    Row("oss-internal-endpoint", "delivery",
        _ask_url(video, "https://media.oss-cn-beijing-internal.aliyuncs.com/clip.mp4"),
        Raises(MediaNotFetchableError), ("-internal", "drop '-internal'")),
    Row("expired-foreign-signed-url", "delivery", _ask_url(
        video, "https://other.oss-cn-beijing.aliyuncs.com/clip.mp4"
               "?OSSAccessKeyId=LTAIxyz&Expires=1700000000&Signature=abc%3D"),
        Raises(MediaNotFetchableError), ("other.oss-cn-beijing", "expired", "sign it again")),
    # --- agent tools (access policy; refusals the agent can act on) --------------------------
    Row("traversal", "tools", lambda h: h.tool("analyze_video", _q("../../etc/passwd")),
        Refused("access_denied", "outside_roots"), ("../../etc/passwd", "give a path under")),
    Row("symlink-escape", "tools", lambda h: h.tool("analyze_video", _q("escape.mp4")),
        Refused("access_denied", "symlink_escape"), ("escape.mp4", "real file")),
    Row("dev-zero", "tools", lambda h: h.tool("analyze_audio", _q("/dev/zero")),
        Refused("access_denied", "outside_roots"), ("/dev/zero", "give a path under")),
    Row("aws-credentials", "tools", lambda h: h.tool("analyze_video", _q("~/.aws/credentials")),
        Refused("access_denied", "outside_roots"), ("~/.aws/credentials", "give a path under")),
    Row("hidden-file", "tools", lambda h: h.tool("analyze_video", _q(".hidden.mp4")),
        Refused("access_denied", "hidden"), (".hidden.mp4", "visible media file")),
    Row("key-file", "tools", lambda h: h.tool("analyze_video", _q("id_rsa")),
        Refused("access_denied", "credential_file"), ("id_rsa", "never read")),
    Row("oversized-file", "tools", lambda h: h.tool("analyze_video", _q("big.mp4")),
        Refused("access_denied", "too_large"), ("big.mp4", "2,097,152", "smaller file")),
    Row("fifo", "tools", lambda h: h.tool("analyze_video", _q("pipe.mp4")),
        Refused("access_denied", "not_regular_file"), ("pipe.mp4", "one media file")),
    Row("corrupt-media", "tools", lambda h: h.tool("analyze_video", _q("broken.mp4")),
        Refused("access_denied", "wrong_modality"), ("broken.mp4", "re-download")),
    Row("text-as-video", "tools", lambda h: h.tool("analyze_video", _q("notes.mp4")),
        Refused("access_denied", "wrong_modality"), ("notes.mp4", "not a readable")),
    Row("image-to-video-tool", "tools", lambda h: h.tool("analyze_video", _q("pic.png")),
        Refused("access_denied", "wrong_modality"), ("pic.png", "needs a video")),
    Row("file-url", "tools", lambda h: h.tool("analyze_video", _q("file:///etc/passwd")),
        Refused("access_denied", "outside_roots"), ("/etc/passwd", "give a path under")),
    Row("nul-byte", "tools", lambda h: h.tool("analyze_video", _q("clip.mp4\x00.png")),
        Refused("access_denied", "invalid"), ("nul",)),
    Row("dns-to-private", "tools", _tool_dns_private,
        Refused("access_denied", "private_address"),
        ("media.attacker.example", "10.0.0.7", "public")),
    Row("metadata-url", "tools",
        lambda h: h.tool("analyze_image", _q("http://169.254.169.254/latest/meta-data/")),
        Refused("access_denied", "private_address"), ("169.254.169.254", "public")),
    Row("aliyun-metadata-url", "tools",
        lambda h: h.tool("analyze_image", _q("http://100.100.100.200/latest/meta-data/")),
        Refused("access_denied", "private_address"), ("100.100.100.200", "public")),
    Row("hex-loopback-url", "tools", lambda h: h.tool("analyze_video", _q("http://0x7f.1/a.mp4")),
        Refused("access_denied", "private_address"), ("0x7f.1", "loopback")),
    Row("userinfo-url", "tools",
        lambda h: h.tool("analyze_video", _q("https://admin:hunter2@example.com/a.mp4")),
        Refused("access_denied", "userinfo"), ("user name or password", "plain public url")),
    Row("gopher-url", "tools",
        lambda h: h.tool("analyze_video", _q("gopher://localhost:6379/_FLUSHALL")),
        Refused("access_denied", "scheme"), ("gopher", "https://")),
    Row("oversized-json-arguments", "tools",
        lambda h: h.tool("analyze_video", json.dumps(_q("a" * 5_000_000))),
        Refused("invalid_arguments"), ("source", "4096")),
    Row("malformed-json-arguments", "tools", lambda h: h.tool("analyze_video", '{"source": '),
        Refused("invalid_arguments"), ("invalid json", "fix them")),
    Row("wrong-argument-type", "tools",
        lambda h: h.tool("did_call_mention", {"source": "call.wav", "topics": "pricing"}),
        Refused("invalid_arguments"), ("topics", "list")),
    Row("extra-argument", "tools",
        lambda h: h.tool("analyze_video", {**_q("clip.mp4"), "shell": "rm -rf /"}),
        Refused("invalid_arguments"), ("shell", "extra")),
    Row("unknown-tool", "tools", lambda h: h.tool("format_disk", {}),
        Refused("invalid_arguments"), ("format_disk", "analyze_video")),
    Row("deeply-nested-json-from-model", "tools", _tool_model(DEEP_JSON),
        Refused("model_output"), ("valid",)),
    Row("oversized-json-from-model", "tools", _tool_model(_huge_mentions()),
        Refused("model_output"), ("valid",)),
    Row("mcp-unknown-tool", "tools", lambda h: h.mcp("format_disk", {}),
        McpError(), ("format_disk", "analyze_video")),
    Row("mcp-oversized-arguments", "tools",
        lambda h: h.mcp("analyze_video", _q("b" * 1_000_000)),
        McpError(), ("source", "4096")),
    Row("mcp-traversal", "tools", lambda h: h.mcp("transcribe", {"source": "../../etc/shadow"}),
        McpError(), ("../../etc/shadow", "give a path under")),
    Row("mcp-deeply-nested-json-from-model", "tools", _mcp_model(DEEP_JSON),
        McpError(), ("valid answer",)),
    # --- issue 12: encoded tricks and hostile media ----------------------------------------
    Row("file-url-nul", "tools", lambda h: h.tool("analyze_video", _q("file:///x/clip%00.mp4")),
        Refused("access_denied", "invalid"), ("NUL",)),
    Row("file-url-nul-in-root", "tools",
        lambda h: h.tool("analyze_video", _q(f"file://{h.files.root}/clip.mp4%00.png")),
        Refused("access_denied", "invalid"), ("NUL",)),
    Row("file-url-bad-escape", "tools",
        lambda h: h.tool("analyze_video", _q(f"file://{h.files.root}/%ff%fe.mp4")),
        Refused("access_denied", "invalid"), ("path",)),
    Row("lone-surrogate-path", "tools", lambda h: h.tool("analyze_video", _q("clip\ud800.mp4")),
        Refused("invalid_arguments"), ("source", "unicode")),
    Row("mcp-file-url-nul", "tools",
        lambda h: h.mcp("analyze_video", _q("file:///x/clip%00.mp4")), McpError(), ("NUL",)),
    Row("declared-13000-square-png", "tools", lambda h: h.tool("analyze_image", _q("mid-bomb.png")),
        Refused("media"), ("13000×13000", "downscale")),
    Row("mid-bomb-client", "media",
        lambda h: h.local().complete([image(h.files["mid-bomb.png"]), "?"]),
        Raises(MediaTooLargeError), ("13000×13000", "downscale")),
    Row("wav-as-image", "client",
        lambda h: h.local().complete([image(h.files["call.wav"]), "?"]),
        Raises(UnsupportedMediaError), ("passed as image", "audio", "audio()")),
    Row("mp4-as-audio", "client",
        lambda h: h.local().complete([audio(h.files["clip.mp4"]), "?"]),
        Raises(UnsupportedMediaError), ("passed as audio", "video")),
    Row("wav-data-uri-as-image", "client",
        lambda h: h.local().complete([image(_data_uri("image/png", h.files["call.wav"])), "?"]),
        Raises(UnsupportedMediaError), ("passed as image", "audio")),
    # --- integrations ------------------------------------------------------------------------
    Row("lc-unsupported-block", "langchain",
        _lc_invoke([{"type": "hologram", "data": "x"}, {"type": "text", "text": "?"}]),
        Raises(ValueError), ("'hologram'", "text, image, audio and video")),
    Row("lc-pdf-file-block", "langchain",
        _lc_invoke([{"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}]),
        Raises(ValueError), ("application/pdf", "extract the text")),
    Row("lc-file-id", "langchain", _lc_invoke([{"type": "image", "file_id": "file-123"}]),
        Raises(ValueError), ("file_id", "pass url")),
    Row("lc-missing-path", "langchain",
        _lc_invoke([{"type": "video", "path": "/nope/clip.mp4"}, {"type": "text", "text": "?"}]),
        Raises(MediaNotFoundError), ("/nope/clip.mp4", ("does not exist", "no such file"))),
    Row("lc-loopback-url", "langchain",
        _lc_invoke([{"type": "image", "url": "http://127.0.0.1:8080/admin.png"},
                    {"type": "text", "text": "?"}], local=False),
        Raises(MediaNotFetchableError), ("127.0.0.1", "loopback")),
    Row("lc-async-unsupported-block", "langchain",
        _lc_invoke([{"type": "hologram", "data": "x"}], asynchronous=True),
        Raises(ValueError), ("'hologram'", "text, image, audio and video")),
    Row("lc-unknown-call-parameter", "langchain", _lc_invoke("hi", frobnicate=3),
        Raises((RequestValidationError, TypeError)), ("frobnicate", "temperature")),
    Row("lc-temperature-out-of-range", "langchain", _lc_invoke("hi", temperature=7),
        Raises(RequestValidationError), ("temperature", "[0, 2)")),
    Row("li-document-block", "llamaindex", _li_chat(_li_document),
        Raises(RequestValidationError), ("contract.pdf", "extract the text")),
    Row("li-async-document-block", "llamaindex", _li_chat(_li_document, asynchronous=True),
        Raises(RequestValidationError), ("contract.pdf", "extract the text")),
    Row("li-unknown-call-parameter", "llamaindex",
        _li_chat(_li_text, frobnicate=1),
        Raises(TypeError), ("frobnicate", "accepted")),
    Row("li-loopback-image", "llamaindex", _li_chat(_li_loopback_image),
        Raises(MediaNotFetchableError), ("127.0.0.1", "loopback")),
    Row("li-temperature-field", "llamaindex",
        lambda h: _li_llm(temperature=9),
        Raises(ValidationError), ("temperature", "less than 2")),
    Row("lc-tool-traversal", "langchain", _lc_tool(_q("../../etc/passwd")),
        AgentMessage(), ("../../etc/passwd", "give a path under")),
    Row("lc-tool-oversized-arguments", "langchain", _lc_tool(_q("c" * 100_000)),
        AgentMessage(), ("source", "4096")),
    Row("li-tool-metadata-url", "llamaindex",
        _li_tool(_q("http://169.254.169.254/latest/meta-data/iam/")),
        AgentMessage(), ("169.254.169.254", "public")),
    Row("li-tool-symlink-escape", "llamaindex", _li_tool(_q("escape.mp4")),
        AgentMessage(), ("escape.mp4", "real file")),
    Row("lc-tool-file-url-nul", "langchain", _lc_tool(_q("file:///x/clip%00.mp4")),
        AgentMessage(), ("NUL",)),
    Row("li-tool-file-url-nul", "llamaindex", _li_tool(_q("file:///x/clip%00.mp4")),
        AgentMessage(), ("NUL",)),
    # --- CLI ------------------------------------------------------------------------------------
    Row("missing-file", "cli", lambda h: h.cli("analyze", "/nope/clip.mp4", "?", "--emulator"),
        Exits(2), ("/nope/clip.mp4", "no such file")),
    Row("no-key-live", "cli", lambda h: h.cli("analyze", str(h.files["clip.mp4"]), "--live"),
        Exits(3), ("DASHSCOPE_API_KEY", "--emulator")),
    Row("truncated-video", "cli",
        lambda h: h.cli("analyze", str(h.files["trunc.mp4"]), "?", "--emulator"),
        Exits(2), ("trunc.mp4", "re-download")),
    Row("random-bytes-json", "cli",
        lambda h: h.cli("analyze", str(h.files["random.mp4"]), "--emulator", "--json"),
        Exits(2), ('"exit_code": 2', "UnsupportedMediaError", "convert it")),
    Row("loopback-url-live", "cli",
        lambda h: h.cli("analyze", "http://127.0.0.1:9/clip.mp4", "--live", key=FAKE_KEY),
        Exits(2), ("127.0.0.1", "loopback")),
    Row("1x20000-image", "cli",
        lambda h: h.cli("analyze", str(h.files["tall.png"]), "--emulator"),
        Exits(2), ("tall.png", "1×20000", "11×11")),
    Row("900-megapixel-header", "cli",
        lambda h: h.cli("analyze", str(h.files["bomb.png"]), "--emulator"),
        Exits(2), ("bomb.png", "downscale")),
    Row("unknown-voice", "cli",
        lambda h: h.cli("analyze", str(h.files["pic.png"]), "--emulator", "--voice", "Nobody",
                        "--save-audio", str(h.files.media / "out.wav")),
        Exits(2), ("'Nobody'", "choose one of")),
    Row("missing-argument", "cli", lambda h: h.cli("analyze"),
        Exits(2), ("missing argument", "source")),
]


# --- the check ---------------------------------------------------------------------------------


def _origin(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename}:{last.lineno} in {last.name}"


def _describe(outcome: Any) -> str:
    if isinstance(outcome, BaseException):
        return f"{type(outcome).__module__}.{type(outcome).__name__}: {str(outcome)[:600]} " \
               f"(raised at {_origin(outcome)})"
    return f"{type(outcome).__name__}: {str(outcome)[:600]}"


def _assert_needles(message: str, needles: tuple[str | tuple[str, ...], ...], what: str) -> None:
    low = message.lower()
    for needle in needles:
        options = (needle,) if isinstance(needle, str) else needle
        assert any(o.lower() in low for o in options), (
            f"{what}: the message does not mention {' or '.join(map(repr, options))}: "
            f"{message[:800]!r}"
        )


def _run(action: Callable[[H], Any], h: H) -> Any:
    try:
        return action(h)
    except BaseException as exc:  # the outcome is what we assert on
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return exc


def test_the_table_is_big_enough():
    assert len(ROWS) >= 40
    assert {r.surface for r in ROWS} >= {
        "client", "media", "delivery", "tools", "langchain", "llamaindex", "cli"
    }
    ids = [f"{r.surface}-{r.id}" for r in ROWS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.surface}-{r.id}")
def test_hostile_input(row: Row, h: H):
    outcome = _run(row.action, h)
    what = f"[{row.surface}] {row.id}"
    expect = row.expect
    if isinstance(outcome, BaseException):
        assert not isinstance(outcome, _DEEP), f"{what}: crash from deep inside: " + _describe(
            outcome
        )
        assert type(outcome) is not QwenOmniError, f"{what}: unmapped error: " + _describe(
            outcome
        )

    if isinstance(expect, Raises):
        assert isinstance(outcome, expect.types), (
            f"{what}: expected {expect.types}, got " + _describe(outcome)
        )
        _assert_needles(str(outcome), row.needles, what)
    elif isinstance(expect, Refused):
        from qwen_omni.tasks import ToolRefusal

        assert isinstance(outcome, ToolRefusal), (
            f"{what}: expected a ToolRefusal({expect.kind}), got " + _describe(outcome)
        )
        assert outcome.kind == expect.kind, f"{what}: {outcome!r}"
        if expect.reason is not None:
            assert outcome.reason == expect.reason, f"{what}: {outcome!r}"
        _assert_needles(outcome.message, row.needles, what)
        assert outcome.to_text().startswith("Tool refused")
    elif isinstance(expect, McpError):
        assert not isinstance(outcome, BaseException), f"{what}: " + _describe(outcome)
        text_ = " ".join(getattr(c, "text", "") for c in outcome.content)
        assert outcome.is_error is True, f"{what}: not an error result: {text_[:300]!r}"
        _assert_needles(text_, row.needles, what)
        assert "Traceback" not in text_
    elif isinstance(expect, AgentMessage):
        assert not isinstance(outcome, BaseException), f"{what}: " + _describe(outcome)
        text_ = str(getattr(outcome, "content", outcome))
        if hasattr(outcome, "status"):  # LangChain ToolMessage
            assert outcome.status == "error", f"{what}: {outcome!r}"
        assert text_.startswith("Tool refused"), f"{what}: {text_[:300]!r}"
        _assert_needles(text_, row.needles, what)
    elif isinstance(expect, Exits):
        assert not isinstance(outcome, BaseException), f"{what}: " + _describe(outcome)
        output = outcome.stdout + (outcome.stderr or "")
        assert outcome.exit_code == expect.code, (
            f"{what}: exit {outcome.exit_code}, expected {expect.code}: {output[-800:]!r}"
        )
        assert outcome.exception is None or isinstance(outcome.exception, SystemExit), (
            f"{what}: unhandled " + _describe(outcome.exception)
        )
        assert "Traceback" not in output
        _assert_needles(output, row.needles, what)
    else:  # pragma: no cover
        raise AssertionError(expect)


def test_a_huge_quote_from_the_model_does_not_flood_the_agent(h: H):
    # 3 MB of "evidence" in an otherwise valid answer: the agent must not receive it all.
    from qwen_omni.tasks import ToolRefusal, to_text

    h.model_replies(_huge_evidence())
    result = h.tool("did_call_mention", {"source": "call.wav", "topics": ["pricing"]})
    if not isinstance(result, ToolRefusal):
        assert len(to_text(result)) < 100_000, (
            f"the tool message is {len(to_text(result)):,} characters"
        )
