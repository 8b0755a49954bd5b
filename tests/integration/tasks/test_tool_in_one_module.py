"""A new tool is one module: declared once under ``qwen_omni.tasks.tools``, it appears in every
surface (the toolkit's methods and run_tool, LangChain, LlamaIndex, MCP and the CLI) with no
other edit, and runs through each of them against the emulator."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from mcp import Client
from typer.testing import CliRunner

import qwen_omni.tasks.tools as tools_package
from qwen_omni import cli
from qwen_omni.mcp_server import build_server
from qwen_omni.tasks import registry
from qwen_omni_emulator import Reply

pytestmark = pytest.mark.integration

MODULE = "name_the_picture"

SOURCE = textwrap.dedent(
    '''
    """name_the_picture: a tool declared in this one module and nowhere else."""

    from __future__ import annotations

    from typing import Any

    from pydantic import BaseModel, ConfigDict, Field

    from qwen_omni.tasks import TaskContext, ToolDef, ask_about


    class NameThePictureInput(BaseModel):
        model_config = ConfigDict(extra="forbid")

        source: str = Field(min_length=1, description="The picture: a URL or allowed path.")
        style: str | None = Field(default=None, description="Optional style of the title.")


    class NameThePictureResult(BaseModel):
        title: str
        model: str

        def to_text(self) -> str:
            return f"Title: {self.title}"


    async def job(ctx: TaskContext, inp: NameThePictureInput, **options: Any) -> BaseModel:
        style = f" in a {inp.style} style" if inp.style else ""
        answer = await ask_about(
            ctx, inp.source, f"Give this picture a short title{style}.", expect=("image",),
            **options,
        )
        return NameThePictureResult(title=answer.text, model=answer.report.model)


    TOOL = ToolDef(
        name="name_the_picture",
        description="Give a picture a short title. The source is a URL or an allowed path.",
        input_model=NameThePictureInput,
        result_model=NameThePictureResult,
        job=job,
    )
    '''
)


@pytest.fixture
def new_tool(tmp_path):
    """The module dropped into the tools package (as if it shipped there); removed after."""
    folder = tmp_path / "more_tools"
    folder.mkdir()
    (folder / f"{MODULE}.py").write_text(SOURCE)
    tools_package.__path__.append(str(folder))
    registry.refresh()
    cli.add_tool_commands()
    try:
        yield registry.get_tool("name_the_picture")
    finally:
        tools_package.__path__.remove(str(folder))
        sys.modules.pop(f"{tools_package.__name__}.{MODULE}", None)
        registry.refresh()
        cli.app.registered_commands[:] = [
            c for c in cli.app.registered_commands if c.name != "name-the-picture"
        ]
        from llama_index.tools.qwen_omni import QwenOmniToolSpec

        for attr in ("name_the_picture", "aname_the_picture"):
            if attr in QwenOmniToolSpec.__dict__:
                delattr(QwenOmniToolSpec, attr)


def _titles(emu, n: int = 1) -> None:
    emu.script(*[Reply.text("Sunset Over Blocks") for _ in range(n)])


def _prompt(emu) -> str:
    content = emu.requests.last.body["messages"][-1]["content"]
    return " ".join(p.get("text", "") for p in content)


def _asked_about_the_picture(emu) -> None:
    assert [p["kind"] for p in emu.requests.last.perceived] == ["image"]
    assert "short title" in _prompt(emu)


async def test_the_core_toolkit_has_it(new_tool, tasks, emu, media):
    assert "name_the_picture" in [t.name for t in registry.TOOLS]
    _titles(emu, 2)
    direct = await tasks.name_the_picture(str(media.photo), style="poster")
    assert direct.title == "Sunset Over Blocks"
    _asked_about_the_picture(emu)
    assert "poster style" in _prompt(emu)
    agent = await tasks.run_tool("name_the_picture", {"source": "photo.png"})
    assert agent.title == "Sunset Over Blocks"
    # The agent path applies the access policy: outside the media root is refused.
    refused = await tasks.run_tool("name_the_picture", {"source": "/etc/hostname"})
    assert refused.kind == "access_denied"


async def test_langchain_has_it(new_tool, emu, media):
    from langchain_qwen_omni import QwenOmniToolkit
    from langchain_qwen_omni.tools import NameThePictureTool

    toolkit = QwenOmniToolkit(
        base_url=emu.base_url, api_key=emu.api_key, media_roots=[media.root], max_retries=0
    )
    by_name = {t.name: t for t in toolkit.get_tools()}
    tool = by_name["name_the_picture"]
    assert isinstance(tool, NameThePictureTool)
    assert tool.args_schema is new_tool.input_model
    _titles(emu)
    message = await tool.ainvoke(
        {"type": "tool_call", "id": "c1", "name": tool.name, "args": {"source": "photo.png"}}
    )
    assert message.content == "Title: Sunset Over Blocks"
    assert message.artifact.title == "Sunset Over Blocks"
    _asked_about_the_picture(emu)


async def test_llamaindex_has_it(new_tool, emu, media, policy):
    from llama_index.tools.qwen_omni import QwenOmniToolSpec

    spec = QwenOmniToolSpec(policy=policy, base_url=emu.base_url, api_key=emu.api_key)
    try:
        by_name = {t.metadata.name: t for t in spec.to_tool_list()}
        tool = by_name["name_the_picture"]
        assert tool.metadata.fn_schema is new_tool.input_model
        assert new_tool.description in tool.metadata.description
        _titles(emu)
        output = await tool.acall(source="photo.png")
        assert output.content == "Title: Sunset Over Blocks"
        _asked_about_the_picture(emu)
    finally:
        await spec.aclose()
        spec.close()


async def test_mcp_has_it(new_tool, tasks, emu):
    async with Client(build_server(tasks)) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert listed["name_the_picture"].input_schema["required"] == ["source"]
        _titles(emu)
        result = await client.call_tool("name_the_picture", {"source": "photo.png"})
    assert result.is_error is False
    assert result.content[0].text == "Title: Sunset Over Blocks"
    assert result.structured_content["title"] == "Sunset Over Blocks"
    _asked_about_the_picture(emu)


def test_cli_has_it(new_tool, emu, media, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", emu.api_key)
    _titles(emu)
    result = CliRunner().invoke(
        cli.app,
        ["name-the-picture", str(media.photo), "--style", "poster", "--json",
         "--base-url", emu.base_url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "Sunset Over Blocks"
    _asked_about_the_picture(emu)
