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
PROJECTS = {
    "qwen-omni": ROOT / "pyproject.toml",
    "langchain-qwen-omni": ROOT / "integrations" / "langchain" / "pyproject.toml",
    "llama-index-qwen-omni": ROOT / "integrations" / "llamaindex" / "pyproject.toml",
    "qwen-omni-emulator": ROOT / "emulator" / "pyproject.toml",
}


def _project(name: str) -> dict:
    return tomllib.loads(PROJECTS[name].read_text())["project"]


def test_the_version_is_written_once_and_read_everywhere():
    core = _project("qwen-omni")["version"]
    assert qwen_omni.__version__ == version("qwen-omni") == core
    assert user_agent() == f"qwen-omni/{core}"
    sources = [p for p in (ROOT / "src").rglob("*.py") if core in p.read_text()]
    assert not sources, f"a literal version in {sources}: read qwen_omni._version instead"


def test_the_integrations_are_in_lock_step_and_admit_the_core():
    core = tuple(int(x) for x in _project("qwen-omni")["version"].split(".")[:3])
    for name in ("langchain-qwen-omni", "llama-index-qwen-omni", "qwen-omni-emulator"):
        project = _project(name)
        assert project["version"] == _project("qwen-omni")["version"], name
        pin = next(d for d in project["dependencies"] if d.startswith("qwen-omni"))
        low, high = re.search(r">=([\d.]+),<([\d.]+)", pin).groups()
        as_tuple = lambda v: tuple(int(x) for x in v.split("."))  # noqa: E731
        assert as_tuple(low) <= core < as_tuple(high), (name, pin)


def test_every_distribution_carries_license_and_metadata():
    for name, path in PROJECTS.items():
        project = _project(name)
        assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
        assert "Apache License" in (path.parent / "LICENSE").read_text()
        assert project["classifiers"] and project["urls"], name


def test_pre_commit_runs_the_checks_of_the_test_command():
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    entries = {h["id"]: h["entry"] for h in hooks}
    script = (ROOT / "scripts" / "test.sh").read_text()
    for tool, command in (("ruff", "ruff check"), ("mypy", "mypy")):
        assert command in entries[tool] and f"run --no-sync {command}" in script
