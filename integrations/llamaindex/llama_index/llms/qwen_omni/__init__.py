"""Qwen-Omni llms for LlamaIndex."""
