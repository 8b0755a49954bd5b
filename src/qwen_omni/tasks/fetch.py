"""Our own fetches of agent-named URLs: every redirect hop is checked by the access policy.

Two operations, both async on ``httpx``:

- :func:`fetch_head`: the first bytes of a URL (for content sniffing) and the final URL after
  redirects — the URL then handed to the model server, so that the server does not follow a
  redirect we never checked;
- :func:`download`: the whole body into a file, refusing anything over the policy's
  ``max_bytes`` while it streams.

Redirects are followed by hand (``follow_redirects=False``), at most ``policy.max_redirects``,
each ``Location`` checked with :meth:`AccessPolicy.check_redirect` (scheme, host, every
resolved address) before it is requested. FFmpeg never opens an agent's URL: media is probed
only after it was downloaded here.

DNS rebinding is closed: the policy resolves the name once and checks every address; the
request then connects to that checked address (the URL's host is replaced by it), keeping
``Host`` and the TLS server name (SNI, and so certificate verification) on the original name.
Every redirect hop is resolved, checked and pinned the same way. A whole fetch or download
has a wall-clock limit (``policy.fetch_deadline_s``), so a server dripping bytes cannot hold a
tool longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qwen_omni.tasks.policy import AccessPolicy, AccessRefused, _redact

__all__ = ["FetchedHead", "download", "fetch_head"]

_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchedHead:
    """The start of a fetched URL.

    Attributes:
        url: the final URL after redirects (each checked).
        head: the first bytes of the body.
        content_type: the ``Content-Type`` header, if any.
        size: the full size when the server said (``Content-Range`` or ``Content-Length``).
        redirects: how many redirects were followed.
    """

    url: str
    head: bytes
    content_type: str | None
    size: int | None
    redirects: int


def _client(policy: AccessPolicy) -> Any:
    import httpx

    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=httpx.Timeout(policy.fetch_timeout_s),
        trust_env=False,  # a proxy from the environment would hide where requests really go
        headers={"User-Agent": "qwen-omni-tools/0.1"},
    )


@contextlib.asynccontextmanager
async def _deadline(policy: AccessPolicy, url: str) -> AsyncIterator[None]:
    """The whole fetch ends within ``policy.fetch_deadline_s`` (a refusal the agent reads)."""
    try:
        async with asyncio.timeout(policy.fetch_deadline_s):
            yield
    except TimeoutError:
        raise AccessRefused(
            f"{_redact(url)} took longer than {policy.fetch_deadline_s:g} s to fetch; give a "
            "faster or smaller source",
            reason="fetch_failed",
            source=_redact(url),
        ) from None


def _size_from(headers: Any) -> int | None:
    rng = headers.get("content-range")
    if rng and "/" in rng:
        total = rng.rsplit("/", 1)[1].strip()
        if total.isdigit():
            return int(total)
    length = headers.get("content-length")
    if length and length.isdigit() and not rng:
        return int(length)
    return None


def _pinned_request(
    client: Any, url: str, address: str | None, headers: dict[str, str]
) -> Any:
    """GET ``url`` connecting to the checked ``address``, with Host and SNI of the URL's name."""
    if address is None:
        return client.build_request("GET", url, headers=headers)
    import httpx

    parsed = httpx.URL(url)
    host = parsed.host
    literal = f"[{address}]" if ":" in address else address
    default_port = {"http": 80, "https": 443}.get(parsed.scheme)
    host_header = host if parsed.port in (None, default_port) else f"{host}:{parsed.port}"
    target = parsed.copy_with(host=literal.strip("[]"))
    return client.build_request(
        "GET",
        target,
        headers={**headers, "Host": host_header},
        extensions={"sni_hostname": host},
    )


async def _open(client: Any, policy: AccessPolicy, url: str, headers: dict[str, str]) -> Any:
    """Send GET, following checked redirects; returns (response, final_url, hops)."""
    current, address = await asyncio.to_thread(policy.check_url_pinned, url)
    for hop in range(policy.max_redirects + 1):
        request = _pinned_request(client, current, address, headers)
        try:
            response = await client.send(request, stream=True)
        except Exception as exc:  # httpx transport errors: the agent gets a message
            raise AccessRefused(
                f"{_redact(current)} could not be fetched ({type(exc).__name__}: {exc}); "
                "check that the URL is public and reachable",
                reason="fetch_failed",
                source=_redact(url),
            ) from exc
        if response.status_code in _REDIRECTS:
            location = response.headers.get("location")
            await response.aclose()
            if not location:
                raise AccessRefused(
                    f"{_redact(current)} redirects without a Location",
                    reason="fetch_failed",
                    source=_redact(url),
                )
            if hop == policy.max_redirects:
                break
            current, address = await asyncio.to_thread(
                policy.check_redirect_pinned, current, location
            )
            continue
        if response.status_code >= 400:
            await response.aclose()
            raise AccessRefused(
                f"{_redact(current)} answered HTTP {response.status_code}; check the URL "
                "(it must be public, and a signed URL must not have expired)",
                reason="fetch_failed",
                source=_redact(url),
            )
        return response, current, hop
    raise AccessRefused(
        f"{_redact(url)} redirects more than {policy.max_redirects} times",
        reason="redirect",
        source=_redact(url),
    )


async def fetch_head(url: str, policy: AccessPolicy, n: int = 64) -> FetchedHead:
    """The first ``n`` bytes of ``url`` (a ranged GET), following checked redirects.

    Raises:
        AccessRefused: a hop the policy refuses, an HTTP error, or a network failure.
    """
    async with _deadline(policy, url), _client(policy) as client:
        response, final, hops = await _open(client, policy, url, {"Range": f"bytes=0-{n - 1}"})
        try:
            head = b""
            async for chunk in response.aiter_raw():
                head += chunk
                if len(head) >= n:
                    break
            return FetchedHead(
                url=final,
                head=head[:n],
                content_type=response.headers.get("content-type"),
                size=_size_from(response.headers),
                redirects=hops,
            )
        finally:
            await response.aclose()


async def download(url: str, target: Path, policy: AccessPolicy) -> FetchedHead:
    """Stream ``url`` into ``target`` (at most ``policy.max_bytes``), following checked redirects.

    Raises:
        AccessRefused: refused hop, HTTP error, network failure, or a body over the cap.
    """
    async with _deadline(policy, url), _client(policy) as client:
        response, final, hops = await _open(client, policy, url, {})
        try:
            declared = _size_from(response.headers)
            if declared is not None and declared > policy.max_bytes:
                raise AccessRefused(
                    f"{_redact(url)} is {declared:,} bytes; tools may read at most "
                    f"{policy.max_bytes:,} bytes",
                    reason="too_large",
                    source=_redact(url),
                )
            written = 0
            head = b""
            with target.open("wb") as out:
                async for chunk in response.aiter_bytes(_CHUNK):
                    written += len(chunk)
                    if written > policy.max_bytes:
                        raise AccessRefused(
                            f"{_redact(url)} is larger than {policy.max_bytes:,} bytes, the "
                            "most tools may read",
                            reason="too_large",
                            source=_redact(url),
                        )
                    if len(head) < 64:
                        head += chunk[: 64 - len(head)]
                    out.write(chunk)
            return FetchedHead(
                url=final,
                head=head,
                content_type=response.headers.get("content-type"),
                size=written,
                redirects=hops,
            )
        finally:
            await response.aclose()
