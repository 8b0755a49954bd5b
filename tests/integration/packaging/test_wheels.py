"""The distributions, built and installed on their own, work.

The wheels of every workspace member (``qwen-omni``, ``qwen-omni-emulator``,
``langchain-qwen-omni``, ``llama-index-qwen-omni``, ``livekit-plugins-qwen-omni``) are built
from the sources (``uv build``: the sdist first, then the wheel from the sdist, as an index
would), then installed into fresh virtual environments that know nothing of the workspace:
only the built wheels (``--find-links``) and the locked versions of their dependencies
(``uv export`` as constraints), offline from uv's cache. Each environment imports every public
name and makes one real call against the emulator over loopback.

- ``langchain-qwen-omni`` alone (``pip install langchain-qwen-omni``): the chat model works, and
  the ``qwen-omni`` command it brings says which extra to install instead of a traceback;
- everything (core with the cli, emulator and mcp extras, which pull the emulator's wheel,
  and the integrations): the command runs the main job on the bundled clip with the emulator
  installed from its wheel.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "examples" / "media" / "sample.mp4"


def _uv() -> list[str]:
    """The uv the test command uses (scripts/_uv.sh exports it), else one on PATH or in .tools."""
    if os.environ.get("QWEN_OMNI_UV"):
        command = shlex.split(os.environ["QWEN_OMNI_UV"])
        # scripts/_uv.sh may name it relative to the repository (.tools/bin/uv); the venv
        # steps run elsewhere
        if (ROOT / command[0]).exists():
            command[0] = str(ROOT / command[0])
        return command
    found = shutil.which("uv") or (ROOT / ".tools" / "bin" / "uv")
    if not Path(found).exists():
        pytest.fail("uv not found: run through scripts/test.sh, which installs it")
    return [str(found)]


def _run(args: list[str], **kw) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT")}
    env = {k: v for k, v in env.items() if not k.startswith(("QWEN_OMNI_", "DASHSCOPE_"))}
    env.update(kw.pop("env", {}))
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=300, check=False, env=env, **kw
    )
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """Wheels of every workspace package, and the locked versions as constraints."""
    out = tmp_path_factory.mktemp("dist")
    built = _run([*_uv(), "build", "--all-packages", "--offline", "-o", str(out)], cwd=ROOT)
    assert built.returncode == 0, built.stderr
    exported = _run(
        [*_uv(), "export", "--frozen", "--all-packages", "--all-extras", "--no-hashes",
         "--no-emit-workspace", "--no-dev", "-o", str(out / "constraints.txt")],
        cwd=ROOT,
    )
    assert exported.returncode == 0, exported.stderr
    wheels = sorted(p.name.split("-")[0] for p in out.glob("*.whl"))
    expected = {"qwen_omni", "qwen_omni_emulator", "langchain_qwen_omni", "llama_index_qwen_omni"}
    expected.add("livekit_plugins_qwen_omni")
    assert expected <= set(wheels), wheels
    return out


def _venv(dist: Path, folder: Path, *requirements: str) -> Path:
    """A fresh venv (no workspace on its path) with ``requirements`` from the built wheels."""
    made = _run([*_uv(), "venv", "--python", sys.executable, str(folder)], cwd=folder.parent)
    assert made.returncode == 0, made.stderr
    python = folder / "bin" / "python"
    install = [*_uv(), "pip", "install", "--python", str(python), "--find-links", str(dist)]
    install += ["-c", str(dist / "constraints.txt"), *requirements]
    # offline first (uv's cache holds every locked wheel once the workspace was synced); uv may
    # still lack a package's index page, then it asks the registry for it (and caches it)
    installed = _run([*install, "--offline"], cwd=folder.parent)
    if installed.returncode != 0 and "network was disabled" in installed.stderr:
        installed = _run(install, cwd=folder.parent)
    assert installed.returncode == 0, installed.stderr
    return python


IMPORT_ALL = """
import importlib, sys
for module in sys.argv[1:]:
    mod = importlib.import_module(module)
    names = list(mod.__all__)
    for name in names:
        getattr(mod, name)
    print(module, len(names))
"""


def _imports(python: Path, *modules: str) -> str:
    done = _run([str(python), "-c", IMPORT_ALL, *modules], cwd=python.parent)
    assert done.returncode == 0, done.stderr
    # nothing came from the source tree
    where = _run([str(python), "-c", "import qwen_omni; print(qwen_omni.__file__)"])
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout, where.stdout
    return done.stdout


def _one_call(python: Path, emulator, import_line: str, expression: str) -> str:
    """Build ``LLM`` (imported by ``import_line``) on the emulator in the clean venv and print
    ``expression``; its output."""
    code = (
        f"{import_line}\n"
        f"llm = LLM(base_url={emulator.base_url!r}, api_key={emulator.api_key!r})\n"
        f"print({expression})\n"
    )
    done = _run([str(python), "-c", code])
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_langchain_package_alone(dist, tmp_path, qwen_omni_emulator):
    # no emulator here: it serves from the test's process, over loopback
    python = _venv(dist, tmp_path / "lc", "langchain-qwen-omni")
    assert "langchain_qwen_omni" in _imports(python, "qwen_omni", "langchain_qwen_omni")
    model = _one_call(
        python,
        qwen_omni_emulator,
        "from langchain_qwen_omni import ChatQwenOmni as LLM",
        "llm.invoke('Say hi').response_metadata['model_name']",
    )
    assert model == "qwen3-omni-flash"
    # the command this installs, without the cli extra: one line saying what to install
    cli = _run([str(python.parent / "qwen-omni"), "--help"])
    assert cli.returncode == 3, cli.stderr
    assert "pip install 'qwen-omni[cli]'" in cli.stderr and "Traceback" not in cli.stderr


def test_everything_installed_from_wheels(dist, tmp_path, qwen_omni_emulator):
    python = _venv(
        dist,
        tmp_path / "all",
        "qwen-omni[cli,emulator,mcp]",
        "langchain-qwen-omni",
        "llama-index-qwen-omni",
        "livekit-plugins-qwen-omni",
    )
    _imports(
        python,
        "qwen_omni",
        "qwen_omni.tasks",
        "qwen_omni.media",
        "qwen_omni.delivery",
        "qwen_omni_emulator",
        "qwen_omni.mcp_server",
        "langchain_qwen_omni",
        "llama_index.llms.qwen_omni",
        "llama_index.tools.qwen_omni",
        "llama_index.readers.qwen_omni",
        "livekit.plugins.qwen_omni",
    )
    version = _run([str(python.parent / "qwen-omni"), "--version"])
    assert version.returncode == 0 and version.stdout.startswith("qwen-omni 0."), version
    # the main job, with the emulator shipped in the wheel (no key: it says so first)
    job = _run([str(python.parent / "qwen-omni"), "analyze", str(SAMPLE), "What happens?"])
    assert job.returncode == 0, job.stderr
    assert "local emulator" in job.stdout.splitlines()[0]
    assert "video: 6.00 s" in job.stdout
    model = _one_call(
        python,
        qwen_omni_emulator,
        "from llama_index.llms.qwen_omni import QwenOmni as LLM",
        "llm.complete('Say hi').raw['model']",
    )
    assert model == "qwen3-omni-flash"
