"""What a tool receives (TaskContext) and the toolkit's generated methods (no sockets)."""

from __future__ import annotations

import inspect

import pytest

from qwen_omni import AsyncOmniClient
from qwen_omni.catalog import get_model
from qwen_omni.tasks import TOOLS, AccessPolicy, AsyncOmniTasks, OmniTasks, TaskContext


def _tasks(**kw):
    return AsyncOmniTasks(api_key="k", base_url="http://127.0.0.1:9/v1", **kw)


def test_prepare_false_means_the_client_does_not_prepare_either():
    assert _tasks(prepare=False).client.prepare == "never"
    assert _tasks().client.prepare == "auto"
    given = AsyncOmniClient(api_key="k", base_url="http://127.0.0.1:9/v1")
    assert AsyncOmniTasks(given, prepare=False).client is given


def test_context_snapshots_the_current_settings_and_shares_the_json_memo():
    tasks = _tasks(model="qwen3-omni-flash", segment_seconds=60, price_region="singapore")
    policy = AccessPolicy()
    ctx = tasks.context(policy=policy)
    assert isinstance(ctx, TaskContext)
    assert ctx.policy is policy and ctx.client is tasks.client
    assert ctx.settings.segment_seconds == 60 and ctx.price_region == "singapore"
    assert ctx.segment_length(None, get_model("qwen3-omni-flash")) == 60
    tasks.max_concurrency = 2  # later changes reach the next call
    assert tasks.context().settings.max_concurrency == 2
    assert tasks.context().policy is None  # the user's own call: no agent policy
    ctx.json_unsupported.add("m")
    assert "m" in tasks.context().json_unsupported


def test_settings_are_checked():
    with pytest.raises(ValueError, match="max_concurrency"):
        _tasks(max_concurrency=0)
    with pytest.raises(ValueError, match="segment_seconds"):
        _tasks(segment_seconds=0)


def test_every_tool_is_a_method_with_its_arguments():
    tasks = _tasks()
    sync = OmniTasks(api_key="k", base_url="http://127.0.0.1:9/v1")
    for tool in TOOLS:
        for host in (tasks, sync):
            method = getattr(host, tool.name)
            assert method.__doc__ == tool.description
            params = inspect.signature(method).parameters
            required = [n for n, f in tool.input_model.model_fields.items() if f.is_required()]
            assert [n for n in params if params[n].default is inspect.Parameter.empty
                    and params[n].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD] == required
        assert tool.name in dir(tasks)
    assert inspect.iscoroutinefunction(tasks.analyze_video)
    assert not inspect.iscoroutinefunction(sync.analyze_video)
    with pytest.raises(AttributeError):
        tasks.no_such_tool
    sync.close()


async def test_method_arguments_are_validated_like_the_tool_input():
    tasks = _tasks()
    with pytest.raises(TypeError, match="positional"):
        await tasks.analyze_video("a.mp4", "what?", "extra")
    with pytest.raises(ValueError, match="topics"):
        await tasks.did_call_mention("call.wav", [])
