"""Errors raised by qwen-omni, split by who must act.

::

    QwenOmniError
    ├── ConfigurationError          you: a key, region, endpoint or store is missing or wrong
    ├── RequestValidationError      you: the request breaks a model rule (checked before sending)
    ├── MediaError                  the media: unreadable, corrupt, too big, too long, not fetchable
    │   ├── MediaNotFoundError          a local file does not exist
    │   ├── UnsupportedMediaError       unknown or unsupported format or codec, wrong modality
    │   ├── MediaTooLargeError          over a byte, pixel or inline cap
    │   ├── MediaTooLongError           over the model's duration limit
    │   ├── MediaAccessDenied           the access policy refused a path or URL (agent input)
    │   ├── MediaNotFetchableError      a URL the service can never fetch (private, expired…)
    │   └── UploadError                 a store could not upload or sign
    ├── APIError                    the service answered with an error (status, code, request id)
    │   ├── BadRequestError             400
    │   │   ├── MediaFetchError             400: the service could not download a media URL
    │   │   ├── ServiceMediaTooLargeError   400: the service found an item too large
    │   │   └── UnsupportedModalityError    400: modality or tool not supported by the model
    │   ├── AuthenticationError         401
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404 (model not found)
    │   ├── RateLimitError              429 (``retry_after`` when the service says)
    │   │   └── QuotaExceededError          429/400 quota or arrears: retrying will not help
    │   └── ServiceError                5xx
    │       └── MalformedResponseError      a response we cannot read: bad JSON or base64, an
    │                                       unknown chunk shape, an event over the size cap
    ├── APIConnectionError          no answer: connection refused, reset, DNS
    │   └── APITimeoutError             connect, first-byte or total timeout
    └── StreamInterrupted           the stream failed after text reached you; ``partial`` holds it
        └── StreamTimedOut              … because the total timeout expired (also APITimeoutError)

``map_api_error`` is the one place that turns the ``openai`` SDK's exceptions and DashScope
error bodies into this tree; it always keeps the original as ``__cause__``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qwen_omni.response import OmniResponse

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "MediaAccessDenied",
    "MediaError",
    "MediaFetchError",
    "MediaNotFetchableError",
    "MediaNotFoundError",
    "MediaTooLargeError",
    "MalformedResponseError",
    "MediaTooLongError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "QwenOmniError",
    "RateLimitError",
    "RequestValidationError",
    "ServiceError",
    "ServiceMediaTooLargeError",
    "StreamInterrupted",
    "StreamTimedOut",
    "UnsupportedMediaError",
    "UnsupportedModalityError",
    "UploadError",
    "error_from_body",
    "excerpt",
    "is_context_overflow",
    "is_retryable",
    "map_api_error",
]

FETCH_HINT = (
    "the service must be able to download it from the public internet: sign it (OSS signed URL), "
    "upload it (delivery='oss' or 'dashscope_temp'), or send it inline (delivery='inline')"
)


class QwenOmniError(Exception):
    """Base class of every error raised by qwen-omni.

    Configured secrets (the API key, the OSS secret) are masked in the message, even when a
    service or gateway echoed one back (:mod:`qwen_omni.redact`).
    """

    def __init__(self, *args: Any) -> None:
        from qwen_omni.redact import redact_value

        super().__init__(*(redact_value(a) for a in args))


class ConfigurationError(QwenOmniError):
    """A setting is missing or wrong: API key, region, endpoint, OSS bucket or credentials."""


class RequestValidationError(QwenOmniError, ValueError):
    """The request breaks a rule of the model (from the catalog); nothing was sent.

    Attributes:
        rule: short name of the rule, e.g. ``"max_videos_per_message"``.
        value: the offending value.
        limit: the limit the rule sets.
    """

    def __init__(
        self, message: str, *, rule: str = "", value: Any = None, limit: Any = None
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.value = value
        self.limit = limit


class MediaError(QwenOmniError):
    """A problem with a piece of media; ``source`` names the file or URL."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        value: Any = None,
        limit: Any = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.value = value
        self.limit = limit


class MediaNotFoundError(MediaError, FileNotFoundError):
    """A local media file does not exist."""


class UnsupportedMediaError(MediaError):
    """The content is not a supported format or codec, or not the expected modality."""


class MediaTooLargeError(MediaError):
    """Bytes, pixels or an inline data URI exceed a limit."""


class MediaTooLongError(MediaError):
    """Audio or video is longer than the model accepts."""


class MediaAccessDenied(MediaError, PermissionError):
    """The media access policy refused a path or URL (typically from an agent's arguments)."""


class MediaNotFetchableError(MediaError):
    """A URL the service could never fetch: private or loopback host, internal endpoint, expired."""


class UploadError(MediaError):
    """Uploading or signing media in a store failed."""


class APIError(QwenOmniError):
    """The service answered with an error.

    Attributes:
        status_code: HTTP status, or None for errors inside a stream.
        code: DashScope/OpenAI error code, e.g. ``"invalid_parameter_error"``.
        request_id: DashScope ``request_id`` (quote it to support).
        body: the decoded error body.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        from qwen_omni.redact import redact, redact_value

        message = redact(message)
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.body = redact_value(body)

    def __str__(self) -> str:
        parts = [self.message]
        meta = []
        if self.status_code is not None:
            meta.append(f"status {self.status_code}")
        if self.code:
            meta.append(f"code {self.code}")
        if self.request_id:
            meta.append(f"request_id {self.request_id}")
        if meta:
            parts.append(f"({', '.join(meta)})")
        return " ".join(parts)


class BadRequestError(APIError):
    """HTTP 400: the service rejected the request. Not retried."""


class MediaFetchError(BadRequestError, MediaError):
    """The service could not download, find or open a media URL."""


class ServiceMediaTooLargeError(BadRequestError, MediaTooLargeError):
    """The service found a media item too large (e.g. a data URI over 10,485,760 bytes)."""


class UnsupportedModalityError(BadRequestError):
    """The model does not accept this modality, combination or tool use."""


class AuthenticationError(APIError):
    """HTTP 401: the API key is missing, wrong, or from another region."""


class PermissionDeniedError(APIError):
    """HTTP 403: the key may not use this model or resource."""


class NotFoundError(APIError):
    """HTTP 404: unknown model or endpoint."""


class RateLimitError(APIError):
    """HTTP 429: throttled. ``retry_after`` is the server's hint in seconds, when given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class QuotaExceededError(RateLimitError):
    """Quota or arrears: retrying soon will not help; raise the quota or top up."""


class ServiceError(APIError):
    """HTTP 5xx: the service failed. Retried with backoff."""


class MalformedResponseError(ServiceError):
    """The service (or a proxy in between) sent something that is not a valid response.

    Bad JSON in a chunk, invalid base64 audio, a chunk of an unknown shape, a non-stream body,
    or one SSE line/event over the size cap. Retried like a 5xx before any output; if it
    persists, check that ``base_url`` points at an OpenAI-compatible endpoint.
    """


class APIConnectionError(QwenOmniError):
    """No answer from the service: connection refused or reset, DNS failure, TLS error."""


class APITimeoutError(APIConnectionError, TimeoutError):
    """A connect, first-byte or total timeout expired."""


class StreamInterrupted(QwenOmniError):
    """The stream failed after part of the answer had reached the caller.

    ``partial`` is the response assembled from what arrived (never a silently short answer).
    """

    def __init__(self, message: str, *, partial: OmniResponse | None = None) -> None:
        super().__init__(message)
        self.partial = partial


class StreamTimedOut(StreamInterrupted, APITimeoutError):
    """The total timeout expired after part of the answer had reached the caller."""


# --- the one mapping point -----------------------------------------------------------------

_FETCH_MARKERS = (
    "download",
    "failed to find the requested media",
    "authorization to access the media",
    "does not appear to be valid",
)
_TOO_LARGE_MARKERS = ("too large", "max bytes per data-uri", "exceeded limit on max bytes")
_MODALITY_MARKERS = ("tool call is not supported", "does not support", "modality")
_QUOTA_CODES = {"insufficient_quota", "arrearage", "throttling.allocationquota"}


#: The most of an error body kept in a message or on the exception: an HTML error page of
#: hundreds of KB must not travel whole into logs and an agent's tool message.
ERROR_EXCERPT_CHARS = 500


def excerpt(text: str, limit: int = ERROR_EXCERPT_CHARS) -> str:
    """``text`` with markup and runs of whitespace removed, cut to ``limit`` characters."""
    if "<" in text and ">" in text:
        import re

        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", text[: limit * 200])
        text = re.sub(r"(?s)<[^>]{0,2000}>", " ", text)
    text = " ".join(text[: limit * 200].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounded(body: Any) -> Any:
    """The body as kept on an exception: large text is cut to an excerpt."""
    if isinstance(body, bytes):
        body = body[: ERROR_EXCERPT_CHARS * 200].decode("utf-8", "replace")
    if isinstance(body, str) and len(body) > ERROR_EXCERPT_CHARS:
        return excerpt(body)
    return body


def _error_fields(body: Any) -> tuple[str | None, str | None, str | None]:
    """(message, code, request_id) from an OpenAI-compatible or DashScope-native error body."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except (ValueError, TypeError, RecursionError):
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            return (excerpt(text) or None), None, None
    if not isinstance(body, dict):
        return None, None, None
    request_id = _short(body.get("request_id"))
    err = body.get("error")
    if isinstance(err, dict):
        message, code = err.get("message"), err.get("code") or err.get("type")
    elif isinstance(err, str):
        message, code = err, body.get("code")
    else:
        # DashScope-native flat body, or the openai SDK having already unwrapped "error".
        message, code = body.get("message"), body.get("code") or body.get("type")
    message = excerpt(message) if isinstance(message, str) else None
    return message, _short(code), request_id


def _short(value: Any) -> str | None:
    """A code or id as text, bounded (None when absent or not a scalar)."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value)[:200]


#: Error codes → the HTTP status they come with (reference: error tables), for error bodies
#: that arrive inside a stream or with HTTP 200.
_CODE_STATUS = (
    ("invalid_api_key", 401),
    ("invalidapikey", 401),
    ("access_denied", 403),
    ("accessdenied", 403),
    ("model_not_found", 404),
    ("modelnotfound", 404),
    ("throttling", 429),
    ("limit_requests", 429),
    ("limit_burst_rate", 429),
    ("rate_limit", 429),
    ("internal_error", 500),
    ("internalerror", 500),
    ("service_unavailable", 503),
    ("invalid", 400),
    ("data_inspection", 400),
    ("datainspection", 400),
)


def error_from_body(
    body: Any, *, request_id: str | None = None, status: int | None = None, headers: Any = None
) -> APIError:
    """The error an error body means when it came inside a stream or with HTTP 200.

    The status is taken from the code (``Arrearage`` → quota, ``Throttling`` → 429,
    ``InternalError`` → 5xx, ``DataInspectionFailed`` → 400 …), so it maps like the same
    error sent with its HTTP status. An unknown code stays a plain ``APIError``.
    """
    _, code, _ = _error_fields(body)
    code_low = (code or "").lower().replace(".", "_")
    inferred = next((st for key, st in _CODE_STATUS if key in code_low), None)
    err = error_from_status(inferred or 0, body, headers=headers, request_id=request_id)
    err.status_code = status
    return err


def _parse_retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    for name in ("retry-after-ms", "retry-after"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                import datetime as _dt

                when = parsedate_to_datetime(value)
                seconds = (when - _dt.datetime.now(when.tzinfo)).total_seconds()
            except (TypeError, ValueError):
                continue
        if name == "retry-after-ms":
            seconds /= 1000.0
        if seconds != seconds:  # NaN: no usable hint
            continue
        # inf or absurd values stay large (the client then raises at once instead of waiting)
        return min(max(0.0, seconds), 10.0**9)
    return None


def error_from_status(
    status: int,
    body: Any,
    *,
    headers: Any = None,
    request_id: str | None = None,
) -> APIError:
    """Build the right ``APIError`` subclass for an HTTP status and error body."""
    message, code, body_request_id = _error_fields(body)
    request_id = body_request_id or request_id
    if headers is not None and not request_id:
        request_id = _short(headers.get("x-request-id") or headers.get("x-dashscope-request-id"))
    message = (message or (f"HTTP {status}" if status else "error")).strip()
    low = message.lower()
    code_low = (code or "").lower()
    kw: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "request_id": request_id,
        "body": _bounded(body),
    }
    if code_low in _QUOTA_CODES or "quota" in low or "arrearage" in code_low:
        return QuotaExceededError(
            f"{message} — quota or account balance exhausted; raise the quota or top up in the "
            "Model Studio console",
            retry_after=_parse_retry_after(headers),
            **kw,
        )
    if status == 400:
        if any(m in low for m in _TOO_LARGE_MARKERS):
            return ServiceMediaTooLargeError(
                f"{message} — send a smaller file (prepare it), or deliver it by URL "
                "(delivery='oss' or 'dashscope_temp') instead of inline",
                **kw,
            )
        if any(m in low for m in _FETCH_MARKERS) or "datainspection" in code_low:
            return MediaFetchError(f"{message} — {FETCH_HINT}", **kw)
        if any(m in low for m in _MODALITY_MARKERS):
            return UnsupportedModalityError(message, **kw)
        return BadRequestError(message, **kw)
    if status == 401:
        return AuthenticationError(
            f"{message} — check DASHSCOPE_API_KEY; keys are per region (Beijing keys do not work "
            "in Singapore and vice versa)",
            **kw,
        )
    if status == 403:
        return PermissionDeniedError(message, **kw)
    if status == 404:
        return NotFoundError(message, **kw)
    if status == 429:
        return RateLimitError(message, retry_after=_parse_retry_after(headers), **kw)
    if status >= 500:
        return ServiceError(
            f"{message} — the service failed; it was retried if retries were left: try again "
            "later, and quote the request_id to support if it persists",
            **kw,
        )
    return APIError(message, **kw)


def map_api_error(exc: BaseException) -> QwenOmniError:
    """Map an ``openai`` SDK or ``httpx`` exception to our tree (the caller raises it ``from exc``).

    Our own errors pass through unchanged.
    """
    if isinstance(exc, QwenOmniError):
        return exc
    import openai

    if isinstance(exc, openai.APIStatusError):
        response = exc.response
        try:
            body: Any = response.json()
        except Exception:  # the body may be empty or not JSON; keep what the SDK decoded
            body = exc.body
        return error_from_status(
            exc.status_code,
            body,
            headers=response.headers,
            request_id=getattr(exc, "request_id", None),
        )
    # openai 3.x runs on httpx2 and wraps its transport errors; a bare httpx/httpx2 error can
    # still escape from a response body read, so those are recognised by name too.
    transport = type(exc).__module__.split(".")[0] in ("httpx", "httpx2")
    if isinstance(exc, (openai.APITimeoutError, TimeoutError)) or (
        transport and "Timeout" in type(exc).__name__
    ):
        return APITimeoutError(f"timed out talking to the service: {exc or type(exc).__name__}")
    if isinstance(exc, (openai.APIConnectionError, ConnectionError)) or transport:
        cause = exc.__cause__ or exc
        return APIConnectionError(f"could not reach the service: {cause or type(cause).__name__}")
    if isinstance(exc, openai.APIError):
        # An error event inside the SSE stream ({"error": {...}} data line).
        body = getattr(exc, "body", None)
        message, code, request_id = _error_fields({"error": body} if body else None)
        return APIError(message or str(exc), code=code, request_id=request_id, body=body)
    return QwenOmniError(f"unexpected {type(exc).__name__}: {exc}")


def is_retryable(err: QwenOmniError) -> bool:
    """Whether repeating the same request may succeed: 408/409/429 (not quota), 5xx, connection."""
    if isinstance(err, QuotaExceededError):
        return False
    if isinstance(err, (RateLimitError, ServiceError, APIConnectionError)):
        return True
    return isinstance(err, APIError) and err.status_code in (408, 409)


#: The service's words for an input over the model's window (reference, error table:
#: "Range of input length should be [1, xxx]"); "max_tokens" ranges are a different mistake.
_CONTEXT_OVERFLOW_MARKERS = ("range of input length", "input length should be")


def is_context_overflow(err: BaseException) -> bool:
    """Whether ``err`` says the input is longer than the model's context window.

    Two sources: the catalog (``RequestValidationError`` with rule ``context_window``, raised
    before sending when the text alone is over the model's input limit) and the service
    (a 400 whose message is "Range of input length should be [1, N]"). Frameworks map it to
    their own "context overflow" error (LangChain's summarization middleware reacts to it).
    """
    if isinstance(err, RequestValidationError):
        return err.rule == "context_window"
    if isinstance(err, BadRequestError):
        return any(m in str(err).lower() for m in _CONTEXT_OVERFLOW_MARKERS)
    return False
