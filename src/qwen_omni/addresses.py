"""The one classifier of hosts and addresses: public, or a place nothing should be fetched from.

Used by the client's URL checks (``delivery.urls``), the agent access policy
(``tasks.policy``), our own downloads (each connected address) and ``Settings.is_local``, so
they can never disagree.

Pure (no DNS). A host is read the way resolvers and HTTP clients read it:

- every IPv4 spelling ``inet_aton`` accepts: ``127.1``, ``0177.0.0.1``, ``0x7f.0.0.1``,
  ``2130706433``, ``0x7f000001``; full-width digits and dots (IDNA maps them to ASCII);
- IPv6 with brackets and zone ids; and every IPv6 form that carries an IPv4 address:
  IPv4-mapped (``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``), 6to4 (``2002::/16``),
  Teredo (``2001::/32``, the client address de-obfuscated), NAT64 (``64:ff9b::/96``, and the
  local-use ``64:ff9b:1::/48`` which is never public). An embedding is judged by the address
  it carries, and the worse of the two classes wins.
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from typing import Literal

__all__ = [
    "LOCAL_NAME_SUFFIXES",
    "METADATA_IPS",
    "METADATA_NAMES",
    "AddressClass",
    "NameClass",
    "classify_address",
    "classify_name",
    "embedded_ipv4",
    "normalize_host",
    "parse_ip_literal",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

AddressClass = Literal["public", "loopback", "private", "link_local", "metadata", "reserved"]
NameClass = Literal["public", "loopback", "metadata", "intranet_name", "oss_internal"]

#: Cloud instance-metadata addresses (Alibaba Cloud, AWS/GCP/Azure, AWS IPv6, ECS tasks).
METADATA_IPS = frozenset(
    ipaddress.ip_address(a)
    for a in ("100.100.100.200", "169.254.169.254", "169.254.170.2", "fd00:ec2::254")
)
METADATA_NAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.azure.internal", "instance-data"}
)
#: Names that only resolve inside a private network (or on this machine).
LOCAL_NAME_SUFFIXES = (
    ".localhost", ".internal", ".local", ".lan", ".intranet", ".corp", ".home", ".home.arpa",
    ".localdomain",
)  # fmt: skip

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SIXTOFOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
#: Worst first: the class an address gets when it and an embedded address disagree.
_SEVERITY: tuple[AddressClass, ...] = (
    "metadata",
    "loopback",
    "link_local",
    "private",
    "reserved",
    "public",
)
_LEGACY_CHARS = frozenset("0123456789abcdefx.")


def normalize_host(host: str) -> str:
    """A host as resolvers see it: lower case, no brackets or trailing dot, IDNA-mapped
    (full-width ``１２７．０．０．１`` becomes ``127.0.0.1``). Raises ``ValueError`` for a host
    that cannot be a host name (percent escapes, spaces, controls, bad IDNA)."""
    name = host.strip()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if "%" in name and ":" in name:
        name = name.split("%", 1)[0]  # an IPv6 zone id (fe80::1%eth0)
    name = unicodedata.normalize("NFKC", name).replace("\u3002", ".").lower().rstrip(".")
    if not name or any(c in name for c in "%/\\@ \t\r\n\x00") or not name.isprintable():
        raise ValueError(f"not a host name: {host!r}")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"not a valid international host name: {host!r}") from None
    return name


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host string denotes *without DNS*, as resolvers read it; None for names.

    Besides dotted quads and IPv6 this reads the legacy IPv4 forms ``inet_aton`` (and so most
    HTTP clients) accept: ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``.
    """
    try:
        name = normalize_host(host)
    except ValueError:
        return None
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if set(name) <= _LEGACY_CHARS and any(c.isdigit() for c in name):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except (OSError, ValueError):
            return None
    return None


def embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    value = int(addr)
    if value >> 32 == 0 and value > 1:
        return ipaddress.IPv4Address(value)  # IPv4-compatible ::a.b.c.d (deprecated)
    if addr in _SIXTOFOUR:
        return addr.sixtofour
    if addr in _TEREDO and addr.teredo is not None:
        return addr.teredo[1]
    if addr in _NAT64:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def _own_class(addr: IPAddress) -> AddressClass:
    if addr in METADATA_IPS:
        return "metadata"
    if addr.is_loopback or addr.is_unspecified:
        return "loopback"
    if addr.is_link_local:
        return "link_local"
    if addr.is_private or (isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT):
        return "private"
    if addr.is_reserved or addr.is_multicast or not addr.is_global:
        return "reserved"
    return "public"


def classify_address(addr: IPAddress) -> AddressClass:
    """Where an address lives: ``public``, or a class nothing should be fetched from."""
    if isinstance(addr, ipaddress.IPv6Address):
        inner = embedded_ipv4(addr)
        if inner is not None:
            inner_class = _own_class(inner)
            if addr.ipv4_mapped is not None or addr in _NAT64 or int(addr) >> 32 == 0:
                return inner_class  # a pure re-spelling of the IPv4 address
            # A tunnel (6to4, Teredo): the worse of the carried address and the tunnel prefix.
            outer = _own_class(addr)
            return min(inner_class, outer, key=_SEVERITY.index)
        if addr in _NAT64_LOCAL:
            return "reserved"
    return _own_class(addr)


def classify_name(host: str) -> NameClass:
    """How a host *name* (not an address) is judged without DNS."""
    name = normalize_host(host)
    if name == "localhost" or name.endswith(".localhost"):
        return "loopback"
    if name in METADATA_NAMES:
        return "metadata"
    if name.endswith(".aliyuncs.com") and "-internal." in name:
        return "oss_internal"
    if "." not in name or name.endswith(LOCAL_NAME_SUFFIXES):
        return "intranet_name"
    return "public"
