"""The public API is pinned, and importing it stays light (heavy extras load on use)."""

import subprocess
import sys

import qwen_omni

EXPECTED = {
    "REGIONS", "APIConnectionError", "APIError", "APITimeoutError", "AsyncOmniClient",
    "AsyncOmniStream", "Audio", "AudioDelta", "AuthenticationError", "BadRequestError",
    "ConfigurationError", "Event", "Finish", "Image", "MediaAccessDenied", "MediaError",
    "MediaFetchError", "MediaNotFetchableError", "MediaNotFoundError", "MediaTooLargeError",
    "MalformedResponseError", "MediaTooLongError", "Message", "ModelSpec", "NotFoundError",
    "OmniClient", "OmniResponse",
    "OmniStream", "Part", "PermissionDeniedError", "QuotaExceededError", "QwenOmniError",
    "RateLimitError", "ReasoningDelta", "RequestParams", "RequestValidationError",
    "ServiceError", "ServiceMediaTooLargeError", "Settings", "Started", "StreamInterrupted",
    "Text", "TextDelta", "Timeouts", "InvalidToolCall", "ToolCall", "ToolCallDelta",
    "UnsupportedMediaError",
    "UnsupportedModalityError", "UploadError", "Usage", "UsageEvent", "Video", "VideoFrames",
    "__version__", "audio", "get_model", "image", "known_models", "resolve_settings", "text",
    "video", "video_frames",
}  # fmt: skip


def test_all_is_pinned():
    assert set(qwen_omni.__all__) == EXPECTED
    for name in qwen_omni.__all__:
        assert getattr(qwen_omni, name) is not None


def test_import_loads_no_heavy_dependency():
    code = (
        "import sys, qwen_omni, qwen_omni.media, qwen_omni.delivery, qwen_omni_emulator;"
        "heavy = {'av', 'PIL', 'numpy', 'oss2', 'openai', 'starlette', 'uvicorn', 'mcp'};"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_error_is_a_qwen_omni_error():
    for name in qwen_omni.__all__:
        obj = getattr(qwen_omni, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, qwen_omni.QwenOmniError), name
