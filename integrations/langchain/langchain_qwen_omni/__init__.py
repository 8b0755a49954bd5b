"""LangChain integration for Qwen-Omni: the chat model, agent tools and a media loader.

- :class:`ChatQwenOmni`: text, image, audio and video in; text and speech out.
- :class:`QwenOmniToolkit` (and one tool class per task): analyze_video, analyze_image,
  analyze_audio, did_call_mention, caption_product_video, summarize_long_video, transcribe.
- :class:`QwenOmniMediaLoader`: media → one ``Document`` per segment.
- :func:`get_audio`: the WAV bytes of a spoken reply.
- :class:`QwenOmniMediaCache`: wraps any LangChain LLM cache so media is keyed by its bytes.

.. code-block:: python

    from langchain_qwen_omni import ChatQwenOmni

    llm = ChatQwenOmni()  # DASHSCOPE_API_KEY; qwen3-omni-flash
    llm.invoke([{"role": "user", "content": [
        {"type": "video", "path": "clip.mp4"},
        {"type": "text", "text": "What happens here?"},
    ]}])
"""

from importlib import metadata as _metadata

from langchain_qwen_omni._chunks import get_audio
from langchain_qwen_omni.caches import QwenOmniMediaCache
from langchain_qwen_omni.chat_models import ChatQwenOmni
from langchain_qwen_omni.document_loaders import QwenOmniMediaLoader
from langchain_qwen_omni.toolkits import QwenOmniToolkit
from langchain_qwen_omni.tools import (
    AnalyzeAudioTool,
    AnalyzeImageTool,
    AnalyzeVideoTool,
    CaptionProductVideoTool,
    DidCallMentionTool,
    QwenOmniTool,
    SummarizeLongVideoTool,
    TranscribeTool,
)

try:  # the version lives once, in pyproject.toml
    __version__ = _metadata.version("langchain-qwen-omni")
except _metadata.PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "QwenOmniMediaCache",
    "AnalyzeAudioTool",
    "AnalyzeImageTool",
    "AnalyzeVideoTool",
    "CaptionProductVideoTool",
    "ChatQwenOmni",
    "DidCallMentionTool",
    "QwenOmniMediaLoader",
    "QwenOmniTool",
    "QwenOmniToolkit",
    "SummarizeLongVideoTool",
    "TranscribeTool",
    "__version__",
    "get_audio",
]
