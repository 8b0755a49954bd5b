"""Every ```python block of README.md and the workspace distributions' READMEs runs,
offline, against the emulator. The blocks are found at collection time, so a new README
section is tested without touching this file; the setup-comment convention is in
``readme_blocks.py`` and CONTRIBUTING.md.

One child process per README runs its blocks in order (a fresh namespace and working
directory per block unless it ``continues`` the previous one), with ``QWEN_OMNI_BASE_URL`` and
``DASHSCOPE_API_KEY`` pointing at the session's emulator and no other model or OSS settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import readme_blocks as rb

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BLOCKS = [b for path in rb.readmes() for b in rb.blocks_of(path)]


@pytest.fixture(scope="module")
def results(qwen_omni_emulator_session, tmp_path_factory):
    """Run each README's blocks in a child process; results by block id."""
    emulator = qwen_omni_emulator_session
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QWEN_OMNI_", "OSS_"))}
    env.update(
        QWEN_OMNI_BASE_URL=emulator.base_url,
        DASHSCOPE_API_KEY=emulator.api_key,
        QWEN_DOCS_OSS_ENDPOINT=emulator.oss_endpoint,
        PYTHONPATH=str(rb.ROOT / "tests" / "integration" / "docs"),
    )
    found: dict[str, dict] = {}
    for readme in sorted({b.readme for b in BLOCKS}):
        emulator.reset()
        folder = tmp_path_factory.mktemp(Path(readme).parent.name or "root")
        blocks_file, results_file = folder / "blocks.json", folder / "results.json"
        rb.dump([b for b in BLOCKS if b.readme == readme], blocks_file)
        done = subprocess.run(
            [sys.executable, str(Path(rb.__file__)), str(blocks_file), str(results_file)],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        ran = json.loads(results_file.read_text()) if results_file.exists() else {}
        if done.returncode != 0:
            ran.setdefault("__crash__" + readme, {"ok": False, "error": done.stderr})
        found.update(ran)
    return found


def test_the_readmes_have_python_blocks():
    assert {b.readme for b in BLOCKS} >= {
        "README.md",
        "integrations/langchain/README.md",
        "integrations/llamaindex/README.md",
        "emulator/README.md",
    }


def test_no_child_process_crashed(results):
    crashed = {k: v["error"] for k, v in results.items() if k.startswith("__crash__")}
    assert not crashed, crashed


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block_runs(block, results):
    if block.skip:
        pytest.skip(block.skip)
    assert block.id in results, f"{block.id} never ran (an earlier block hung?)"
    result = results[block.id]
    assert result["ok"], f"{block.id} failed:\n{block.code}\n{result['error']}"
    for text in block.expect:
        assert text in result["stdout"], f"{block.id}: {text!r} not in output:\n{result['stdout']}"
