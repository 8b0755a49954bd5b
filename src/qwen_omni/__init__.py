"""Qwen-Omni for LLM agents."""
