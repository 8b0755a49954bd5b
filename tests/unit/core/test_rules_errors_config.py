"""Catalog rules before sending, the error mapping point, and settings resolution."""

import httpx
import openai
import pytest

from qwen_omni import (
    AuthenticationError,
    ConfigurationError,
    MediaFetchError,
    Message,
    QuotaExceededError,
    RateLimitError,
    RequestParams,
    RequestValidationError,
    ServiceError,
    ServiceMediaTooLargeError,
    get_model,
    resolve_settings,
)
from qwen_omni.content import Audio, Image, Video, VideoFrames
from qwen_omni.errors import APIConnectionError, BadRequestError, is_retryable, map_api_error
from qwen_omni.rules import check_request

VID = Video(url="https://x/v.mp4")
AUD = Audio(url="https://x/a.mp3")
IMG = Image(url="https://x/i.png")


def user(*parts):
    return [Message(role="user", content=parts)]


@pytest.mark.parametrize(
    ("model", "messages", "params", "rule"),
    [
        ("qwen3-omni-flash", user(VID, AUD), {}, "one_modality_per_message"),
        ("qwen-omni-turbo", user(IMG, AUD), {}, "one_modality_per_message"),
        ("qwen3-omni-flash", user(VID) + user(Video(url="https://x/w.mp4")), {}, "max_video_files"),
        ("qwen-omni-turbo", user(AUD), {"tools": ({"type": "function"},)}, "tools_supported"),
        ("qwen3-omni-flash", user(AUD), {"modalities": ("text", "audio"), "voice": "Nobody"},
         "voice"),
        ("qwen3.8-omni-flash", user(AUD), {"modalities": ("text", "audio")}, "audio_output"),
        ("qwen3-omni-flash", user(AUD), {"modalities": ("text", "audio"), "enable_thinking": True},
         "audio_with_thinking"),
        ("qwen3.5-omni-plus", user(AUD), {"enable_thinking": True}, "thinking_supported"),
        ("qwen3-omni-flash", user(AUD), {"max_tokens": 16385}, "max_tokens"),
        ("qwen3-omni-flash", user(AUD), {"temperature": 2.0}, "temperature"),
        ("qwen3-omni-flash", user(AUD), {"seed": -1}, "seed"),
        ("qwen3-omni-flash", user(AUD), {"audio_format": "mp3", "modalities": ("text", "audio")},
         "audio_format"),
        ("qwen3-omni-flash", user(AUD),
         {"enable_thinking": True, "response_format": {"type": "json_object"}},
         "json_with_thinking"),
        ("qwen3-omni-flash", user(VideoFrames(frames=(IMG,))), {}, "video_frames_count"),
        ("qwen3-omni-flash", [Message(role="assistant", content=(IMG,))], {},
         "media_in_user_messages_only"),
    ],
)
def test_catalog_rules_fail_before_sending(model, messages, params, rule):
    with pytest.raises(RequestValidationError) as info:
        check_request(get_model(model), messages, RequestParams(**params))
    assert info.value.rule == rule
    assert str(info.value)  # a sentence a person can act on


def test_mixed_modalities_pass_on_qwen35_and_unknown_models():
    check_request(get_model("qwen3.5-omni-plus"), user(VID, AUD, IMG), RequestParams())
    unknown = get_model("qwen9-omni-future")
    assert unknown.known is False
    check_request(unknown, user(VID, AUD, IMG), RequestParams(enable_thinking=True))


def test_catalog_facts():
    flash = get_model("qwen3-omni-flash")
    assert flash.video_max_seconds == 150 and flash.max_video_files == 1
    assert flash.tokens.image_patch == 32 and get_model("qwen-omni-turbo").tokens.image_patch == 28
    assert get_model("qwen3-omni-flash-2025-12-01").family == "qwen3-omni-flash"
    assert flash.price("beijing").input_audio == 15.8
    assert get_model("qwen3.5-omni-plus").price("beijing").confirmed is False


def _status_error(status, body, headers=None):
    request = httpx.Request("POST", "https://dashscope.aliyuncs.com/compatible-mode/v1/x")
    response = httpx.Response(status, json=body, headers=headers or {}, request=request)
    cls = openai.APIStatusError
    return cls("err", response=response, body=body)


STREAM_ONLY = {
    "error": {
        "code": "invalid_parameter_error",
        "param": None,
        "message": "This model only support stream mode, please enable the stream parameter "
        "to access the model. ",
        "type": "invalid_request_error",
    },
    "request_id": "7ed765de-1",
}


def test_map_status_errors_keep_status_code_request_id_and_cause():
    err = map_api_error(_status_error(400, STREAM_ONLY))
    assert type(err) is BadRequestError
    assert err.status_code == 400 and err.request_id == "7ed765de-1"
    assert err.code == "invalid_parameter_error"

    limit = {"error": {"message": "You exceeded your current requests list.",
                       "type": "limit_requests", "code": "limit_requests"}, "request_id": "r2"}
    err = map_api_error(_status_error(429, limit, {"retry-after": "3"}))
    assert isinstance(err, RateLimitError) and err.retry_after == 3.0 and is_retryable(err)

    quota = {"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}}
    err = map_api_error(_status_error(429, quota))
    assert isinstance(err, QuotaExceededError) and not is_retryable(err)

    fetch = {"error": {"message": "Download the media resource timed out during the data "
                       "inspection process.", "code": "invalid_parameter_error"}}
    err = map_api_error(_status_error(400, fetch))
    assert isinstance(err, MediaFetchError) and "public internet" in str(err)

    big = {"error": {"message": "Exceeded limit on max bytes per data-uri item : 10485760'. / "
                     "Multimodal file size is too large", "code": "invalid_parameter_error"}}
    assert isinstance(map_api_error(_status_error(400, big)), ServiceMediaTooLargeError)

    auth = {"error": {"message": "Incorrect API key provided.", "code": "invalid_api_key"}}
    assert isinstance(map_api_error(_status_error(401, auth)), AuthenticationError)
    assert isinstance(map_api_error(_status_error(500, {"error": {"message": "x"}})), ServiceError)
    assert not is_retryable(map_api_error(_status_error(400, STREAM_ONLY)))


def test_map_connection_errors():
    request = httpx.Request("POST", "http://127.0.0.1:1/")
    err = map_api_error(openai.APIConnectionError(request=request))
    assert isinstance(err, APIConnectionError) and is_retryable(err)


def test_settings_precedence_and_secrecy(monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-env-secret")
    monkeypatch.delenv("QWEN_OMNI_BASE_URL", raising=False)
    monkeypatch.delenv("QWEN_OMNI_REGION", raising=False)
    s = resolve_settings()
    assert s.api_key.get_secret_value() == "sk-env-secret"
    assert s.region == "beijing" and s.base_url.startswith("https://dashscope.aliyuncs.com")
    assert "sk-env-secret" not in repr(s) and "sk-env-secret" not in str(s)
    s2 = resolve_settings(api_key="sk-arg", region="intl")
    assert s2.api_key.get_secret_value() == "sk-arg" and s2.region == "singapore"
    ws = resolve_settings(base_url="https://ws1.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1")
    assert ws.region == "singapore" and ws.api_base_url.endswith("/api/v1")
    local = resolve_settings(base_url="http://127.0.0.1:8000/compatible-mode/v1")
    assert local.is_local and local.region is None
    with pytest.raises(ConfigurationError, match="unknown region"):
        resolve_settings(region="mars")


def test_missing_key_says_how_to_fix(monkeypatch):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="DASHSCOPE_API_KEY"):
        resolve_settings().require_key()
