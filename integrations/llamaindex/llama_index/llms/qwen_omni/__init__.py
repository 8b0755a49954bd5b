"""Qwen-Omni for LlamaIndex: the ``QwenOmni`` multimodal, function-calling LLM."""

from llama_index.llms.qwen_omni.base import QwenOmni

__all__ = ["QwenOmni"]
