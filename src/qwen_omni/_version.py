"""The installed version, read from the distribution's metadata.

The version is written once, in ``pyproject.toml``; everything else (``__version__``, the
``User-Agent`` header, the MCP server's announced version, ``qwen-omni --version``) reads it
from here, so a release changes one line.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__", "user_agent"]

try:
    __version__ = version("qwen-omni")
except PackageNotFoundError:  # a source tree on sys.path without being installed
    __version__ = "0+unknown"


def user_agent() -> str:
    """The ``User-Agent`` of our requests: ``qwen-omni/<version>``."""
    return f"qwen-omni/{__version__}"
