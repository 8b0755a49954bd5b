"""LangChain's standard unit suite for ChatQwenOmni (no network)."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_qwen_omni import ChatQwenOmni


class TestChatQwenOmniStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatQwenOmni]:
        return ChatQwenOmni

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwen3-omni-flash"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"DASHSCOPE_API_KEY": "sk-from-env"},
            {"model": "qwen3.5-omni-plus"},
            {"api_key": "sk-from-env", "model": "qwen3.5-omni-plus"},
        )

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
    def supports_video_inputs(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        details = ["audio_input", "audio_output", "reasoning_output"]
        return {"invoke": details, "stream": details}

    @property
    def model_override_value(self) -> str:
        return "qwen3.5-omni-flash"
