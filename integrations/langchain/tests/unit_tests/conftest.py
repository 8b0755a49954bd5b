"""Unit tests run with the network off (unix sockets stay allowed for event loops).

``fake_model`` gives a ``ChatQwenOmni`` whose core clients are replaced by ``FakeClient``: it
records each call (messages and parameters) and streams scripted core events, so the chat
model's conversions are tested end to end without a socket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_socket import disable_socket, enable_socket

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni._stream import ResponseBuilder
from qwen_omni.config import resolve_settings
from qwen_omni.response import Event, Finish, Started, TextDelta, Usage, UsageEvent


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


def text_events(
    text: str, *, model: str = "qwen3-omni-flash", usage: Usage | None = None
) -> list[Event]:
    """The events of a plain text answer, in pieces of 3 characters."""
    events: list[Event] = [Started("chatcmpl-1", model, "req-1")]
    events += [TextDelta(text[i : i + 3]) for i in range(0, len(text), 3)]
    events.append(Finish("stop"))
    events.append(
        UsageEvent(
            usage
            or Usage.from_dict({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15})
        )
    )
    return events


@dataclass
class Call:
    messages: Any
    model: str | None
    params: dict[str, Any]


@dataclass
class FakeClient:
    """Stands in for ``OmniClient`` and ``AsyncOmniClient``: records calls, replays events."""

    script: list[list[Event]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    responder: Callable[[Call], list[Event]] | None = None
    settings: Any = field(default_factory=lambda: resolve_settings(api_key="k"))

    def _events(self, messages: Any, model: str | None, params: dict[str, Any]) -> list[Event]:
        call = Call(messages, model, params)
        self.calls.append(call)
        if self.script:
            return self.script.pop(0)
        if self.responder is not None:
            return self.responder(call)
        return text_events("Hello from the fake.", model=model or "qwen3-omni-flash")

    def stream(self, messages: Any, *, model: str | None = None, **params: Any) -> Any:
        return _Stream(self._events(messages, model, params))

    def complete(self, messages: Any, *, model: str | None = None, **params: Any) -> Any:
        return _Stream(self._events(messages, model, params)).until_done()


@dataclass
class FakeAsyncClient:
    """The async face of a ``FakeClient`` (same script and call record)."""

    sync: FakeClient

    def stream(self, messages: Any, *, model: str | None = None, **params: Any) -> Any:
        return self.sync.stream(messages, model=model, **params)

    async def complete(self, messages: Any, *, model: str | None = None, **params: Any) -> Any:
        return self.sync.complete(messages, model=model, **params)


class _Stream:
    """Replays events through the core's own ResponseBuilder, as OmniStream does."""

    def __init__(self, events: list[Event]) -> None:
        self._events = events
        self._builder = ResponseBuilder()

    def _feed(self) -> Iterator[Event]:
        for event in self._events:
            self._builder.add(event)
            yield event

    def tool_calls(self) -> list[Any]:
        return self._builder.tool_calls()

    def until_done(self) -> Any:
        for _ in self._feed():
            pass
        return self._builder.build()

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __iter__(self) -> Iterator[Event]:
        return self._feed()

    async def __aenter__(self) -> _Stream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def _agen(self) -> AsyncIterator[Event]:
        for event in self._feed():
            yield event

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._agen()


def _install(model: ChatQwenOmni, fake: FakeClient) -> ChatQwenOmni:
    """Route ``model``'s sync and async requests to ``fake``."""
    model.__dict__["_client"] = fake
    model.__dict__["_async_client"] = lambda: FakeAsyncClient(fake)
    return model


@pytest.fixture
def install_fake() -> Callable[[ChatQwenOmni, FakeClient], ChatQwenOmni]:
    return _install


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient()


@pytest.fixture
def fake_model(fake: FakeClient) -> ChatQwenOmni:
    return _install(ChatQwenOmni(api_key="sk-test"), fake)
