"""Qwen-Omni readers for LlamaIndex."""
