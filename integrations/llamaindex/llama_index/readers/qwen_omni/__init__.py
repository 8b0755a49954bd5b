"""Qwen-Omni readers for LlamaIndex: ``QwenOmniMediaReader`` (media → timed Documents)."""

from llama_index.readers.qwen_omni.base import MEDIA_EXTENSIONS, QwenOmniMediaReader

__all__ = ["MEDIA_EXTENSIONS", "QwenOmniMediaReader"]
