"""LangChain's standard integration suite for ChatQwenOmni, against the emulator.

The emulator's default responder plays the model: it calls offered tools with schema-valid
arguments when the prompt names them or the call is forced, answers JSON mode with the keys the
prompt quotes, speaks when audio is requested, and reasons when thinking is on.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_qwen_omni import ChatQwenOmni

# The standard multimodal tests download their media from the public internet, which is not
# reachable here. The same kinds of file are generated locally and served for those URLs: to
# the test's own download (httpx.get), and to the emulator, which fetches the image URL the way
# the service would. Everything else in the tests runs unchanged.
STANDARD_IMAGE_URL = (
    "https://raw.githubusercontent.com/langchain-ai/docs/4d11d08b6b0e210bd456943f7a22febbd168b543"
    "/src/images/agentic-rag-output.png"
)
STANDARD_AUDIO_URL = (
    "https://upload.wikimedia.org/wikipedia/commons/6/6a/Northern_Flicker_202280456.wav"
)


@functools.cache
def _standard_media() -> dict[str, bytes]:
    from qwen_omni.media.synthetic import make_audio, make_image

    root = Path(tempfile.mkdtemp())
    return {
        STANDARD_IMAGE_URL: make_image(root / "rag.png", width=640, height=400).read_bytes(),
        STANDARD_AUDIO_URL: make_audio(root / "bird.wav", seconds=3).read_bytes(),
    }


@pytest.fixture(autouse=True)
def _offline_standard_media(qwen_omni_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    media = _standard_media()
    real_get = httpx.get

    def get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        if str(url) in media:
            return httpx.Response(200, content=media[str(url)], request=httpx.Request("GET", url))
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(httpx, "get", get)
    monkeypatch.setenv("LANGCHAIN_TESTS_USER_AGENT", "qwen-omni-tests/0.1 (offline, local media)")
    for url, data in media.items():
        qwen_omni_emulator.host_media(url, data)


@functools.cache
def _tone() -> Path:
    from qwen_omni.media.synthetic import make_audio

    return make_audio(Path(tempfile.mkdtemp()) / "tone.wav", seconds=2)


def _collect(model: BaseChatModel, messages: list[Any], *, stream: bool) -> AIMessage:
    if not stream:
        result = model.invoke(messages)
        assert isinstance(result, AIMessage)
        return result
    full: AIMessageChunk | None = None
    for chunk in model.stream(messages):
        full = chunk if full is None else full + chunk  # type: ignore[assignment]
    assert full is not None
    return full


class TestChatQwenOmniEmulator(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatQwenOmni]:
        return ChatQwenOmni

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # base_url and api_key come from the environment (conftest): the emulator.
        return {"model": "qwen3-omni-flash"}

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        # Media in a ToolMessage follows it as a user message (qwen_omni.tool_results).
        return True

    @property
    def supports_video_inputs(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        details = ["audio_input", "audio_output", "reasoning_output"]
        return {"invoke": details, "stream": details}

    @property
    def model_override_value(self) -> str:
        return "qwen3.5-omni-flash"

    # --- hooks for the usage-details checks --------------------------------------------------

    def invoke_with_audio_input(self, *, stream: bool = False) -> AIMessage:
        message = HumanMessage(
            [
                {"type": "audio", "path": str(_tone())},
                {"type": "text", "text": "What do you hear?"},
            ]
        )
        return _collect(self.chat_model_class(**self.chat_model_params), [message], stream=stream)

    def invoke_with_audio_output(self, *, stream: bool = False) -> AIMessage:
        model = self.chat_model_class(**self.chat_model_params, modalities=["text", "audio"])
        return _collect(model, [HumanMessage("Say hello.")], stream=stream)

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        model = self.chat_model_class(**self.chat_model_params, enable_thinking=True)
        return _collect(model, [HumanMessage("Is 97 prime?")], stream=stream)

    # --- honest exceptions ---------------------------------------------------------------------

    @pytest.mark.xfail(
        strict=True,
        reason=(
            "DashScope has no tool_choice='required' (it documents auto, none and one forced "
            "function, and the emulator refuses 'required' as the service does), so 'any' "
            "with several tools is sent as 'auto' and the reply to 'Hello!' has no tool call"
        ),
    )
    def test_tool_choice(self, model: BaseChatModel) -> None:
        super().test_tool_choice(model)
