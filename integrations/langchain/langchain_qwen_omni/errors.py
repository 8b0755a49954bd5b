"""qwen-omni's errors in LangChain's taxonomy (``langchain_core.exceptions.ModelError``).

Each class here is BOTH the core's error (so ``except qwen_omni.AuthenticationError`` keeps
working, with ``status_code``, ``request_id``…) and LangChain's (so ``ModelRetryMiddleware``
reads ``is_retryable`` and does not retry a bad key, and the summarization middleware sees a
``ContextOverflowError``), the way langchain-openai's classes inherit from both the SDK's error
and LangChain's. The core stays free of LangChain: the mapping lives in this package.

==============================  ==========================================  ==============
core error                      LangChain error                             is_retryable
==============================  ==========================================  ==============
AuthenticationError (401)       ModelAuthenticationError                    False
PermissionDeniedError (403)     ModelPermissionDeniedError                  False
NotFoundError (404)             ModelNotFoundError                          False
context overflow (catalog/400)  ContextOverflowError                        False
BadRequestError (400),          ModelInvalidRequestError                    False
RequestValidationError
QuotaExceededError              ModelRateLimitError                         False (a quota)
RateLimitError (429)            ModelRateLimitError                         True
ServiceError (5xx)              ModelAPIError                               True
APITimeoutError                 ModelTimeoutError                           True
APIConnectionError              ModelConnectionError                        True
==============================  ==========================================  ==============

Media errors (a missing file, a video too long…) and ``StreamInterrupted`` are not model
failures in LangChain's sense and pass through unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, NoReturn, TypeVar

from langchain_core import exceptions as lc

import qwen_omni.errors as core
from qwen_omni.errors import is_context_overflow

__all__ = [
    "QwenOmniAPIError",
    "QwenOmniAuthenticationError",
    "QwenOmniConnectionError",
    "QwenOmniContextOverflowError",
    "QwenOmniInvalidRequestError",
    "QwenOmniNotFoundError",
    "QwenOmniPermissionDeniedError",
    "QwenOmniQuotaExceededError",
    "QwenOmniRateLimitError",
    "QwenOmniTimeoutError",
    "QwenOmniValidationError",
    "to_langchain_error",
]


class QwenOmniAuthenticationError(core.AuthenticationError, lc.ModelAuthenticationError):
    """401: the key is wrong or belongs to another region. Not retried."""


class QwenOmniPermissionDeniedError(core.PermissionDeniedError, lc.ModelPermissionDeniedError):
    """403: the key may not use this model or workspace. Not retried."""


class QwenOmniNotFoundError(core.NotFoundError, lc.ModelNotFoundError):
    """404: the model id is unknown to the endpoint. Not retried."""


class QwenOmniInvalidRequestError(core.BadRequestError, lc.ModelInvalidRequestError):
    """400: the service refused the request. Not retried."""


class QwenOmniValidationError(core.RequestValidationError, lc.ModelInvalidRequestError):
    """The request breaks a model rule from the catalog; nothing was sent. Not retried."""


class QwenOmniContextOverflowError(core.QwenOmniError, lc.ContextOverflowError):
    """The input is longer than the model's window (catalog check or the service's 400).

    ``rule``/``value``/``limit`` (catalog) or ``status_code``/``request_id`` (service) are
    copied from the core error, which is also the ``__cause__``.
    """


class QwenOmniRateLimitError(core.RateLimitError, lc.ModelRateLimitError):
    """429: too many requests; retried (``retry_after`` honoured by the core's own retries)."""


class QwenOmniQuotaExceededError(core.QuotaExceededError, lc.ModelRateLimitError):
    """Quota or balance exhausted: retrying will not help."""

    is_retryable = False


class QwenOmniAPIError(core.ServiceError, lc.ModelAPIError):
    """5xx: the service failed; retried."""


class QwenOmniTimeoutError(core.APITimeoutError, lc.ModelTimeoutError):
    """Connect, first-byte or total timeout; retried."""


class QwenOmniConnectionError(core.APIConnectionError, lc.ModelConnectionError):
    """No answer (refused, reset, DNS); retried."""


# Most specific first: the first match wins.
_MAP: tuple[tuple[type[core.QwenOmniError], type[Exception]], ...] = (
    (core.QuotaExceededError, QwenOmniQuotaExceededError),
    (core.RateLimitError, QwenOmniRateLimitError),
    (core.AuthenticationError, QwenOmniAuthenticationError),
    (core.PermissionDeniedError, QwenOmniPermissionDeniedError),
    (core.NotFoundError, QwenOmniNotFoundError),
    (core.ServiceError, QwenOmniAPIError),
    (core.APITimeoutError, QwenOmniTimeoutError),
    (core.APIConnectionError, QwenOmniConnectionError),
    (core.BadRequestError, QwenOmniInvalidRequestError),
    (core.RequestValidationError, QwenOmniValidationError),
)


def to_langchain_error(err: BaseException) -> BaseException:
    """``err`` as the class that is both the core's error and LangChain's (same message and
    attributes); other exceptions are returned unchanged. Raise the result ``from err``."""
    if isinstance(err, lc.ModelError) or not isinstance(err, core.QwenOmniError):
        return err
    target: type[Exception] | None = None
    if is_context_overflow(err):
        target = QwenOmniContextOverflowError
    else:
        target = next((dual for base, dual in _MAP if isinstance(err, base)), None)
    if target is None:
        return err
    # A copy of the core error re-classed: __init__ signatures differ across the tree, and
    # every attribute (status_code, request_id, rule, limit…) must survive.
    out = target.__new__(target)
    out.__dict__.update(err.__dict__)
    out.args = err.args
    return out


_T = TypeVar("_T")


def _raise_mapped(exc: core.QwenOmniError) -> NoReturn:
    mapped = to_langchain_error(exc)
    if mapped is exc:
        raise exc
    raise mapped from exc


def translating_errors(
    fn: Callable[..., Iterator[_T]],
) -> Callable[..., Iterator[_T]]:
    """Decorate a sync generator method: core errors leave it in LangChain's taxonomy."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[_T]:
        try:
            yield from fn(*args, **kwargs)
        except core.QwenOmniError as exc:
            _raise_mapped(exc)

    return wrapper


def atranslating_errors(
    fn: Callable[..., AsyncIterator[_T]],
) -> Callable[..., AsyncIterator[_T]]:
    """Decorate an async generator method: core errors leave it in LangChain's taxonomy."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[_T]:
        try:
            async for item in fn(*args, **kwargs):
                yield item
        except core.QwenOmniError as exc:
            _raise_mapped(exc)

    return wrapper
