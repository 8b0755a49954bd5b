"""Qwen-Omni tools for LlamaIndex."""
