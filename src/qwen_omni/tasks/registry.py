"""ONE registry of the agent tools, from which every surface is generated.

A tool is one module under :mod:`qwen_omni.tasks.tools` that defines ``TOOL`` (a
:class:`~qwen_omni.tasks.tool.ToolDef`) or ``TOOLS`` (several). :data:`TOOLS` is what the
modules there declare, in their ``order``; from it come the
:class:`~qwen_omni.tasks.AsyncOmniTasks` / :class:`~qwen_omni.tasks.OmniTasks` methods and
``run_tool``, the LangChain tools and toolkit, the LlamaIndex tool spec, the MCP server and the
CLI commands::

    for tool in TOOLS:
        tool.name, tool.description             # the description is written for an agent
        tool.input_model, tool.result_model     # pydantic models (JSON schema via the model)
        result = await tool.arun(tasks, {"source": ..., ...})   # result or ToolRefusal
        text = to_text(result)                  # what the agent should read

``arun`` is the agent path: arguments are validated, the tasks' access policy applies, and
what the agent can act on comes back as a :class:`ToolRefusal` instead of an exception.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from qwen_omni.tasks import tools as _tools_package
from qwen_omni.tasks.tool import ToolDef, to_text

__all__ = ["TOOLS", "ToolDef", "discover", "get_tool", "refresh", "to_text"]


def _declared(module: ModuleType) -> list[ToolDef]:
    one = getattr(module, "TOOL", None)
    many = getattr(module, "TOOLS", None)
    found = ([one] if one is not None else []) + list(many or [])
    for tool in found:
        if not isinstance(tool, ToolDef):
            raise TypeError(f"{module.__name__} declares {tool!r}, which is not a ToolDef")
    return found


def discover(package: ModuleType = _tools_package) -> list[ToolDef]:
    """Every tool the modules of ``package`` declare, sorted by ``order`` then name."""
    found: list[ToolDef] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        found.extend(_declared(importlib.import_module(f"{package.__name__}.{info.name}")))
    names = [t.name for t in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"tools declared twice: {duplicates}")
    return sorted(found, key=lambda t: (t.order, t.name))


#: The agent tools (the surfaces iterate over this list; :func:`refresh` updates it in place).
TOOLS: list[ToolDef] = discover()


def refresh() -> list[ToolDef]:
    """Scan :mod:`qwen_omni.tasks.tools` again (after adding a module at run time)."""
    TOOLS[:] = discover()
    return TOOLS


def get_tool(name: str) -> ToolDef:
    """The tool called ``name``."""
    for tool in TOOLS:
        if tool.name == name:
            return tool
    raise KeyError(f"no tool named {name!r}; tools: {', '.join(t.name for t in TOOLS)}")
