"""Turning failures an agent can act on into a tool message (:class:`ToolRefusal`).

Wrappers (LangChain, LlamaIndex, MCP) call :func:`refusal_for` on an exception: when it returns
a :class:`ToolRefusal`, the agent gets its ``message``; when it returns None the exception is a
programmer or operator error (a bug, a missing API key) and must propagate.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qwen_omni.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConfigurationError,
    MediaError,
    PermissionDeniedError,
    QuotaExceededError,
    QwenOmniError,
    RateLimitError,
    RequestValidationError,
    ServiceError,
    StreamInterrupted,
)
from qwen_omni.tasks.jsonout import InvalidModelOutput
from qwen_omni.tasks.policy import AccessRefused

__all__ = ["RefusalKind", "TaskFailed", "ToolRefusal", "refusal_for"]


class TaskFailed(QwenOmniError):
    """A tool could not finish for a reason that may pass (e.g. every segment of a long video
    failed twice): the agent gets a retryable ``service_error`` refusal. Tools raise
    subclasses, so this module needs to know none of them."""

RefusalKind = Literal[
    "access_denied",
    "invalid_arguments",
    "media",
    "request_rejected",
    "model_output",
    "service_busy",
    "service_error",
]


class ToolRefusal(BaseModel):
    """A tool could not do what was asked; ``message`` says why and what to do instead."""

    model_config = ConfigDict(frozen=True)

    refused: Literal[True] = True
    kind: RefusalKind
    message: str = Field(description="What went wrong and how to proceed.")
    retryable: bool = Field(default=False, description="True when the same call may succeed later.")
    reason: str | None = Field(default=None, description="A short code, e.g. 'outside_roots'.")

    def to_text(self) -> str:
        """The text the agent sees."""
        from qwen_omni.redact import redact

        tail = " You may retry later." if self.retryable else ""
        return redact(f"Tool refused ({self.kind}): {self.message}{tail}")


def _validation_text(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors()[:8]:
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        lines.append(f"{loc}: {err['msg']}")
    return "; ".join(lines)


def refusal_for(exc: BaseException) -> ToolRefusal | None:
    """The tool message for ``exc``, or None when it must propagate (bug or configuration)."""
    if isinstance(exc, AccessRefused):
        return ToolRefusal(kind="access_denied", message=str(exc), reason=exc.reason)
    if isinstance(exc, ValidationError):
        return ToolRefusal(
            kind="invalid_arguments",
            message=f"invalid arguments: {_validation_text(exc)}; fix them and call again",
        )
    if isinstance(exc, (ConfigurationError, AuthenticationError, PermissionDeniedError)):
        return None  # the operator must act; the agent cannot
    if isinstance(exc, InvalidModelOutput):
        return ToolRefusal(
            kind="model_output",
            message=f"the model did not produce a valid answer twice ({exc.errors}); try "
            "again, or simplify the request",
            retryable=True,
        )
    if isinstance(exc, RequestValidationError):
        return ToolRefusal(kind="request_rejected", message=str(exc), reason=exc.rule or None)
    if isinstance(exc, QuotaExceededError):
        return ToolRefusal(kind="service_error", message=str(exc), reason="quota")
    if isinstance(exc, RateLimitError):
        return ToolRefusal(kind="service_busy", message=str(exc), retryable=True)
    if isinstance(exc, MediaError):
        # MediaFetchError and ServiceMediaTooLargeError are also BadRequestError: media first.
        return ToolRefusal(kind="media", message=str(exc))
    if isinstance(exc, (ServiceError, APIConnectionError, StreamInterrupted, TaskFailed)):
        return ToolRefusal(kind="service_error", message=str(exc), retryable=True)
    if isinstance(exc, APIError):
        return ToolRefusal(kind="request_rejected", message=str(exc))
    return None
