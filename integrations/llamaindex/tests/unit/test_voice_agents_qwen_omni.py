from llama_index.core.voice_agents import BaseVoiceAgent, BaseVoiceAgentInterface

from llama_index.voice_agents.qwen_omni import BufferedAudioInterface, QwenOmniVoiceAgent


def test_class_hierarchy():
    assert BaseVoiceAgent in QwenOmniVoiceAgent.__mro__
    assert BaseVoiceAgentInterface in BufferedAudioInterface.__mro__


def test_interface_flushes_unplayed_audio_on_interrupt():
    iface = BufferedAudioInterface()
    iface.receive(b"\1\0" * 10)
    iface._speaker_callback()
    iface.receive(b"\2\0" * 10)
    iface.interrupt()
    assert bytes(iface.played) == b"\1\0" * 10
    assert not iface.queued
    assert iface.output()[:4] == b"RIFF"


def test_the_key_never_sits_on_the_agent():
    agent = QwenOmniVoiceAgent(
        api_key="sk-secret-123", base_url="http://127.0.0.1:9/compatible-mode/v1"
    )
    assert agent.api_key is None
    assert "sk-secret-123" not in repr(vars(agent))
