"""A LlamaIndex voice agent (``BaseVoiceAgent``) on Qwen-Omni realtime sessions."""

from llama_index.voice_agents.qwen_omni.base import (
    BufferedAudioInterface,
    QwenOmniVoiceAgent,
    QwenOmniVoiceAgentEvent,
    QwenOmniVoiceAgentWebsocket,
)

__all__ = [
    "BufferedAudioInterface",
    "QwenOmniVoiceAgent",
    "QwenOmniVoiceAgentEvent",
    "QwenOmniVoiceAgentWebsocket",
]
