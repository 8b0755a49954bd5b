"""Secrets never leave in what we output: one redactor for messages, tool results and logs.

The configured secrets (``DASHSCOPE_API_KEY``, ``OSS_ACCESS_KEY_SECRET``, and any key or secret
a client or store was built with) are registered here when they are resolved. :func:`redact`
replaces every occurrence — also when a service or gateway echoes one back in an error body —
in exception messages (:func:`redact_exception`), tool results (MCP, LangChain, LlamaIndex),
the CLI's output and log records (:class:`RedactingFilter`, installed on the ``qwen_omni``
logger). URLs lose their user-info (``https://user:pass@host`` → ``https://***@host``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any

__all__ = [
    "MASK",
    "RedactingFilter",
    "mask_userinfo",
    "redact",
    "install_log_filter",
    "redact_exception",
    "redact_value",
    "register_secret",
]

MASK = "***"
#: Environment variables whose values are secrets wherever they appear.
SECRET_ENV = ("DASHSCOPE_API_KEY", "OSS_ACCESS_KEY_SECRET", "OSS_SECURITY_TOKEN")
#: Shorter values are not treated as secrets: masking "abc" everywhere would garble text.
MIN_SECRET_CHARS = 8

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")


def register_secret(value: str | None) -> None:
    """Treat ``value`` as a secret from now on (ignored when empty or very short)."""
    global _pattern
    if not value or len(value) < MIN_SECRET_CHARS:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        _pattern = None


def _current() -> re.Pattern[str] | None:
    global _pattern
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= MIN_SECRET_CHARS and value not in _secrets:
            register_secret(value)
    with _lock:
        if _pattern is None and _secrets:
            forms: set[str] = set()
            for secret in _secrets:
                forms.add(secret)
                forms.add(secret.strip())
                forms.add(repr(secret)[1:-1])  # escaped, as in a repr or JSON
            ordered = sorted((f for f in forms if f), key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(f) for f in ordered))
        return _pattern


def mask_userinfo(text: str) -> str:
    """URLs in ``text`` without their ``user:password@`` part."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)


def redact(text: str) -> str:
    """``text`` with every configured secret and every URL user-info masked."""
    if not isinstance(text, str) or not text:
        return text
    pattern = _current()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return mask_userinfo(text)


def redact_value(value: Any, _depth: int = 0) -> Any:
    """Strings inside ``value`` (dicts, lists, tuples) redacted; other values as they are."""
    if isinstance(value, str):
        return redact(value)
    if _depth > 20:
        return value
    if isinstance(value, dict):
        return {k: redact_value(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v, _depth + 1) for v in value)
    return value


def redact_exception(exc: BaseException) -> BaseException:
    """``exc`` (and its chained causes) with secrets masked in its args, message and body.

    Changes the exception in place and returns it, so ``raise redact_exception(e)`` keeps the
    type, attributes and traceback.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        try:
            current.args = tuple(redact_value(a) for a in current.args)
            for attr in ("message", "body", "source"):
                if isinstance(getattr(current, attr, None), (str, dict, list)):
                    setattr(current, attr, redact_value(getattr(current, attr)))
        except (AttributeError, TypeError):  # an exception type with read-only fields
            pass
        current = current.__cause__ or current.__context__
    return exc


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _current() is None and "@" not in str(record.msg):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            redact_exception(record.exc_info[1])
            record.exc_text = None
        return True


#: Loggers whose records may carry text from the service (filters are per logger in
#: ``logging``, not inherited by children, so each is named).
LOGGERS = (
    "qwen_omni",
    "qwen_omni.mcp",
    "qwen_omni.delivery",
    "qwen_omni.delivery.temp",
    "qwen_omni.delivery.oss",
    "qwen_omni.tasks",
    "qwen_omni.cli",
    "openai",
    "openai._base_client",
    "httpx",
    "httpx2",
    "oss2",
    "oss2.api",
    "oss2.http",
)


def install_log_filter(*names: str) -> None:
    """Add :class:`RedactingFilter` to each named logger (default :data:`LOGGERS`), once."""
    for name in names or LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())
