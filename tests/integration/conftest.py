"""Integration tests drive the local emulator over loopback sockets.

The fixtures come from ``qwen_omni.emulator.pytest_plugin``. They are imported here because
``pytest_plugins`` is only allowed in the rootdir's conftest; once the plugin is registered as a
``pytest11`` entry point (or listed in a root ``conftest.py``), this import can go.
"""

from qwen_omni.emulator.pytest_plugin import emulator, qwen_omni_emulator

__all__ = ["emulator", "qwen_omni_emulator"]
