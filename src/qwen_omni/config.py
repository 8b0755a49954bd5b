"""Settings: argument > environment > default, resolved once when a client is built.

Environment variables (read when a client is created, never at import):

- ``DASHSCOPE_API_KEY``: the API key (held as a secret: never in repr, str, logs or errors).
- ``QWEN_OMNI_BASE_URL``: any OpenAI-compatible endpoint (e.g. a self-hosted vLLM, the emulator).
- ``QWEN_OMNI_REGION``: ``beijing`` (default), ``singapore`` or ``us``.
- ``QWEN_OMNI_MODEL``: the default model (``qwen3-omni-flash``).
- ``QWEN_OMNI_DIALECT``: ``dashscope`` (default) or ``vllm``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

from pydantic import SecretStr

from qwen_omni.errors import ConfigurationError

__all__ = [
    "DEFAULT_MODEL",
    "REGIONS",
    "Dialect",
    "Settings",
    "Timeouts",
    "check_base_url",
    "native_api_base",
    "region_of",
    "resolve_settings",
]

DEFAULT_MODEL = "qwen3-omni-flash"
DEFAULT_REGION = "beijing"

#: OpenAI-compatible endpoints per region (reference §8).
REGIONS: dict[str, str] = {
    "beijing": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "singapore": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "us": "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
}

_REGION_ALIASES = {
    "cn": "beijing",
    "cn-beijing": "beijing",
    "china": "beijing",
    "intl": "singapore",
    "ap-southeast-1": "singapore",
    "international": "singapore",
    "us-east-1": "us",
    "virginia": "us",
}

# Host fragments of DashScope endpoints → region (workspace domains included).
_HOST_REGIONS = (
    ("dashscope-intl.aliyuncs.com", "singapore"),
    ("dashscope-us.aliyuncs.com", "us"),
    ("dashscope.aliyuncs.com", "beijing"),
    (".cn-beijing.maas.aliyuncs.com", "beijing"),
    (".ap-southeast-1.maas.aliyuncs.com", "singapore"),
    (".us-east-1.maas.aliyuncs.com", "us"),
)

Dialect = Literal["dashscope", "vllm"]


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: to connect, for the first byte (and between chunks), and in all."""

    connect: float = 10.0
    first_byte: float = 120.0
    total: float = 900.0

    @classmethod
    def coerce(cls, value: float | Timeouts | None) -> Timeouts:
        """A number sets the first-byte and total timeouts; None means the defaults."""
        if value is None:
            return cls()
        if isinstance(value, Timeouts):
            return value
        seconds = float(value)
        if seconds <= 0:
            raise ConfigurationError(f"timeout must be positive, got {value}")
        return cls(connect=min(10.0, seconds), first_byte=seconds, total=max(seconds, 1.0))


@dataclass(frozen=True)
class Settings:
    """Resolved client settings. ``api_key`` is a ``SecretStr``."""

    api_key: SecretStr | None
    base_url: str
    region: str | None
    model: str
    dialect: Dialect
    timeouts: Timeouts
    max_retries: int

    def __repr__(self) -> str:
        from qwen_omni.redact import mask_userinfo

        return (
            f"Settings(api_key={'**********' if self.api_key else None}, "
            f"base_url={mask_userinfo(self.base_url)!r}, region={self.region!r}, "
            f"model={self.model!r}, dialect={self.dialect!r}, timeouts={self.timeouts!r}, "
            f"max_retries={self.max_retries})"
        )

    @property
    def needs_key(self) -> bool:
        """True when the endpoint is DashScope's (any region or workspace domain), which
        refuses a request without a key: the client then raises ``ConfigurationError`` before
        sending. The emulator and self-hosted servers (vLLM) are asked without one."""
        host = (urlparse(self.base_url).hostname or "").lower()
        return region_of(self.base_url) is not None or host.endswith(".aliyuncs.com")

    @property
    def is_local(self) -> bool:
        """True when the endpoint is on loopback or a private network (emulator, vLLM)."""
        from qwen_omni.addresses import classify_address, classify_name, parse_ip_literal

        host = urlparse(self.base_url).hostname or ""
        addr = parse_ip_literal(host)
        if addr is not None:
            return classify_address(addr) in ("loopback", "private", "link_local")
        try:
            return classify_name(host) == "loopback"
        except ValueError:
            return False

    @property
    def api_base_url(self) -> str:
        """The DashScope native base (``…/api/v1``), used for temporary uploads."""
        return native_api_base(self.base_url)

    def require_key(self) -> str:
        """The key as plain text, or a ConfigurationError that says how to set one."""
        if self.api_key is None or not self.api_key.get_secret_value():
            raise ConfigurationError(
                "no DashScope API key: set DASHSCOPE_API_KEY (get one in the Model Studio "
                "console for your region) or pass api_key=...; to work offline, start the "
                "local emulator (`qwen-omni emulator`) and point base_url at it"
            )
        return self.api_key.get_secret_value()


def region_of(base_url: str) -> str | None:
    """The DashScope region an endpoint belongs to, or None for other endpoints."""
    host = (urlparse(base_url).hostname or "").lower()
    for fragment, region in _HOST_REGIONS:
        if host == fragment.lstrip(".") or host.endswith(fragment):
            return region
    return None


def native_api_base(base_url: str) -> str:
    """``…/compatible-mode/v1`` → ``…/api/v1`` (the DashScope native API on the same host)."""
    trimmed = base_url.rstrip("/")
    if trimmed.endswith("/compatible-mode/v1"):
        return trimmed[: -len("/compatible-mode/v1")] + "/api/v1"
    parsed = urlparse(trimmed)
    return f"{parsed.scheme}://{parsed.netloc}/api/v1"


def _normalise_region(region: str) -> str:
    key = region.strip().lower()
    key = _REGION_ALIASES.get(key, key)
    if key not in REGIONS:
        raise ConfigurationError(
            f"unknown region {region!r}: use one of {', '.join(REGIONS)} or pass base_url= "
            "(workspace domains such as "
            "https://<id>.cn-beijing.maas.aliyuncs.com/compatible-mode/v1 work too)"
        )
    return key


def check_base_url(base: str) -> str:
    """``base`` if it is a usable http(s) endpoint URL, else a ConfigurationError saying why."""
    if not isinstance(base, str):
        raise ConfigurationError(
            f"base_url must be an http(s) URL string, got {type(base).__name__}"
        )
    shown = repr(base[:200])
    hint = "; e.g. https://dashscope.aliyuncs.com/compatible-mode/v1 or http://127.0.0.1:8000/v1"
    try:
        parsed = urlparse(base.strip())
        port = parsed.port  # a malformed port raises here
        host = parsed.hostname
    except ValueError as exc:
        raise ConfigurationError(f"base_url {shown} is not a valid URL ({exc}){hint}") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise ConfigurationError(f"base_url must be an http(s) URL with a host, got {shown}{hint}")
    if any(c.isspace() or ord(c) < 32 for c in base.strip()):
        raise ConfigurationError(f"base_url {shown} contains spaces or control characters{hint}")
    del port
    return base.strip()


def resolve_settings(
    *,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    region: str | None = None,
    model: str | None = None,
    dialect: Dialect | None = None,
    timeout: float | Timeouts | None = None,
    max_retries: int = 2,
) -> Settings:
    """Resolve settings from arguments, then the environment, then defaults."""
    env = os.environ
    if api_key is None:
        env_key = env.get("DASHSCOPE_API_KEY")
        key = SecretStr(env_key) if env_key else None
    else:
        key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)

    base = base_url or env.get("QWEN_OMNI_BASE_URL")
    region_name = region or env.get("QWEN_OMNI_REGION")
    if base:
        base = check_base_url(base)
        from qwen_omni.redact import register_secret

        register_secret(urlparse(base).password)  # a gateway password is a secret too
        resolved_region = _normalise_region(region_name) if region_name else region_of(base)
    else:
        resolved_region = _normalise_region(region_name or DEFAULT_REGION)
        base = REGIONS[resolved_region]

    if key is not None:
        from qwen_omni.redact import register_secret

        register_secret(key.get_secret_value())
    chosen_dialect = dialect or env.get("QWEN_OMNI_DIALECT") or "dashscope"
    if chosen_dialect not in ("dashscope", "vllm"):
        raise ConfigurationError(f"dialect must be 'dashscope' or 'vllm', got {chosen_dialect!r}")
    if max_retries < 0:
        raise ConfigurationError(f"max_retries must be >= 0, got {max_retries}")
    return Settings(
        api_key=key,
        base_url=base.rstrip("/"),
        region=resolved_region,
        model=model or env.get("QWEN_OMNI_MODEL") or DEFAULT_MODEL,
        dialect=chosen_dialect,  # type: ignore[arg-type]
        timeouts=Timeouts.coerce(timeout),
        max_retries=max_retries,
    )
