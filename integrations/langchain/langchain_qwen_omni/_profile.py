"""The LangChain model profile of a Qwen-Omni model, derived from the core catalog."""

from __future__ import annotations

from typing import Any

from qwen_omni.catalog import get_model, planning_window

__all__ = ["profile_for"]


def profile_for(model: str) -> Any:
    """A ``ModelProfile`` for ``model`` (unknown models get the catalog's generic rules)."""
    spec = get_model(model)
    return {
        # Unknown (self-hosted, new) models get the catalog's conservative window.
        "max_input_tokens": planning_window(spec)[1],
        "max_output_tokens": spec.max_output_tokens,
        "text_inputs": True,
        "image_inputs": True,
        "image_url_inputs": True,
        "audio_inputs": True,
        "video_inputs": True,
        "pdf_inputs": False,
        # Media in a ToolMessage follows it as a user message (qwen_omni.tool_results).
        "image_tool_message": True,
        "pdf_tool_message": False,
        "text_outputs": True,
        "audio_outputs": spec.audio_output,
        "image_outputs": False,
        "video_outputs": False,
        "reasoning_output": spec.thinking != "none",
        "tool_calling": spec.tools,
        "tool_choice": spec.tools,
        "tool_call_streaming": spec.tools,
        # Native JSON-schema output is not documented for Qwen-Omni: structured output is
        # served by tool calling (or JSON mode), so agents should use their tool strategy.
        "structured_output": False,
    }
