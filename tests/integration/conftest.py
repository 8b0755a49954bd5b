"""Integration tests drive the local emulator over loopback sockets.

The ``emulator`` (reset per test) and ``qwen_omni_emulator`` (one per session) fixtures come
from ``qwen_omni.emulator.pytest_plugin``, registered as a ``pytest11`` entry point by the
qwen-omni distribution, so every test folder (and users' own projects) gets them.
"""
