"""Secrets: the DashScope key and the OSS secret appear nowhere a user or a log can see.

``DASHSCOPE_API_KEY`` and ``OSS_ACCESS_KEY_SECRET`` are set to unique random markers. Every
public object is built from them (and, where the API takes one, with the key passed
explicitly); full requests (with media uploaded to OSS and inline) and failing requests run
against the emulator with every logger at DEBUG. Then the test greps, for both markers and for
the key's base64 form: every ``repr``/``str``, every raised exception with its chained
traceback, LangChain ``dumpd``/``dumps`` (and ``set_debug`` console output), LlamaIndex
``to_dict``/``to_json``, tool listings, the MCP server's listing, all captured log records, and
the emulator's request logs (model endpoint and OSS).

Each surface is its own test, so one that is not built yet fails alone.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qwen_omni import AsyncOmniClient, OmniClient, audio, image
from qwen_omni_emulator import Emulator, Fault, Reply

pytestmark = pytest.mark.integration

API_KEY = f"sk-{uuid.uuid4().hex}KEYMARKER"
OSS_SECRET = f"{uuid.uuid4().hex}OSSMARKER"
OSS_KEY_ID = "LTAI5tReliabilityTest"
BUCKET = "secrets-test"
MARKERS = (
    API_KEY,
    OSS_SECRET,
    base64.b64encode(API_KEY.encode()).decode(),
    base64.b64encode(OSS_SECRET.encode()).decode(),
    # a distinctive part of each, so a truncated or re-wrapped copy is found too
    API_KEY[3:27],
    OSS_SECRET[:24],
)


class Haystack:
    """Everything a user could see: text appended by the tests, grepped at the end."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, value: Any) -> None:
        self.items.append((where, value if isinstance(value, str) else repr(value)))

    def add_obj(self, where: str, obj: Any) -> None:
        self.add(f"repr({where})", repr(obj))
        self.add(f"str({where})", str(obj))

    def add_exc(self, where: str, exc: BaseException) -> None:
        self.add_obj(where, exc)
        self.add(f"traceback({where})", "".join(traceback.format_exception(exc)))
        attrs = {k: v for k, v in vars(exc).items() if k != "partial"}
        self.add(f"vars({where})", repr(attrs))

    def assert_clean(self, min_items: int = 1) -> None:
        assert len(self.items) >= min_items, "nothing was collected: the test proves nothing"
        leaks = [
            (where, marker)
            for where, text in self.items
            for marker in MARKERS
            if marker in text
        ]
        assert not leaks, f"secret found in: {sorted({w for w, _ in leaks})}"


@pytest.fixture(scope="module")
def secrets_emulator() -> Iterator[Emulator]:
    # Its own emulator: it accepts any key (so it never holds the marker) and the OSS server
    # learns the marker OSS credential.
    with Emulator(api_key=None) as emu:
        emu.oss.add_credentials(OSS_KEY_ID, OSS_SECRET)
        emu.oss.create_bucket(BUCKET)
        yield emu


@pytest.fixture
def emu(secrets_emulator, monkeypatch) -> Emulator:
    secrets_emulator.reset()
    monkeypatch.setenv("DASHSCOPE_API_KEY", API_KEY)
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", OSS_KEY_ID)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", OSS_SECRET)
    monkeypatch.setenv("OSS_BUCKET", BUCKET)
    monkeypatch.setenv("OSS_ENDPOINT", secrets_emulator.oss_endpoint)
    monkeypatch.setenv("OSS_REGION", "cn-beijing")
    monkeypatch.delenv("QWEN_OMNI_BASE_URL", raising=False)
    return secrets_emulator


@pytest.fixture
def hay(caplog, emu) -> Iterator[Haystack]:
    """The haystack; at the end it also takes every log record (all loggers at DEBUG) and the
    emulator's request logs, then asserts that no marker is in it."""
    caplog.set_level(logging.DEBUG)
    stack = Haystack()
    yield stack
    for record in caplog.records:
        stack.add(f"log {record.name}", record.getMessage())
        stack.add(f"log args {record.name}", repr(record.args))
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            stack.add(f"log exc {record.name}", formatted)
    stack.add("caplog.text", caplog.text)
    for rec in emu.requests:
        stack.add("emulator request log", rec)
    stack.add("emulator oss log", emu.oss.requests)
    stack.assert_clean(min_items=3)


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    from qwen_omni.media.synthetic import make_audio, make_image

    root = tmp_path_factory.mktemp("secrets-media")
    return {
        "image": make_image(root / "pic.png", width=64, height=48),
        "audio": make_audio(root / "call.wav", seconds=1),
        "root": root,
    }


def _failures(client: OmniClient, emu: Emulator, hay: Haystack) -> None:
    """A 401, retried 500s, a stream cut after output: each exception goes in the haystack."""
    from qwen_omni.errors import QwenOmniError

    emu.fail_next(Fault.http(401))
    emu.fail_next(Fault.server_error(500), times=5)
    emu.fail_next(Fault.drop(after=3))
    emu.script(Reply.stream(["one ", "two ", "three ", "four"]))
    for n in range(3):
        with pytest.raises(QwenOmniError) as info:
            client.complete(f"failing request {n}")
        hay.add_exc(f"failure {n}", info.value)


# --- core --------------------------------------------------------------------------------------


def test_core_client_requests_and_failures_do_not_leak(emu, hay, media, caplog):
    from qwen_omni.delivery import DeliveryContext, MediaDelivery, OssStore

    delivery = MediaDelivery("oss")  # the OSS store comes from OSS_* in the environment
    with OmniClient(base_url=emu.base_url, delivery=delivery, max_retries=1) as client:
        hay.add_obj("OmniClient", client)
        hay.add_obj("Settings", client.settings)
        hay.add_obj("MediaDelivery", client.delivery)
        hay.add_obj("OssStore", client.delivery.oss)
        answer = client.complete([image(media["image"]), "What is in this picture?"])
        hay.add_obj("OmniResponse", answer)
        assert emu.requests.last.perceived[0]["modality"] == "image"  # went through OSS
        assert emu.oss.count("PUT", bucket=BUCKET) == 1
        _failures(client, emu, hay)

    explicit = OmniClient(api_key=API_KEY, base_url=emu.base_url)
    hay.add_obj("OmniClient(api_key=...)", explicit)
    store = OssStore(access_key_secret=OSS_SECRET, access_key_id=OSS_KEY_ID)
    hay.add_obj("OssStore(explicit)", store)
    hay.add_obj("DeliveryContext(explicit)", DeliveryContext(model="m", base_url="b",
                                                              api_key=API_KEY))  # fmt: skip
    # An upload that fails: its error names the bucket, not the credential.
    from qwen_omni.errors import UploadError

    broken = OssStore(bucket="no-such-bucket")
    with pytest.raises(UploadError) as info:
        OmniClient(base_url=emu.base_url, delivery=MediaDelivery("oss", oss=broken)).complete(
            [image(media["image"]), "?"]
        )
    hay.add_exc("UploadError", info.value)
    # Nothing reaches a dead port: a connection error.
    from qwen_omni.errors import APIConnectionError

    with pytest.raises(APIConnectionError) as conn:
        OmniClient(base_url="http://127.0.0.1:9/compatible-mode/v1", max_retries=0).complete("x")
    hay.add_exc("APIConnectionError", conn.value)
    # The logs really were captured at DEBUG, from our code and from the libraries under it.
    loggers = {r.name.split(".")[0] for r in caplog.records if r.levelno == logging.DEBUG}
    assert {"qwen_omni", "openai", "oss2"} <= loggers, loggers
    assert loggers & {"httpcore", "httpcore2"}, loggers  # the HTTP transport's trace


async def test_async_client_does_not_leak(emu, hay, media):
    from qwen_omni.errors import StreamInterrupted

    async with AsyncOmniClient(base_url=emu.base_url, max_retries=0) as client:
        hay.add_obj("AsyncOmniClient", client)
        answer = await client.complete([audio(media["audio"]), "Transcribe."])
        hay.add_obj("OmniResponse(async)", answer)
        emu.fail_next(Fault.drop(after=3))
        emu.script(Reply.stream(["alpha ", "beta ", "gamma ", "delta"]))
        with pytest.raises(StreamInterrupted) as info:
            await client.complete("cut me off")
        hay.add_exc("StreamInterrupted", info.value)
        hay.add_obj("partial", info.value.partial)


def test_agent_tasks_and_mcp_server_do_not_leak(emu, hay, media):
    from qwen_omni.mcp_server import build_server
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks, OmniTasks

    policy = AccessPolicy(roots=(media["root"],))
    with OmniTasks(base_url=emu.base_url, api_key=API_KEY, policy=policy, max_retries=0) as t:
        hay.add_obj("OmniTasks", t)
        hay.add_obj("OmniTasks.aio", t.aio)
        hay.add_obj("AccessPolicy", t.policy)
        hay.add("policy.describe()", t.policy.describe())
        result = t.run_tool("analyze_image", {"source": "pic.png", "question": "What is it?"})
        hay.add_obj("tool result", result)
        hay.add("tool result json", result.model_dump_json())
        refusal = t.run_tool("analyze_image", {"source": "../../etc/passwd", "question": "?"})
        hay.add_obj("refusal", refusal)

    async def mcp() -> None:
        from mcp import Client

        async with AsyncOmniTasks(base_url=emu.base_url, policy=policy, max_retries=0) as tasks:
            server = build_server(tasks)
            hay.add_obj("MCP server", server)
            async with Client(server) as client:
                listed = await client.list_tools()
                hay.add("MCP tools/list", json.dumps([t.model_dump(mode="json")
                                                      for t in listed.tools]))  # fmt: skip
                result = await client.call_tool(
                    "analyze_image", {"source": "pic.png", "question": "Colours?"}
                )
                hay.add("MCP tools/call", result.model_dump_json())

    asyncio.run(mcp())


# --- LangChain ---------------------------------------------------------------------------------


def test_langchain_chat_model_does_not_leak(emu, hay, media, capsys):
    from langchain_core.globals import set_debug
    from langchain_core.load import dumpd, dumps
    from langchain_core.messages import HumanMessage
    from pydantic import SecretStr

    from langchain_qwen_omni import ChatQwenOmni
    from qwen_omni.delivery import MediaDelivery

    models = [
        ChatQwenOmni(base_url=emu.base_url),  # key from the environment
        ChatQwenOmni(api_key=SecretStr(API_KEY), base_url=emu.base_url, max_retries=0),
        ChatQwenOmni(dashscope_api_key=API_KEY, base_url=emu.base_url,
                     delivery=MediaDelivery("oss")),
    ]
    for n, llm in enumerate(models):
        hay.add_obj(f"ChatQwenOmni[{n}]", llm)
        hay.add(f"dumpd[{n}]", json.dumps(dumpd(llm), default=str))
        hay.add(f"dumps[{n}]", dumps(llm, pretty=True))
        hay.add(f"model_dump[{n}]", json.dumps(llm.model_dump(), default=str))
        hay.add(f"ls_params[{n}]", repr(llm._get_ls_params()))
        hay.add(f"bound[{n}]", repr(llm.bind_tools([{"type": "function", "function": {
            "name": "f", "parameters": {"type": "object", "properties": {}}}}])))
    secret = dumpd(models[1])["kwargs"]["api_key"]
    assert secret == {"lc": 1, "type": "secret", "id": ["DASHSCOPE_API_KEY"]}

    set_debug(True)
    try:
        llm = models[2]
        msg = llm.invoke([HumanMessage(content=[
            {"type": "image", "path": str(media["image"])},
            {"type": "text", "text": "What is in this picture?"},
        ])])  # fmt: skip
        hay.add_obj("AIMessage", msg)
        hay.add("AIMessage dumps", dumps(msg))
        emu.fail_next(Fault.http(401))
        with pytest.raises(Exception) as info:
            models[1].invoke("fail")
        hay.add_exc("langchain failure", info.value)
    finally:
        set_debug(False)
    captured = capsys.readouterr()
    hay.add("set_debug stdout", captured.out)
    hay.add("set_debug stderr", captured.err)


def test_langchain_tools_toolkit_and_loader_do_not_leak(emu, hay, media):
    from langchain_core.load import dumpd, dumps
    from pydantic import SecretStr

    from langchain_qwen_omni import QwenOmniMediaLoader, QwenOmniToolkit

    toolkits = [
        QwenOmniToolkit(media_roots=[media["root"]], base_url=emu.base_url),
        QwenOmniToolkit(api_key=SecretStr(API_KEY), media_roots=[media["root"]],
                        base_url=emu.base_url, max_retries=0),
    ]
    for n, toolkit in enumerate(toolkits):
        hay.add_obj(f"QwenOmniToolkit[{n}]", toolkit)
        hay.add(f"toolkit dumps[{n}]", dumps(toolkit))
        hay.add(f"toolkit model_dump[{n}]", json.dumps(toolkit.model_dump(), default=str))
        for tool in toolkit.get_tools():
            hay.add_obj(f"tool {tool.name}[{n}]", tool)
            hay.add(f"tool dumpd {tool.name}[{n}]", json.dumps(dumpd(tool), default=str))
            hay.add(f"tool schema {tool.name}[{n}]", json.dumps(tool.tool_call_schema
                                                               .model_json_schema()))  # fmt: skip
    tools = {t.name: t for t in toolkits[1].get_tools()}
    message = tools["analyze_image"].invoke({
        "type": "tool_call", "id": "call_1", "name": "analyze_image",
        "args": {"source": "pic.png", "question": "What is it?"},
    })  # fmt: skip
    hay.add_obj("ToolMessage", message)
    refused = tools["analyze_image"].invoke({
        "type": "tool_call", "id": "call_2", "name": "analyze_image",
        "args": {"source": "/etc/shadow", "question": "?"},
    })  # fmt: skip
    assert refused.status == "error"
    hay.add_obj("ToolMessage(error)", refused)
    for toolkit in toolkits:
        toolkit.close()
    loader = QwenOmniMediaLoader(str(media["image"]), api_key=API_KEY, base_url=emu.base_url)
    hay.add_obj("QwenOmniMediaLoader", loader)
    docs = loader.load()
    hay.add("loader documents", json.dumps([d.model_dump() for d in docs], default=str))


# --- LlamaIndex --------------------------------------------------------------------------------


def test_llamaindex_llm_does_not_leak(emu, hay, media):
    from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

    from llama_index.llms.qwen_omni import QwenOmni

    llms = [
        QwenOmni(base_url=emu.base_url),  # key from the environment
        QwenOmni(api_key=API_KEY, base_url=emu.base_url, max_retries=0, delivery="oss"),
    ]
    for n, llm in enumerate(llms):
        hay.add_obj(f"QwenOmni[{n}]", llm)
        hay.add(f"to_dict[{n}]", json.dumps(llm.to_dict(), default=str))
        hay.add(f"to_json[{n}]", llm.to_json())
        hay.add(f"model_dump_json[{n}]", llm.model_dump_json())
        hay.add(f"metadata[{n}]", repr(llm.metadata))
    restored = QwenOmni.from_dict(llms[1].to_dict())
    hay.add_obj("QwenOmni.from_dict", restored)
    llm = llms[1]
    reply = llm.chat([ChatMessage(role="user", blocks=[
        ImageBlock(path=media["image"]), TextBlock(text="What is in this picture?"),
    ])])  # fmt: skip
    hay.add_obj("ChatResponse", reply)
    hay.add("ChatResponse raw", json.dumps(reply.raw, default=str))
    emu.fail_next(Fault.http(401))
    with pytest.raises(Exception) as info:
        llm.chat([ChatMessage(role="user", content="fail")])
    hay.add_exc("llamaindex failure", info.value)


def test_llamaindex_tool_spec_and_reader_do_not_leak(emu, hay, media):
    from llama_index.readers.qwen_omni import QwenOmniMediaReader
    from llama_index.tools.qwen_omni import QwenOmniToolSpec
    from qwen_omni.tasks import AccessPolicy

    spec = QwenOmniToolSpec(policy=AccessPolicy(roots=(media["root"],)), api_key=API_KEY,
                            base_url=emu.base_url, max_retries=0)  # fmt: skip
    hay.add_obj("QwenOmniToolSpec", spec)
    for tool in spec.to_tool_list():
        hay.add_obj(f"FunctionTool {tool.metadata.name}", tool)
        hay.add(f"tool metadata {tool.metadata.name}", json.dumps(tool.metadata.to_openai_tool()))
    answer = spec.analyze_image("pic.png", "What is it?")
    hay.add("tool spec answer", answer)
    hay.add("tool spec refusal", spec.analyze_image("/root/.ssh/id_rsa", "?"))
    spec.close()
    reader = QwenOmniMediaReader(api_key=API_KEY, base_url=emu.base_url)
    hay.add_obj("QwenOmniMediaReader", reader)
    docs = reader.load_data(media["image"])
    hay.add("reader documents", json.dumps([d.to_dict() for d in docs], default=str))


def test_the_grep_finds_a_planted_secret():
    stack = Haystack()
    stack.add("clean", "nothing to see")
    stack.add("planted", f"Authorization: Bearer {API_KEY}")
    with pytest.raises(AssertionError, match="planted"):
        stack.assert_clean()
    stack = Haystack()
    stack.add("planted b64", base64.b64encode(OSS_SECRET.encode()).decode())
    with pytest.raises(AssertionError, match="planted b64"):
        stack.assert_clean()
