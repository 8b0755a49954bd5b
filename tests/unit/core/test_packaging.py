"""Release metadata: one version per distribution, in lock-step, and the pre-commit hooks
run what CI runs."""

import re
from importlib.metadata import version
from pathlib import Path

import tomllib
import yaml

import qwen_omni
from qwen_omni._version import user_agent

ROOT = Path(__file__).resolve().parents[3]
def _members() -> dict[str, Path]:
    """Every distribution of the workspace (a new member is checked without editing this)."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    paths = [ROOT / "pyproject.toml"]
    paths += [ROOT / m / "pyproject.toml" for m in root["tool"]["uv"]["workspace"]["members"]]
    return {tomllib.loads(p.read_text())["project"]["name"]: p for p in paths}


PROJECTS = _members()


def _project(name: str) -> dict:
    return tomllib.loads(PROJECTS[name].read_text())["project"]


def test_the_version_is_written_once_and_read_everywhere():
    core = _project("qwen-omni")["version"]
    assert qwen_omni.__version__ == version("qwen-omni") == core
    assert user_agent() == f"qwen-omni/{core}"
    code = [*(ROOT / "src").rglob("*.py"), *(ROOT / "integrations").rglob("*/__init__.py")]
    code += list((ROOT / "emulator").rglob("*.py"))
    sources = [p for p in code if f'"{core}"' in p.read_text() and "tests" not in p.parts]
    assert not sources, f"a literal version in {sources}: read qwen_omni._version instead"


def test_the_integrations_are_in_lock_step_and_admit_the_core():
    core = tuple(int(x) for x in _project("qwen-omni")["version"].split(".")[:3])
    for name in [n for n in PROJECTS if n != "qwen-omni"]:
        project = _project(name)
        assert project["version"] == _project("qwen-omni")["version"], name
        pin = next(d for d in project["dependencies"] if d.startswith("qwen-omni"))
        low, high = re.search(r">=([\d.]+),<([\d.]+)", pin).groups()
        as_tuple = lambda v: tuple(int(x) for x in v.split("."))  # noqa: E731
        assert as_tuple(low) <= core < as_tuple(high), (name, pin)


def test_every_member_is_known():
    assert {"qwen-omni", "qwen-omni-emulator", "langchain-qwen-omni"} <= set(PROJECTS)
    assert "llama-index-qwen-omni" in PROJECTS


def test_every_distribution_carries_license_and_metadata():
    for name, path in PROJECTS.items():
        project = _project(name)
        assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
        assert "Apache License" in (path.parent / "LICENSE").read_text()
        assert project["classifiers"] and project["urls"], name
        packages = tomllib.loads(path.read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
        typed = list(path.parent.glob("**/py.typed"))
        assert typed, f"{name}: no py.typed under {path.parent} ({packages})"


def test_pre_commit_runs_the_checks_of_the_test_command():
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    entries = {h["id"]: h["entry"] for h in hooks}
    script = (ROOT / "scripts" / "test.sh").read_text()
    for tool, command in (("ruff", "ruff check"), ("mypy", "mypy")):
        assert command in entries[tool] and f"run --no-sync {command}" in script
