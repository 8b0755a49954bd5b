"""LangChain integration for Qwen-Omni."""
