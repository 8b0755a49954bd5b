"""LiveKit Agents plugin for Qwen-Omni realtime (``qwen_omni.realtime`` underneath).

::

    from livekit.agents import AgentSession
    from livekit.plugins import qwen_omni

    session = AgentSession(llm=qwen_omni.RealtimeModel(model="qwen3.5-omni-plus-realtime"))
"""

from __future__ import annotations

import logging
import threading
from importlib import metadata as _metadata

from livekit.agents import Plugin
from livekit.plugins.qwen_omni.realtime import RealtimeModel, RealtimeSession

__all__ = ["RealtimeModel", "RealtimeSession", "__version__"]

try:  # the version lives once, in pyproject.toml
    __version__ = _metadata.version("livekit-plugins-qwen-omni")
except _metadata.PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

logger = logging.getLogger("livekit.plugins.qwen_omni")


class QwenOmniPlugin(Plugin):
    """Registers the plugin with LiveKit Agents (version and logger)."""

    def __init__(self) -> None:
        super().__init__(__name__, __version__, __package__ or __name__, logger)


# LiveKit requires registration on the main thread; imports elsewhere (tests, workers) skip it.
if threading.current_thread() is threading.main_thread():
    Plugin.register_plugin(QwenOmniPlugin())
