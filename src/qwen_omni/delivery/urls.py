"""URL checks before a request leaves: scheme, reachability from the service, signed-URL expiry.

Everything here is pure (no DNS, no sockets): a host is judged by its literal form. The rule is
about reachability *from the service*: DashScope runs on the public internet, so loopback,
private, link-local and metadata addresses, OSS ``-internal`` endpoints and intranet names can
never be fetched by it. When the configured endpoint is itself on loopback or a private network
(the emulator, a self-hosted vLLM), addresses on *that* network are allowed, explicitly.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from qwen_omni.addresses import (
    classify_address,
    classify_name,
    embedded_ipv4,
    parse_ip_literal,
)
from qwen_omni.errors import FETCH_HINT, MediaNotFetchableError, UnsupportedMediaError

__all__ = [
    "HostClass",
    "SignedUrl",
    "check_reachable",
    "check_scheme",
    "classify_host",
    "is_oss_host",
    "parse_signed_url",
    "redact_url",
]

HostClass = Literal[
    "public",
    "loopback",
    "private",
    "link_local",
    "metadata",
    "reserved",
    "oss_internal",
    "intranet_name",
]

# Private blocks: two private addresses are "on the same network" when they share one of these.
_PRIVATE_BLOCKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)

_REASONS: dict[str, str] = {
    "loopback": "it points at loopback (this machine), which the service cannot reach",
    "private": "it points at a private network address, which the service cannot reach",
    "link_local": "it points at a link-local address, which the service cannot reach",
    "metadata": "it points at a cloud metadata address, which is never fetched",
    "oss_internal": (
        "it uses an OSS -internal (VPC) endpoint, which the service cannot reach; use the "
        "public endpoint of the same region (drop '-internal' from the host)"
    ),
    "intranet_name": "its host name only resolves inside a private network",
    "reserved": "it points at a reserved or non-global address, which the service cannot reach",
    "invalid": "its host is not a valid host name",
}


def redact_url(url: str) -> str:
    """A URL without its query string and fragment (signatures and tokens stay out of messages)."""
    if url.startswith("data:"):
        return url.split(",", 1)[0] + ",…"
    return url.split("?", 1)[0].split("#", 1)[0]


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    addr = parse_ip_literal(host)
    if isinstance(addr, ipaddress.IPv6Address):
        inner = embedded_ipv4(addr)
        if inner is not None and classify_address(addr) == classify_address(inner):
            return inner  # judged (and matched against private blocks) as the IPv4 it spells
    return addr


def classify_host(host: str) -> HostClass:
    """Where a URL host lives, judged from its literal form (no DNS lookup).

    One classifier (:mod:`qwen_omni.addresses`) for every spelling: ``127.1``, ``0177.0.0.1``,
    ``0x7f.0.0.1``, ``2130706433``, IPv4-mapped/compatible, 6to4, Teredo and NAT64 IPv6.
    """
    addr = parse_ip_literal(host)
    if addr is not None:
        return classify_address(addr)
    try:
        return classify_name(host)
    except ValueError:
        return "intranet_name"  # not a name a public resolver would answer


def is_oss_host(host: str) -> bool:
    """True for Alibaba Cloud OSS endpoints and bucket domains (``*.oss-cn-x.aliyuncs.com``)."""
    name = host.lower().rstrip(".")
    if not name.endswith(".aliyuncs.com"):
        return False
    return any(label.startswith("oss-") or label == "oss" for label in name.split("."))


def _private_block(
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    for block in _PRIVATE_BLOCKS:
        if addr.version == block.version and addr in block:
            return block
    return None


def _host_allowed(host: str, allow_hosts: Iterable[str]) -> bool:
    name = host.lower().rstrip(".")
    addr = _ip(name)
    for entry in allow_hosts:
        rule = entry.strip().lower()
        if not rule:
            continue
        if "/" in rule and addr is not None:
            try:
                if addr in ipaddress.ip_network(rule, strict=False):
                    return True
            except ValueError:
                pass
            continue
        if rule.startswith("*."):
            rule = rule[1:]
        if rule.startswith("."):
            if name.endswith(rule):
                return True
            continue
        if addr is not None and _ip(rule) == addr:
            return True
        if name == rule:
            return True
    return False


def _same_network(host_class: HostClass, host: str, base_host: str) -> bool:
    """Whether the endpoint at ``base_host`` shares the (non-public) network of ``host``."""
    base_class = classify_host(base_host)
    if host_class == "loopback":
        return base_class == "loopback"
    if host_class == "metadata" or host_class == "oss_internal":
        return False
    if base_class not in ("private", "intranet_name", "link_local"):
        return False
    if host_class == "intranet_name":
        return True
    addr, base_addr = _ip(host), _ip(base_host)
    if addr is None:
        return False
    if base_addr is None:
        # The endpoint is an intranet name: its network is unknown, any private block may be it.
        return host_class in ("private", "link_local")
    if host_class == "link_local":
        return base_class == "link_local"
    block = _private_block(addr)
    return block is not None and base_addr in block


def check_scheme(url: str, *, label: str) -> str:
    """The scheme of a URL the service can read (``http``, ``https``, ``data``, ``oss``).

    Raises:
        UnsupportedMediaError: any other scheme (``file://``, ``ftp://``, a bare path…).
    """
    head = url[:8].lower()
    for scheme in ("https://", "http://", "oss://"):
        if head.startswith(scheme):
            return scheme[:-3]
    if head.startswith("data:"):
        return "data"
    raise UnsupportedMediaError(
        f"{label}: only http(s)://, data: and oss:// URLs are sent to the service; pass a local "
        "file as a path so delivery uploads or inlines it",
        source=label,
    )


def check_reachable(
    url: str,
    *,
    base_url: str,
    allow_hosts: Sequence[str] = (),
) -> None:
    """Refuse an http(s) URL the service behind ``base_url`` could never fetch.

    Raises:
        MediaNotFetchableError: loopback, private, link-local or metadata address, OSS
            ``-internal`` endpoint or intranet name, unless the endpoint shares that network
            or ``allow_hosts`` lists the host (name, ``.suffix`` or CIDR).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise MediaNotFetchableError(
            f"{redact_url(url)} has no host; {FETCH_HINT}", source=redact_url(url)
        )
    host_class = classify_host(host)
    if host_class == "public" or _host_allowed(host, allow_hosts):
        return
    base_host = urlsplit(base_url).hostname or ""
    if base_host and _same_network(host_class, host, base_host):
        return
    raise MediaNotFetchableError(
        f"{redact_url(url)} cannot be fetched by the service at {base_host or base_url}: "
        f"{_REASONS[host_class]}; {FETCH_HINT}",
        source=redact_url(url),
    )


# --- signed URLs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedUrl:
    """What a presigned URL says about itself.

    Attributes:
        version: ``"oss-v1"``, ``"oss-v2"``, ``"oss-v4"``, ``"s3-v2"`` or ``"s3-v4"``.
        expires_at: Unix time after which the URL is refused.
    """

    version: str
    expires_at: float

    def remaining(self, now: float | None = None) -> float:
        """Seconds of validity left (negative once expired)."""
        return self.expires_at - (time.time() if now is None else now)


def _iso_basic(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def parse_signed_url(url: str) -> SignedUrl | None:
    """The signature version and expiry of a presigned OSS (or S3-style) URL; None if unsigned.

    OSS V1: ``OSSAccessKeyId`` + ``Signature`` + absolute ``Expires``. OSS V4:
    ``x-oss-signature-version=OSS4-HMAC-SHA256`` + ``x-oss-date`` + relative ``x-oss-expires``.
    OSS V2: ``x-oss-signature-version=OSS2`` + absolute ``x-oss-expires``. S3 V4:
    ``X-Amz-Date`` + ``X-Amz-Expires``; S3 V2: ``AWSAccessKeyId`` + ``Expires``.
    A URL whose expiry cannot be read is reported as already expired.
    """
    query = urlsplit(url).query
    if not query:
        return None
    params = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}
    version = params.get("x-oss-signature-version", "")
    try:
        if version.upper() == "OSS4-HMAC-SHA256":
            start = _iso_basic(params.get("x-oss-date", ""))
            if start is None:
                return SignedUrl("oss-v4", 0.0)
            return SignedUrl("oss-v4", start + int(params.get("x-oss-expires", "0")))
        if version.upper() == "OSS2":
            return SignedUrl("oss-v2", float(int(params.get("x-oss-expires", "0"))))
        if "ossaccesskeyid" in params and "signature" in params:
            return SignedUrl("oss-v1", float(int(params.get("expires", "0"))))
        if "x-amz-date" in params and "x-amz-expires" in params:
            start = _iso_basic(params["x-amz-date"])
            return SignedUrl(
                "s3-v4", 0.0 if start is None else start + int(params["x-amz-expires"])
            )
        if "awsaccesskeyid" in params and "signature" in params:
            return SignedUrl("s3-v2", float(int(params.get("expires", "0"))))
    except ValueError:
        return SignedUrl(version.lower() or "oss-v1", 0.0)
    return None
