"""LangChain integration for Qwen-Omni: the chat model, agent tools and a media loader.

.. code-block:: python

    from langchain_qwen_omni import ChatQwenOmni

    llm = ChatQwenOmni()  # DASHSCOPE_API_KEY; qwen3-omni-flash
    llm.invoke([{"role": "user", "content": [
        {"type": "video", "path": "clip.mp4"},
        {"type": "text", "text": "What happens here?"},
    ]}])
"""

from langchain_qwen_omni._chunks import get_audio
from langchain_qwen_omni.chat_models import ChatQwenOmni

__version__ = "0.1.0"

__all__ = ["ChatQwenOmni", "__version__", "get_audio"]
