"""The import rules of docs/architecture.md, enforced over the sources with ``ast``.

1. The core (``src/qwen_omni``) never imports the emulator, LangChain, LlamaIndex or LiveKit
   (not even in a function or under ``TYPE_CHECKING``): it finds the emulator through an entry
   point.
2. The integrations import only public names of the core: from a module with no ``_``-prefixed
   part in its path, and only names in that module's ``__all__`` (or a public submodule).
3. ``qwen_omni.tasks`` has no import cycle, counting imports inside functions too (a deferred
   import hides a cycle, it does not remove it); ``TYPE_CHECKING``-only imports do not run and
   are not counted.
4. The emulator imports only public names of the core too (it is a separate distribution).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CORE = ROOT / "src" / "qwen_omni"
INTEGRATIONS = [
    ROOT / "integrations" / "langchain" / "langchain_qwen_omni",
    ROOT / "integrations" / "llamaindex" / "llama_index",
    ROOT / "integrations" / "livekit" / "livekit",
]
EMULATOR = ROOT / "emulator" / "qwen_omni_emulator"
FORBIDDEN_IN_CORE = (
    "qwen_omni_emulator",
    "langchain",
    "langchain_core",
    "llama_index",
    "livekit",
)


def _module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str, *, runtime_only: bool) -> list[tuple[str, list[str]]]:
    """``(imported module, names)`` for every import in the file (relative ones resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[str, list[str]]] = []
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if runtime_only and isinstance(child, ast.If) and _is_type_checking(child.test):
                for item in child.orelse:
                    visit_one(item)
                continue
            visit_one(child)

    def visit_one(child: ast.AST) -> None:
        if isinstance(child, ast.Import):
            found.extend((alias.name, []) for alias in child.names)
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (child.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            found.append((base, [alias.name for alias in child.names]))
        visit(child)

    visit(tree)
    return found


def _sources(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "tests" not in p.parts)


@pytest.mark.parametrize("path", _sources(CORE), ids=lambda p: str(p.relative_to(CORE)))
def test_the_core_never_imports_the_emulator_or_the_frameworks(path):
    rel = _module_name(path, CORE)
    module = f"qwen_omni.{rel}" if rel else "qwen_omni"
    for imported, _ in _imports(path, module, runtime_only=False):
        top = imported.split(".")[0]
        assert top not in FORBIDDEN_IN_CORE, f"{path.relative_to(ROOT)} imports {imported}"


def _public_violations(path: Path, module: str) -> list[str]:
    problems = []
    for imported, names in _imports(path, module, runtime_only=False):
        if imported != "qwen_omni" and not imported.startswith("qwen_omni."):
            continue
        if any(part.startswith("_") for part in imported.split(".")):
            problems.append(f"imports the private module {imported}")
            continue
        target = importlib.import_module(imported)
        public = set(getattr(target, "__all__", ()))
        for name in names:
            if name in public:
                continue
            try:
                sub = importlib.import_module(f"{imported}.{name}")
            except ImportError:
                sub = None
            if sub is not None and not name.startswith("_"):
                continue  # a public submodule
            problems.append(f"imports {name} from {imported}, which is not in its __all__")
    return problems


def _package_sources() -> list[tuple[Path, Path]]:
    out = []
    for folder in INTEGRATIONS:
        out.extend((p, folder.parent) for p in _sources(folder))
    out.extend((p, EMULATOR.parent) for p in _sources(EMULATOR))
    return out


def _id(value: Path) -> str:
    return str(value.relative_to(ROOT)) if value.suffix else ""


@pytest.mark.parametrize(("path", "base"), _package_sources(), ids=_id)
def test_integrations_and_the_emulator_import_only_public_core_names(path, base):
    module = _module_name(path, base)
    problems = _public_violations(path, module)
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)


def _tasks_graph() -> dict[str, set[str]]:
    tasks_root = CORE / "tasks"
    modules = {}
    for path in _sources(tasks_root):
        rel = _module_name(path, tasks_root)
        modules["qwen_omni.tasks" + (f".{rel}" if rel else "")] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported, names in _imports(path, name, runtime_only=True):
            targets = {f"{imported}.{n}" for n in names if f"{imported}.{n}" in modules}
            rest = [n for n in names if f"{imported}.{n}" not in modules]
            if imported in modules and (rest or not names):
                targets.add(imported)
            graph[name] |= {t for t in targets if t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    return found


def test_tasks_have_no_import_cycle():
    graph = _tasks_graph()
    assert "qwen_omni.tasks.toolkit" in graph and "qwen_omni.tasks.tools.summarize" in graph
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_tools_do_not_reach_back_into_the_toolkit_or_the_registry():
    graph = _tasks_graph()
    for name, imported in graph.items():
        if name.startswith("qwen_omni.tasks.tools."):
            assert not imported & {
                "qwen_omni.tasks.toolkit",
                "qwen_omni.tasks.registry",
                "qwen_omni.tasks",
            }, name
