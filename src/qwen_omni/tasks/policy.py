"""The media access policy: what a tool may read when an agent names the file or URL.

An agent's arguments are untrusted (a prompt injected into a web page, a transcript or an
e-mail can steer them). Before a tool touches a source it names, :class:`AccessPolicy` decides:

- **local files**: only under configured ``roots`` (none by default, so no local file at all);
  no ``..`` escape, no symlink escape, no devices, FIFOs or directories, no hidden files or
  directories and no well-known credential files; at most ``max_bytes``;
- **URLs**: only ``allowed_schemes`` (``https`` and ``http`` by default) and, when set, only
  ``allowed_hosts``; never a loopback, private, link-local, carrier-grade NAT, reserved or
  cloud-metadata address (``169.254.169.254``, ``100.100.100.200``…), whether written as a
  literal (also in the legacy forms ``2130706433``, ``0x7f.1``, ``127.1``, IPv4-mapped or
  6to4 IPv6) or as a name that resolves to one, unless ``allow_private_hosts`` names the host.
  The rule holds whoever fetches: our own probe, or the model server (a self-hosted server on
  a private network is an SSRF path too);
- **content**: sniffed from the first bytes and checked against the modality the tool expects.

Our own fetches (:func:`fetch_head`, :func:`download`) follow redirects by hand and check every
hop again. A refusal raises :class:`AccessRefused` (a :class:`~qwen_omni.errors.MediaAccessDenied`)
whose message tells the agent what to do instead; the tool wrappers turn it into a tool message.

The policy guards agent input only: direct library calls and the CLI read what the user names.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit

from qwen_omni.addresses import (
    LOCAL_NAME_SUFFIXES,
    METADATA_NAMES,
    AddressClass,
    classify_address,
    parse_ip_literal,
)
from qwen_omni.errors import MediaAccessDenied

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AccessPolicy",
    "AddressClass",
    "AccessRefused",
    "CheckedSource",
    "Reason",
    "Resolver",
    "classify_address",
    "parse_ip_literal",
]

#: Default cap on a local file or a download an agent may make us read (2 GiB: the service's
#: own URL cap for Qwen3.5-Omni video and audio).
DEFAULT_MAX_BYTES = 2 * 1024**3

Reason = Literal[
    "invalid",
    "local_disabled",
    "outside_roots",
    "symlink_escape",
    "hidden",
    "credential_file",
    "not_regular_file",
    "not_found",
    "too_large",
    "scheme",
    "userinfo",
    "host_not_allowed",
    "private_address",
    "unresolvable",
    "redirect",
    "fetch_failed",
    "wrong_modality",
]

#: ``host -> addresses``; the default calls ``socket.getaddrinfo``. Tests replace it.
Resolver = Callable[[str], Sequence[str]]

_METADATA_NAMES = METADATA_NAMES
_LOCAL_SUFFIXES = LOCAL_NAME_SUFFIXES

#: File names (lower case) never handed to a tool, whatever the root: keys, tokens, wallets.
CREDENTIAL_NAMES = frozenset(
    {
        "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "authorized_keys", "known_hosts",
        "credentials", "credentials.json", "config.json", "secrets.json", "secrets.yaml",
        "secrets.yml", "service-account.json", "token.json", "netrc", "_netrc", "pgpass",
        "shadow", "passwd", "htpasswd", "wallet.dat", "keychain",
    }
)  # fmt: skip
CREDENTIAL_SUFFIXES = (
    ".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".kdbx", ".gpg", ".asc", ".ppk",
    ".ovpn", ".env", ".crt", ".cer", ".der",
)  # fmt: skip


class AccessRefused(MediaAccessDenied):
    """The access policy refused a source named by an agent.

    Attributes:
        reason: a short code (``outside_roots``, ``private_address``…), see :data:`Reason`.
        source: the file or URL as the agent gave it (URLs without query string).
    """

    def __init__(self, message: str, *, reason: Reason, source: str | None = None) -> None:
        super().__init__(message, source=source, value=reason)
        self.reason: Reason = reason


@dataclass(frozen=True)
class CheckedSource:
    """A source that passed the policy.

    Attributes:
        kind: ``"path"`` or ``"url"``.
        value: the real path (symlinks resolved) or the URL to use.
        label: how to name it in messages (path, or URL without query).
        size: bytes of a local file (None for URLs).
    """

    kind: Literal["path", "url"]
    value: str
    label: str
    size: int | None = None

    @property
    def path(self) -> Path:
        """The checked real path (only for ``kind == "path"``)."""
        if self.kind != "path":
            raise ValueError("this source is a URL, not a path")
        return Path(self.value)


def _default_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _host_matches(host: str, addr: object, rules: Iterable[str]) -> bool:
    """Whether ``host`` (or its address) matches a rule: a name, ``.suffix``/``*.suffix``, CIDR."""
    name = host.lower().rstrip(".")
    for raw in rules:
        rule = raw.strip().lower().rstrip(".")
        if not rule:
            continue
        if "/" in rule:
            try:
                net = ipaddress.ip_network(rule, strict=False)
            except ValueError:
                continue
            if isinstance(addr, (ipaddress.IPv4Address, ipaddress.IPv6Address)) and (
                addr.version == net.version and addr in net
            ):
                return True
            continue
        if rule.startswith("*."):
            rule = rule[1:]
        if rule.startswith("."):
            if name.endswith(rule) or name == rule[1:]:
                return True
            continue
        if name == rule:
            return True
        rule_addr = parse_ip_literal(rule)
        if rule_addr is not None and addr is not None and rule_addr == addr:
            return True
    return False


_CLASS_TEXT = {
    "loopback": "a loopback address (this machine)",
    "private": "a private-network address",
    "link_local": "a link-local address",
    "metadata": "a cloud instance-metadata address",
    "reserved": "a reserved or non-global address",
}


@dataclass(frozen=True)
class AccessPolicy:
    """What a tool may read when an agent names the source.

    Args:
        roots: directories local files must live under. Empty (the default): no local files.
        max_bytes: largest local file or download (bytes).
        allowed_schemes: URL schemes an agent may use (``https``, ``http``; add ``data`` or
            ``oss`` deliberately).
        allowed_hosts: when not None, the only URL hosts allowed: names, ``.suffix`` or
            ``*.suffix`` patterns, IPs or CIDR blocks.
        allow_private_hosts: hosts (same patterns) that may be loopback, private or
            link-local; nothing is allowed there unless listed. Cloud-metadata addresses are
            refused even when listed, unless the exact address is listed.
        allow_hidden: allow hidden files and directories (names starting with ``.``) under a
            root. Credential files stay refused.
        check_content: sniff the content and compare it with the tool's modality.
        resolve_hosts: resolve URL host names and check every address (DNS); with False only
            literal addresses and well-known names are judged.
        max_redirects: redirects our own fetches follow (each hop checked again).
        fetch_timeout_s: timeout of each network operation of our own fetches.
        fetch_deadline_s: wall-clock limit of one whole fetch or download, however the
            server paces its bytes (a 1 byte/s server cannot hold a tool).
        resolver: ``host -> addresses`` (default: the system resolver).
    """

    roots: tuple[Path, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    allowed_schemes: tuple[str, ...] = ("https", "http")
    allowed_hosts: tuple[str, ...] | None = None
    allow_private_hosts: tuple[str, ...] = ()
    allow_hidden: bool = False
    check_content: bool = True
    resolve_hosts: bool = True
    max_redirects: int = 5
    fetch_timeout_s: float = 20.0
    fetch_deadline_s: float = 600.0
    resolver: Resolver | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roots", tuple(Path(r) for r in self.roots))
        object.__setattr__(
            self, "allowed_schemes", tuple(s.lower().rstrip(":/") for s in self.allowed_schemes)
        )
        if self.allowed_hosts is not None:
            object.__setattr__(self, "allowed_hosts", tuple(self.allowed_hosts))
        object.__setattr__(self, "allow_private_hosts", tuple(self.allow_private_hosts))
        if self.max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {self.max_bytes}")

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> AccessPolicy:
        """A policy from the environment (arguments in ``overrides`` win).

        - ``QWEN_OMNI_TOOL_ROOTS``: directories, separated by ``os.pathsep``;
        - ``QWEN_OMNI_TOOL_MAX_BYTES``: an integer;
        - ``QWEN_OMNI_TOOL_ALLOWED_HOSTS``, ``QWEN_OMNI_TOOL_ALLOW_PRIVATE_HOSTS``,
          ``QWEN_OMNI_TOOL_SCHEMES``: comma-separated lists.
        """
        env = os.environ if environ is None else environ
        kw: dict[str, object] = {}
        if env.get("QWEN_OMNI_TOOL_ROOTS"):
            kw["roots"] = tuple(
                Path(p) for p in env["QWEN_OMNI_TOOL_ROOTS"].split(os.pathsep) if p.strip()
            )
        if env.get("QWEN_OMNI_TOOL_MAX_BYTES"):
            kw["max_bytes"] = int(env["QWEN_OMNI_TOOL_MAX_BYTES"])

        def listed(name: str) -> tuple[str, ...]:
            return tuple(p.strip() for p in env[name].split(",") if p.strip())

        if env.get("QWEN_OMNI_TOOL_ALLOWED_HOSTS"):
            kw["allowed_hosts"] = listed("QWEN_OMNI_TOOL_ALLOWED_HOSTS")
        if env.get("QWEN_OMNI_TOOL_ALLOW_PRIVATE_HOSTS"):
            kw["allow_private_hosts"] = listed("QWEN_OMNI_TOOL_ALLOW_PRIVATE_HOSTS")
        if env.get("QWEN_OMNI_TOOL_SCHEMES"):
            kw["allowed_schemes"] = listed("QWEN_OMNI_TOOL_SCHEMES")
        kw.update(overrides)
        return cls(**kw)  # type: ignore[arg-type]

    def with_roots(self, *roots: str | Path) -> AccessPolicy:
        """A copy with ``roots`` added."""
        return replace(self, roots=(*self.roots, *(Path(r) for r in roots)))

    def describe(self) -> str:
        """One paragraph an agent (or a log) can read: what this policy allows."""
        roots = ", ".join(str(r) for r in self.roots) or "none (local files are disabled)"
        hosts = "any public host" if self.allowed_hosts is None else ", ".join(self.allowed_hosts)
        return (
            f"Local files: under {roots}; at most {self.max_bytes:,} bytes; no hidden or "
            f"credential files. URLs: schemes {', '.join(self.allowed_schemes)}; hosts: {hosts}; "
            "never loopback, private, link-local or cloud-metadata addresses"
            + (
                f" (except {', '.join(self.allow_private_hosts)})"
                if self.allow_private_hosts
                else ""
            )
            + "."
        )

    # --- classification --------------------------------------------------------------------

    @staticmethod
    def is_url(source: str) -> bool:
        """True when ``source`` is written as a URL (``scheme:``), not a path."""
        head = source.strip()[:12].lower()
        if head.startswith("file:"):
            return False
        scheme, sep, _ = head.partition(":")
        return bool(sep) and len(scheme) > 1 and scheme.isascii() and scheme.isalpha()

    def check(self, source: str) -> CheckedSource:
        """Check a path or URL an agent gave (DNS lookups happen here for URLs).

        Raises:
            AccessRefused: with a message the agent can act on.
        """
        if not isinstance(source, str):
            raise TypeError(f"a source is a string (path or URL), not {type(source).__name__}")
        try:
            if self.is_url(source):
                return CheckedSource("url", self.check_url(source), _redact(source))
            path = self.check_path(source)
            return CheckedSource("path", str(path), source, size=path.stat().st_size)
        except (ValueError, UnicodeError, OSError) as exc:
            if isinstance(exc, AccessRefused):
                raise
            raise _malformed(source, exc) from None

    def open_local(self, source: str) -> LocalSnapshot:
        """Check a local path an agent gave and take what it names *once*.

        The file is opened without following a final symlink, the opened file's real path is
        verified to be under a root, and its bytes are copied from that open file into a
        private snapshot: every later step (probe, prepare, upload) reads the snapshot, so a
        symlink swapped in after the check can never send a file from outside the roots.

        Raises:
            AccessRefused: as :meth:`check_path`, also when the file changed under the check.
        """
        try:
            real = self.check_path(source)
            return _snapshot(self, real, source)
        except (ValueError, UnicodeError, OSError) as exc:
            if isinstance(exc, AccessRefused):
                raise
            raise _malformed(source, exc) from None

    async def acheck(self, source: str) -> CheckedSource:
        """:meth:`check` without blocking the event loop on DNS or the file system."""
        return await asyncio.to_thread(self.check, source)

    # --- local files -----------------------------------------------------------------------

    def check_path(self, raw: str) -> Path:
        """The real path of a local file an agent may read, or :class:`AccessRefused`."""
        text = raw.strip()
        if text.lower().startswith("file:"):
            try:
                parsed = urlsplit(text)
            except ValueError:
                raise AccessRefused(
                    "the file:// URL is malformed; give a plain path under the media root",
                    reason="invalid",
                ) from None
            if parsed.netloc not in ("", "localhost"):
                raise AccessRefused(
                    f"{_printable(text)}: file:// URLs must not name a host; give a path under "
                    "the media root",
                    reason="invalid",
                    source=_printable(text),
                )
            # Decode first, then check: %00 or %2e%2e must not slip past the checks below.
            text = unquote(parsed.path, errors="strict")
        if not text or "\x00" in text or not text.isprintable():
            raise AccessRefused(
                "the path is empty or contains a NUL byte or control characters; give a plain "
                "path under the media root",
                reason="invalid",
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise AccessRefused(
                "the path is not valid Unicode; give a plain path under the media root",
                reason="invalid",
            ) from None
        if not self.roots:
            raise AccessRefused(
                f"{text}: local files are disabled for this tool (no media root is configured). "
                "Pass a public http(s) URL instead, or ask the user to allow a directory "
                "(--root DIR or QWEN_OMNI_TOOL_ROOTS).",
                reason="local_disabled",
                source=text,
            )
        if text.startswith("~"):
            raise AccessRefused(
                f"{text}: home-relative paths are not allowed; give a path under "
                f"{self._roots_text()}",
                reason="outside_roots",
                source=text,
            )
        candidates = self._candidates(text)
        last_error: AccessRefused | None = None
        for root, lexical in candidates:
            try:
                return self._check_under(root, lexical, text)
            except AccessRefused as exc:
                if exc.reason != "not_found":
                    raise
                last_error = exc
        assert last_error is not None
        raise last_error

    def _roots_text(self) -> str:
        return ", ".join(str(r) for r in self.roots)

    def _candidates(self, text: str) -> list[tuple[Path, Path]]:
        """(root, lexically normalised path) pairs to try, refusing ``..`` escapes."""
        given = Path(text)
        out: list[tuple[Path, Path]] = []
        for root in self.roots:
            root_abs = Path(os.path.abspath(root))
            lexical = Path(os.path.normpath(given if given.is_absolute() else root_abs / given))
            if lexical == root_abs or root_abs in lexical.parents:
                out.append((root_abs, lexical))
        if not out:
            raise AccessRefused(
                f"{text} is outside the allowed media directories ({self._roots_text()}); "
                "give a path under one of them (relative paths start there), or a public URL",
                reason="outside_roots",
                source=text,
            )
        return out

    def _check_under(self, root: Path, lexical: Path, text: str) -> Path:
        rel = lexical.relative_to(root)
        self._check_names(rel.parts, text)
        root_real = Path(os.path.realpath(root))
        real = Path(os.path.realpath(lexical))
        if real != root_real and root_real not in real.parents:
            raise AccessRefused(
                f"{text} is a link that leads outside the allowed media directories "
                f"({self._roots_text()}); give the real file under the root",
                reason="symlink_escape",
                source=text,
            )
        self._check_names(real.relative_to(root_real).parts, text)
        try:
            st = os.stat(real)
        except FileNotFoundError:
            raise AccessRefused(
                f"{text}: no such file under {root}; check the name (list the directory, or "
                "ask the user for the right path)",
                reason="not_found",
                source=text,
            ) from None
        except OSError as exc:
            raise AccessRefused(
                f"{text}: cannot be read ({exc.strerror})", reason="not_found", source=text
            ) from None
        self._check_stat(st, text)
        return real

    def _check_stat(self, st: os.stat_result, text: str) -> None:
        """A regular file within ``max_bytes`` (checked on the path, then on the open file)."""
        if not stat.S_ISREG(st.st_mode):
            what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise AccessRefused(
                f"{text} is {what}; give one media file (video, audio or image)",
                reason="not_regular_file",
                source=text,
            )
        if st.st_size > self.max_bytes:
            raise AccessRefused(
                f"{text} is {st.st_size:,} bytes; tools may read at most {self.max_bytes:,} "
                "bytes: give a shorter or smaller file",
                reason="too_large",
                source=text,
            )

    def _check_names(self, parts: Sequence[str], text: str) -> None:
        for part in parts:
            low = part.lower()
            if (
                low in CREDENTIAL_NAMES
                or low.lstrip(".") in CREDENTIAL_NAMES
                or (low.endswith(CREDENTIAL_SUFFIXES) or low.startswith(".env"))
            ):
                raise AccessRefused(
                    f"{text}: credential and key files are never read by tools",
                    reason="credential_file",
                    source=text,
                )
            if part.startswith(".") and part not in (".", "..") and not self.allow_hidden:
                raise AccessRefused(
                    f"{text}: hidden files and directories (names starting with '.') are not "
                    "read by tools; give a visible media file",
                    reason="hidden",
                    source=text,
                )

    # --- URLs --------------------------------------------------------------------------------

    def check_url(self, url: str) -> str:
        """The URL if an agent may use it (scheme, host, every resolved address), else refuse."""
        return self.check_url_pinned(url)[0]

    def check_url_pinned(self, url: str) -> tuple[str, str | None]:
        """:meth:`check_url`, plus the checked address to connect to (None for a literal
        address or when names are not resolved). Our own fetches connect to exactly that
        address, so a DNS answer that changes after the check (rebinding) is never used."""
        text = url.strip()
        label = _redact(text)
        try:
            parts = urlsplit(text)
        except ValueError:
            raise AccessRefused(
                f"{label}: not a valid URL", reason="invalid", source=label
            ) from None
        scheme = parts.scheme.lower()
        if scheme not in self.allowed_schemes:
            raise AccessRefused(
                f"{label}: the {scheme or 'missing'} scheme is not allowed; use "
                f"{' or '.join(s + '://' for s in self.allowed_schemes)} URLs",
                reason="scheme",
                source=label,
            )
        if scheme == "data" and len(text) * 3 // 4 > self.max_bytes:
            raise AccessRefused(
                f"{label}: the data URI holds about {len(text) * 3 // 4:,} bytes; tools may read "
                f"at most {self.max_bytes:,} bytes",
                reason="too_large",
                source=label,
            )
        if scheme in ("data", "oss"):
            return text, None
        if "@" in parts.netloc:
            raise AccessRefused(
                f"{label}: URLs with a user name or password are not accepted; give a plain "
                "public URL (signed query strings are fine)",
                reason="userinfo",
                source=label,
            )
        try:
            host = (parts.hostname or "").rstrip(".")
            _ = parts.port  # a malformed port raises here
        except ValueError:
            raise AccessRefused(
                f"{label}: the host or port is malformed", reason="invalid", source=label
            ) from None
        if not host:
            raise AccessRefused(f"{label}: the URL has no host", reason="invalid", source=label)
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise AccessRefused(
                f"{label}: the host name is not valid", reason="invalid", source=label
            ) from None
        literal = parse_ip_literal(host)
        if self.allowed_hosts is not None and not _host_matches(host, literal, self.allowed_hosts):
            raise AccessRefused(
                f"{label}: host {host} is not on this tool's allow-list "
                f"({', '.join(self.allowed_hosts) or 'empty'}); use a URL on an allowed host",
                reason="host_not_allowed",
                source=label,
            )
        addresses = self._check_host(host, literal, label)
        return text, (addresses[0] if addresses else None)

    def _private_allowed(self, host: str, addr: object, klass: str) -> bool:
        if not self.allow_private_hosts:
            return False
        if klass == "metadata":
            # A broad CIDR must not open the metadata service by accident: only an exact entry.
            return any(
                parse_ip_literal(r) == addr or r.strip().lower() == host
                for r in self.allow_private_hosts
            )
        return _host_matches(host, addr, self.allow_private_hosts)

    def _refuse_private(self, label: str, host: str, klass: str, via: str = "") -> AccessRefused:
        return AccessRefused(
            f"{label}: {host}{via} is {_CLASS_TEXT.get(klass, 'not a public address')}; tools "
            "only read public URLs. Give a public http(s) URL (or, if this host is trusted, ask "
            "the user to add it to allow_private_hosts)",
            reason="private_address",
            source=label,
        )

    def _check_host(self, host: str, literal: object, label: str) -> list[str]:
        """Refuse a host that is (or resolves to) a non-public address; returns the addresses
        that were checked (empty when none was looked up: a literal, or no DNS)."""
        if isinstance(literal, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            klass = classify_address(literal)
            if klass != "public" and not self._private_allowed(host, literal, klass):
                raise self._refuse_private(label, host, klass)
            return []
        if host in _METADATA_NAMES:
            if not self._private_allowed(host, None, "metadata"):
                raise self._refuse_private(label, host, "metadata")
            return []
        if host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES):
            if not self._private_allowed(host, None, "private"):
                raise AccessRefused(
                    f"{label}: {host} is a local or intranet name; tools only read public URLs. "
                    "Give a public http(s) URL",
                    reason="private_address",
                    source=label,
                )
            return []
        if not self.resolve_hosts:
            return []
        resolver = self.resolver or _default_resolver
        try:
            addresses = list(resolver(host))
        except (OSError, UnicodeError) as exc:
            raise AccessRefused(
                f"{label}: the host {host} could not be resolved ({exc}); check the URL",
                reason="unresolvable",
                source=label,
            ) from None
        if not addresses:
            raise AccessRefused(
                f"{label}: the host {host} has no address; check the URL",
                reason="unresolvable",
                source=label,
            )
        checked: list[str] = []
        for text in addresses:
            addr = parse_ip_literal(str(text))
            if addr is None:
                continue
            klass = classify_address(addr)
            if klass != "public" and not self._private_allowed(host, addr, klass):
                raise self._refuse_private(label, host, klass, via=f" (resolves to {addr})")
            checked.append(str(addr))
        if not checked:
            raise AccessRefused(
                f"{label}: the host {host} has no usable address; check the URL",
                reason="unresolvable",
                source=label,
            )
        return checked

    def check_redirect(self, current: str, location: str) -> str:
        """The absolute target of a redirect, checked like the original URL."""
        return self.check_redirect_pinned(current, location)[0]

    def check_redirect_pinned(self, current: str, location: str) -> tuple[str, str | None]:
        """:meth:`check_redirect`, plus the checked address to connect to."""
        try:
            target = urljoin(current, location)
            return self.check_url_pinned(target)
        except ValueError as exc:
            raise AccessRefused(
                f"{_redact(current)} redirects to a URL tools may not read: "
                f"{_malformed(location, exc)}",
                reason="redirect",
                source=_redact(current),
            ) from None
        except AccessRefused as exc:
            raise AccessRefused(
                f"{_redact(current)} redirects to a URL tools may not read: {exc}",
                reason="redirect",
                source=_redact(current),
            ) from None


def _printable(text: str, limit: int = 200) -> str:
    """A source as it may appear in a message: no control characters, bounded."""
    cleaned = "".join(c if c.isprintable() else "?" for c in text[:limit])
    return cleaned + ("…" if len(text) > limit else "")


def _malformed(source: str, exc: BaseException) -> AccessRefused:
    return AccessRefused(
        f"{_printable(_redact(source))}: not a usable path or URL ({type(exc).__name__}); give "
        "a plain path under the media root or a public http(s) URL",
        reason="invalid",
        source=_printable(_redact(source)),
    )


@dataclass(frozen=True)
class LocalSnapshot:
    """A local file an agent named, taken once: ``path`` is a private copy of its bytes.

    Attributes:
        path: the private snapshot (read this, never the original path).
        real_path: where the file was, under a root (for messages and logs).
        label: the path as the agent gave it.
        size: bytes.
    """

    path: Path
    real_path: Path
    label: str
    size: int


_SNAPSHOT_DIR: list[str] = []


def _snapshot_dir() -> str:
    """A private (0700) directory for snapshots, removed when the process exits."""
    if not _SNAPSHOT_DIR:
        import atexit
        import shutil
        import tempfile

        path = tempfile.mkdtemp(prefix="qwen-omni-agent-files-")
        atexit.register(shutil.rmtree, path, True)
        _SNAPSHOT_DIR.append(path)
    return _SNAPSHOT_DIR[0]


def _opened_real_path(fd: int, fallback: Path) -> Path:
    """The real path of an open file (Linux/macOS fd links), else ``fallback``."""
    for link in (f"/proc/self/fd/{fd}", f"/dev/fd/{fd}"):
        try:
            target = os.readlink(link)
        except OSError:
            continue
        if target.startswith("/"):
            return Path(target)
    return fallback


def _snapshot(policy: AccessPolicy, real: Path, label: str) -> LocalSnapshot:
    """Open ``real`` once (no final symlink, no FIFO wait), verify it, copy it privately."""
    import tempfile

    shown = _printable(label)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise AccessRefused(
            f"{shown} changed while it was being checked, or cannot be opened "
            f"({exc.strerror}); give a regular media file under {policy._roots_text()}",
            reason="symlink_escape" if exc.errno in (40, 62) else "not_found",
            source=shown,
        ) from None
    try:
        policy._check_stat(os.fstat(fd), shown)
        opened = _opened_real_path(fd, real)
        roots = [Path(os.path.realpath(r)) for r in policy.roots]
        if not any(opened == r or r in opened.parents for r in roots):
            raise AccessRefused(
                f"{shown} leads outside the allowed media directories "
                f"({policy._roots_text()}); give the real file under the root",
                reason="symlink_escape",
                source=shown,
            )
        os.set_blocking(fd, True)
        suffix = "".join(c for c in real.suffix[:12] if c.isalnum() or c == ".")
        out_fd, out_name = tempfile.mkstemp(suffix=suffix, dir=_snapshot_dir())
        copied = 0
        try:
            with os.fdopen(fd, "rb", closefd=False) as src, os.fdopen(out_fd, "wb") as dst:
                while chunk := src.read(1 << 20):
                    copied += len(chunk)
                    if copied > policy.max_bytes:
                        raise AccessRefused(
                            f"{shown} grew past {policy.max_bytes:,} bytes while it was read",
                            reason="too_large",
                            source=shown,
                        )
                    dst.write(chunk)
        except BaseException:
            os.unlink(out_name)
            raise
        return LocalSnapshot(Path(out_name), opened, label, copied)
    finally:
        os.close(fd)


def _redact(url: str) -> str:
    if url[:5].lower() == "data:":
        return url.split(",", 1)[0] + ",…"
    return url.split("?", 1)[0].split("#", 1)[0]
