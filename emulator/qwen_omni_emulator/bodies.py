"""The service's error bodies and messages, as documented (``reference/dashscope_api.md``).

One exception, :class:`ServiceError`, carries an HTTP status, a body and headers; everything in
the emulator that refuses a request raises it and the app turns it into a response.

Messages are copied verbatim from the reference (§1.3, §9 and the error-code page it cites),
trailing spaces and typos included ("only support stream mode, … model. ", "shoule be").
Where the reference documents no wording for a rule the catalog knows (one modality per
message, audio too long…), the message is ours and says so in a comment (``EMULATOR WORDING``);
it always contains the words the core's error mapping looks for ("modality", "too large",
"download"…).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from qwen_omni.catalog import DATA_URI_MAX_BYTES

__all__ = [
    "ALGO_PREFIX",
    "MSG",
    "ServiceError",
    "bad_request",
    "compat_error_body",
    "native_error_body",
    "new_request_id",
    "status_error",
]

#: Algorithm-side (data inspection) errors are wrapped with this prefix (§1.4, FastGPT#4393).
ALGO_PREFIX = "<400> InternalError.Algo.InvalidParameter: "


class MSG:
    """Documented error messages (§1.3, §9), verbatim."""

    STREAM_ONLY = (
        "This model only support stream mode, please enable the stream parameter to access "
        "the model. "
    )
    AUDIO_STREAM_ONLY = "'audio' output only support with stream=true"
    INVALID_URL = "The provided URL does not appear to be valid. Ensure it is correctly formatted."
    DATA_URI_TOO_LARGE = f"Exceeded limit on max bytes per data-uri item : {DATA_URI_MAX_BYTES}'."
    FILE_TOO_LARGE = "Multimodal file size is too large"
    DOWNLOAD_FAILED = "Failed to download multimodal content."
    DOWNLOAD_TIMEOUT = "Download the media resource timed out during the data inspection process."
    DOWNLOAD_UNABLE = "Unable to download the media resource during the data inspection process."
    MEDIA_NOT_FOUND = (
        "Failed to find the requested media resource during the data inspection process."
    )
    MEDIA_FORBIDDEN = (
        "Don't have authorization to access the media resource during the data inspection process."
    )
    MEDIA_FORMAT = "The media format is not supported or incorrect for the data inspection."
    AUDIO_FORMAT = "The audio format is illegal and cannot be opened."
    IMAGE_DECODE = "Failed to decode the image during the data inspection."
    IMAGE_SHAPE = "The image length and width do not meet the model restrictions."
    VIDEO_TOO_LONG = (
        "The video modality input does not meet the requirements because: The video file is "
        "too long."
    )
    AUDIO_EMPTY = "The audio is empty"
    TOOLS_UNSUPPORTED = "The tool call is not supported."
    JSON_WORD = (
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
        "'json_object'."
    )
    JSON_WITH_THINKING = "Json mode response is not supported when enable_thinking is true"
    TOOL_CHOICE_STRINGS = 'tool_choice is one of the strings that should be ["none", "auto"]'
    TOOL_WITHOUT_CALL = (
        'messages with role "tool" must be a response to a preceeding message with "tool_calls"'
    )
    BODY_INVALID = "Required body invalid, please check the request body format."
    NO_MODEL = "you must provide a model parameter."
    EMPTY_MESSAGES = "[] is too short"
    NO_USER = "The input messages do not contain elements with the role of user."
    CONTENT_REQUIRED = "The content field is a required field."
    SEARCH_UNSUPPORTED = "This model does not support enable_search."
    TEMPERATURE = "Temperature should be in [0.0, 2.0)"
    TOP_P = "Range of top_p should be (0.0, 1.0]"
    PRESENCE_PENALTY = "Presence_penalty should be in [-2.0, 2.0]"
    TOP_K = "Parameter top_k be greater than or equal to 0"
    REPETITION_PENALTY = "Repetition_penalty should be greater than 0.0"
    SEED = "-1 is lesser than the minimum of 0 - 'seed'"
    INVALID_API_KEY = (
        "Incorrect API key provided. For details, see: "
        "https://help.aliyun.com/zh/model-studio/error-code#apikey-error"
    )
    NATIVE_INVALID_API_KEY = "Invalid API-key provided."
    RATE_LIMIT = (
        "You have exceeded your current request limit. For details, see: "
        "https://help.aliyun.com/zh/model-studio/error-code#rate-limit"
    )
    POLICY_RATE_LIMIT = "Requests rate limit exceeded, please try again later."
    INTERNAL = "An internal error has occured, please try again later or contact service support."
    UNAVAILABLE = "Model is unavailable, please try again later."
    # EMULATOR WORDING: text and ASR models refusing media; no documented message.
    UNSUPPORTED_INPUT = "The model {model} does not support {modality} input."
    # EMULATOR WORDING: the reference documents the rule (§2 multi-turn, §4.1) but no message.
    ONE_MODALITY = (
        "The input messages contain more than one modality besides text in one message, which "
        "is not supported by model {model}: each user message may hold text plus one other "
        "modality."
    )
    TOO_MANY_FILES = (
        "The {modality} modality input does not meet the requirements because: model {model} "
        "accepts at most {limit} {modality} file(s) per request."
    )
    AUDIO_TOO_LONG = (
        "The audio modality input does not meet the requirements because: The audio file is "
        "too long."
    )
    ASSISTANT_MEDIA = (
        "The assistant message only supports text content; media modality input is only "
        "accepted in user messages."
    )
    AUDIO_OUTPUT_UNSUPPORTED = "The model {model} does not support the audio output modality."
    AUDIO_WITH_THINKING = "The audio output modality is not supported when enable_thinking is true"
    TOOL_CHOICE_THINKING = (
        "The tool_choice parameter does not support being set to required or object in "
        "thinking mode."
    )
    TOO_MANY_INLINE = "Exceeded limit on max data-uri items per request : {limit}"

    @staticmethod
    def unsupported_part(kind: str) -> str:
        # modelstudioai/cli#54 (oss.md, Part B #4), with input_audio added for Omni models.
        return (
            f"Invalid value: {kind}. Supported values are: 'text','image_url','input_audio',"
            "'video_url' and 'video'"
        )

    @staticmethod
    def field_required(path: str) -> str:
        return f"Field required: {path}"

    @staticmethod
    def missing_parameter(name: str) -> str:
        return (
            f"Required parameter({name}) missing or invalid, please check the request parameters."
        )

    @staticmethod
    def model_not_found(model: str) -> str:
        return f"The model `{model}` does not exist or you do not have access to it."

    @staticmethod
    def thinking_unsupported(model: str) -> str:
        return f"The model {model} does not support enable_thinking."

    @staticmethod
    def max_tokens(limit: int) -> str:
        return f"Range of max_tokens should be [1, {limit}]"

    @staticmethod
    def input_length(limit: int) -> str:
        return f"Range of input length should be [1, {limit}]"

    @staticmethod
    def frames_range(lo: int, hi: int) -> str:
        return (
            "The video modality input does not meet the requirements because: the range of "
            f"sequence images shoule be ({lo}, {hi})."
        )

    @staticmethod
    def voice(options: tuple[str, ...]) -> str:
        quoted = [f"'{v}'" for v in options]
        listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
        return f"Input should be {listed}: parameters.audio.voice"


def new_request_id() -> str:
    """A DashScope-style request id (a UUID)."""
    return str(uuid.uuid4())


def compat_error_body(
    message: str,
    *,
    code: str = "invalid_parameter_error",
    type_: str = "invalid_request_error",
    param: str | None = None,
    request_id: str,
    with_id: bool = True,
) -> dict[str, Any]:
    """The OpenAI-compatible error body (§1.3, §1.4)."""
    body: dict[str, Any] = {
        "error": {"code": code, "param": param, "message": message, "type": type_},
    }
    if with_id:
        body["id"] = f"chatcmpl-{request_id}"
    body["request_id"] = request_id
    return body


def native_error_body(code: str, message: str, *, request_id: str) -> dict[str, Any]:
    """A DashScope-native (``/api/v1``) error body: flat ``code``/``message``/``request_id``."""
    return {"code": code, "message": message, "request_id": request_id}


class ServiceError(Exception):
    """A refusal the emulator answers with ``status`` and a JSON ``body``."""

    def __init__(
        self, status: int, body: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status}: {json.dumps(body, ensure_ascii=False)}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    @property
    def message(self) -> str:
        err = self.body.get("error")
        if isinstance(err, dict):
            return str(err.get("message", ""))
        return str(self.body.get("message", ""))


def bad_request(
    message: str,
    *,
    request_id: str,
    algo: bool = False,
    code: str = "invalid_parameter_error",
    param: str | None = None,
) -> ServiceError:
    """HTTP 400 ``invalid_parameter_error``; ``algo`` adds the data-inspection prefix."""
    text = ALGO_PREFIX + message if algo else message
    return ServiceError(400, compat_error_body(text, code=code, param=param, request_id=request_id))


#: status → (message, type, code) of the OpenAI-compatible body (§1.4, §9)
_STATUS_BODIES: dict[int, tuple[str, str, str]] = {
    400: (
        "The request is missing required parameters or in a wrong format, please check the "
        "parameters that you send.",
        "invalid_request_error",
        "invalid_parameter_error",
    ),
    401: (MSG.INVALID_API_KEY, "invalid_request_error", "invalid_api_key"),
    403: ("Access denied.", "invalid_request_error", "access_denied"),
    404: ("Not found!", "invalid_request_error", "not_found"),
    # 408: the service answers its own timeout as 500 RequestTimeOut (§9); kept for tests.
    408: ("Request timed out, please try again later.", "request_timeout", "request_timeout"),
    429: (MSG.RATE_LIMIT, "limit_requests", "limit_requests"),
    500: (MSG.INTERNAL, "internal_error", "internal_error"),
    # EMULATOR WORDING for the type/code: §9 names the error ModelUnavailable only.
    503: (MSG.UNAVAILABLE, "model_unavailable", "model_unavailable"),
}


def status_error(
    status: int,
    *,
    request_id: str,
    message: str | None = None,
    code: str | None = None,
    type_: str | None = None,
    retry_after: float | None = None,
) -> ServiceError:
    """The documented error for an HTTP status (429 ``limit_requests``, 500 ``internal_error``…).

    ``retry_after`` adds a ``Retry-After`` header (seconds). Whether the real service sends one
    is UNCONFIRMED (§9); clients must work both ways, so the emulator can do both.
    """
    default = _STATUS_BODIES.get(status) or _STATUS_BODIES[500 if status >= 500 else 400]
    body = compat_error_body(
        message or default[0],
        code=code or default[2],
        type_=type_ or default[1],
        request_id=request_id,
        with_id=False,
    )
    headers = {}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    return ServiceError(status, body, headers=headers)
