"""Every example runs to completion against the emulator, as a user would run it."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

# The first test's setup runs every example (two at a time): a minute on a quiet machine, far
# more on a loaded one; the per-test default (300 s) would cut it off there.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "examples").glob("*.py"))


def _run(example: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "QWEN_OMNI_"))}
    workdir.mkdir()
    env["TMPDIR"] = str(workdir)
    return subprocess.run(
        [sys.executable, str(example)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All examples, two at a time (each is a separate Python process)."""
    base = tmp_path_factory.mktemp("examples")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {e: pool.submit(_run, e, base / e.stem) for e in EXAMPLES}
        return {e: f.result() for e, f in futures.items()}


def test_there_are_examples_for_each_surface():
    names = {p.stem for p in EXAMPLES}
    assert {"quickstart", "agent_tools", "mcp_server"} <= names
    assert any(n.startswith("langchain_") for n in names)
    assert any(n.startswith("llamaindex_") for n in names)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_offline(example, runs):
    done = runs[example]
    assert done.returncode == 0, (
        f"{example.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    )
    assert done.stdout.strip(), f"{example.name} printed nothing"
