"""Find the ```python blocks of the READMEs and run them (imported by the test, and run as a
script in a child process: ``python readme_blocks.py BLOCKS.json RESULTS.json``).

The setup comment
-----------------
A block may start with one comment line ``# setup: item, item, ...`` saying what it needs to
run offline (every block runs against the local emulator: ``QWEN_OMNI_BASE_URL`` and
``DASHSCOPE_API_KEY`` point at it). Items:

- ``media=clip.mp4 call.mp3 media/talk.mp4``: files made in the block's working directory
  (``.mp4``/``.mov``: the bundled 6 s sample clip; ``.mp3``/``.wav``/``.m4a``: a 3 s tone;
  ``.png``/``.jpg``/``.webp``: a 640×480 picture);
- ``continues``: run in the namespace of the previous block of the same README (for a section
  that builds on the one before; otherwise each block starts empty, as a reader pasting it
  would);
- ``expect=TEXT``: the block's standard output must contain TEXT (e.g. proof that an agent's
  tool really ran on the media: the emulator's report ``video: 6.00 s``);
- ``oss``: ``OSS_ACCESS_KEY_ID``, ``OSS_ACCESS_KEY_SECRET`` and ``OSS_ENDPOINT`` name the
  emulator's OSS server (its well-known test credentials) for this block;
- ``skip=REASON``: shown, never run (for what cannot run offline; say why).

A block whose code uses top-level ``await`` runs inside ``asyncio.run``.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import json
import os
import re
import shutil
import sys
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "examples" / "media" / "sample.mp4"
SETUP = re.compile(r"^#\s*setup:\s*(.*)$")
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)


def readmes() -> list[Path]:
    """README.md and the README of every workspace distribution (integrations, the emulator;
    a new member is picked up from pyproject.toml)."""
    import tomllib

    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = root["tool"]["uv"]["workspace"]["members"]
    found = sorted(p / "README.md" for m in members for p in ROOT.glob(m))
    return [ROOT / "README.md", *(p for p in found if p.is_file())]


@dataclass
class Block:
    """One ```python block: where it is, its code and its setup."""

    readme: str
    line: int
    code: str
    media: list[str] = field(default_factory=list)
    continues: bool = False
    expect: list[str] = field(default_factory=list)
    skip: str | None = None
    oss: bool = False

    @property
    def id(self) -> str:
        return f"{self.readme}:{self.line}"


def parse_setup(line: str, block: Block) -> None:
    """Apply a ``# setup: ...`` line to ``block`` (unknown items are an error)."""
    match = SETUP.match(line.strip())
    if not match:
        return
    for item in (i.strip() for i in match.group(1).split(",")):
        if not item:
            continue
        key, _, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if key == "emulator":
            continue  # always on; accepted for readability
        if key == "media":
            block.media.extend(value.split())
        elif key == "continues":
            block.continues = True
        elif key == "expect":
            block.expect.append(value)
        elif key == "oss":
            block.oss = True
        elif key == "skip":
            block.skip = value or "no reason given"
        else:
            raise ValueError(f"{block.id}: unknown setup item {item!r}")


def blocks_of(path: Path) -> list[Block]:
    """The python blocks of one README, in order."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        block = Block(readme=str(path.relative_to(ROOT)), line=line, code=match.group(1))
        first = block.code.lstrip().splitlines()[0] if block.code.strip() else ""
        parse_setup(first, block)
        found.append(block)
    return found


def make_media(name: str, folder: Path) -> None:
    """A small real file for ``name``, by its suffix."""
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = target.suffix.lower()
    if suffix in (".mp4", ".mov"):
        shutil.copyfile(SAMPLE, target)
        return
    from qwen_omni.media.synthetic import make_audio, make_image

    if suffix in (".mp3", ".wav", ".m4a", ".flac"):
        make_audio(target, seconds=3.0, format=suffix[1:])
    elif suffix in (".png", ".jpg", ".jpeg", ".webp"):
        fmt = {"jpg": "jpeg"}.get(suffix[1:], suffix[1:])
        make_image(target, width=640, height=480, format=fmt)
    else:
        raise ValueError(f"no generator for media {name!r}")


def run_one(block: Block, namespace: dict, workdir: Path) -> dict:
    """Run ``block`` in ``namespace`` with ``workdir`` as the current directory."""
    for name in block.media:
        make_media(name, workdir)
    os.chdir(workdir)
    saved_env = dict(os.environ)
    if block.oss:
        os.environ.update(
            OSS_ACCESS_KEY_ID="emu-oss-ak",
            OSS_ACCESS_KEY_SECRET="emu-oss-sk",
            OSS_ENDPOINT=os.environ["QWEN_DOCS_OSS_ENDPOINT"],
        )
    stdout = io.StringIO()
    try:
        code = compile(
            block.code, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
        )
        with contextlib.redirect_stdout(stdout):
            if code.co_flags & 0x80:  # CO_COROUTINE: top-level await
                asyncio.run(eval(code, namespace))
            else:
                exec(code, namespace)
    except BaseException:
        return {"ok": False, "error": traceback.format_exc(), "stdout": stdout.getvalue()}
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    return {"ok": True, "error": None, "stdout": stdout.getvalue()}


def main(blocks_file: str, results_file: str) -> None:
    blocks = [Block(**b) for b in json.loads(Path(blocks_file).read_text())]
    base = Path(results_file).parent / "work"
    results: dict[str, dict] = {}
    namespace: dict = {}
    workdir = base
    for i, block in enumerate(blocks):
        if block.skip:
            continue
        if not block.continues:
            namespace = {"__name__": "__main__"}
            workdir = base / f"block{i}"
            workdir.mkdir(parents=True, exist_ok=True)
        results[block.id] = run_one(block, namespace, workdir)
        Path(results_file).write_text(json.dumps(results))  # what ran so far, if we hang


def dump(blocks: list[Block], path: Path) -> None:
    path.write_text(json.dumps([asdict(b) for b in blocks]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
