"""The ``qwen-omni`` console script: start the CLI, or say which extra to install.

``pip install langchain-qwen-omni`` (or plain ``qwen-omni``) installs the ``qwen-omni``
command without the CLI's own dependencies (typer, rich) or those of some commands (the
emulator, MCP). Importing them fails deep in a traceback; this entry point turns that into
one line naming the extra to install. It imports nothing optional itself.
"""

from __future__ import annotations

import sys

__all__ = ["EXTRA_FOR_MODULE", "install_hint", "main"]

#: top-level module → the ``qwen-omni`` extra that installs it
EXTRA_FOR_MODULE = {
    "typer": "cli",
    "rich": "cli",
    "click": "cli",
    "av": "media",
    "PIL": "media",
    "numpy": "media",
    "oss2": "oss",
    "qwen_omni_emulator": "emulator",
    "starlette": "emulator",
    "uvicorn": "emulator",
    "multipart": "emulator",
    "python_multipart": "emulator",
    "mcp": "mcp",
    "websockets": "realtime",
    "ray": "ray",
    "pyarrow": "ray",
}

EXIT_CONFIG = 3


def install_hint(exc: ImportError) -> str | None:
    """The line telling what to install for a missing optional module, or None."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    extra = EXTRA_FOR_MODULE.get(name)
    if extra is None:
        return None
    hint = (
        f"qwen-omni: this command needs the optional dependency {name!r} (extra "
        f"'{extra}'): pip install 'qwen-omni[{extra}]'   (everything: 'qwen-omni[all]')"
    )
    if extra == "emulator":
        hint += "; or export DASHSCOPE_API_KEY to use the real service instead of the emulator"
    return hint


def main() -> None:
    """Run ``qwen-omni``; a missing optional dependency exits 3 with what to install."""
    try:
        from qwen_omni.cli import main as cli_main

        cli_main()
    except ImportError as exc:
        hint = install_hint(exc)
        if hint is None:
            raise
        print(hint, file=sys.stderr)  # noqa: T201 - rich may be the missing module
        sys.exit(EXIT_CONFIG)


if __name__ == "__main__":
    main()
