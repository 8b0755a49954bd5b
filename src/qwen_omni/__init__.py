"""Qwen-Omni for LLM agents: one streaming adapter, media budgets and delivery, agent tools.

Quick start::

    from qwen_omni import OmniClient, video
    client = OmniClient()   # reads DASHSCOPE_API_KEY
    print(client.complete([video("clip.mp4"), "Describe this clip."]).text)
"""

from qwen_omni.catalog import ModelSpec, get_model, known_models
from qwen_omni.client import AsyncOmniClient, AsyncOmniStream, OmniClient, OmniStream
from qwen_omni.config import REGIONS, Settings, Timeouts, resolve_settings
from qwen_omni.content import (
    Audio,
    Image,
    InvalidToolCall,
    Message,
    Part,
    Text,
    ToolCall,
    Video,
    VideoFrames,
    audio,
    image,
    text,
    video,
    video_frames,
)
from qwen_omni.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    MediaAccessDenied,
    MediaError,
    MediaFetchError,
    MediaNotFetchableError,
    MediaNotFoundError,
    MediaTooLargeError,
    MediaTooLongError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    QwenOmniError,
    RateLimitError,
    RequestValidationError,
    ServiceError,
    ServiceMediaTooLargeError,
    StreamInterrupted,
    UnsupportedMediaError,
    UnsupportedModalityError,
    UploadError,
)
from qwen_omni.params import RequestParams
from qwen_omni.redact import install_log_filter as _install_log_filter
from qwen_omni.response import (
    AudioDelta,
    Event,
    Finish,
    OmniResponse,
    ReasoningDelta,
    Started,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageEvent,
)

__version__ = "0.1.0"

__all__ = [
    "REGIONS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncOmniClient",
    "AsyncOmniStream",
    "Audio",
    "AudioDelta",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "Event",
    "Finish",
    "Image",
    "MediaAccessDenied",
    "MediaError",
    "MediaFetchError",
    "MediaNotFetchableError",
    "MediaNotFoundError",
    "MediaTooLargeError",
    "MalformedResponseError",
    "MediaTooLongError",
    "Message",
    "ModelSpec",
    "NotFoundError",
    "OmniClient",
    "OmniResponse",
    "OmniStream",
    "Part",
    "PermissionDeniedError",
    "QuotaExceededError",
    "QwenOmniError",
    "RateLimitError",
    "ReasoningDelta",
    "RequestParams",
    "RequestValidationError",
    "ServiceError",
    "ServiceMediaTooLargeError",
    "Settings",
    "Started",
    "StreamInterrupted",
    "Text",
    "TextDelta",
    "Timeouts",
    "InvalidToolCall",
    "ToolCall",
    "ToolCallDelta",
    "UnsupportedMediaError",
    "UnsupportedModalityError",
    "UploadError",
    "Usage",
    "UsageEvent",
    "Video",
    "VideoFrames",
    "__version__",
    "audio",
    "get_model",
    "image",
    "known_models",
    "resolve_settings",
    "text",
    "video",
    "video_frames",
]

# Secrets never reach a log record, even when a service echoes one back (see redact).
_install_log_filter()
