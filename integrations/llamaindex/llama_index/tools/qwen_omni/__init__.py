"""Qwen-Omni tools for LlamaIndex: ``QwenOmniToolSpec`` (analyze, mention, caption, summarize,
transcribe)."""

from llama_index.tools.qwen_omni.base import QwenOmniToolSpec

__all__ = ["QwenOmniToolSpec"]
