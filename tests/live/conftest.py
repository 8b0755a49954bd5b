"""Live tests talk to the real DashScope service; they skip cleanly without DASHSCOPE_API_KEY."""

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DASHSCOPE_API_KEY"):
        return
    skip = pytest.mark.skip(reason="DASHSCOPE_API_KEY is not set: live tests need the real service")
    for item in items:
        if "tests/live" in str(item.fspath):
            item.add_marker(skip)
