"""The DashScope temporary upload: ``oss://`` URLs valid for 48 hours.

DashScope documents it as **China (Beijing) only, with a Beijing API key, for development and
testing** (getPolicy is limited to 100 QPS per account and model and cannot be scaled out). A
file is bound to the model named when it was uploaded and to the account; a request that uses
it must carry ``X-DashScope-OssResourceResolve: enable`` (``DeliveredMedia.oss_resolve``).

Flow (reference §7): ``GET {api}/uploads?action=getPolicy&model=…`` → form-POST the file to
``upload_host`` with the policy fields (the file last) → ``oss://<key>``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from qwen_omni.delivery.base import DeliveredMedia, DeliveryContext, LocalMedia
from qwen_omni.delivery.oss import mime_type_for
from qwen_omni.errors import ConfigurationError, MediaTooLargeError, UploadError

__all__ = ["TEMP_URL_LIFETIME_S", "DashScopeTempStore", "UploadPolicy"]

logger = logging.getLogger("qwen_omni.delivery.temp")

#: How long an ``oss://`` temporary file lives (reference §7).
TEMP_URL_LIFETIME_S = 48 * 3600
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
BEIJING_ONLY = (
    "the DashScope temporary upload (oss://, 48 h) exists only in China (Beijing), with a "
    "Beijing API key, and is meant for development and testing"
)


@dataclass(frozen=True)
class UploadPolicy:
    """A getPolicy answer: form fields for the upload, valid until ``expires_at``."""

    upload_host: str
    upload_dir: str
    fields: dict[str, str] = field(repr=False)
    max_file_size: int | None
    expires_at: float


def _policy_from(data: dict[str, Any], now: float) -> UploadPolicy:
    try:
        max_mb = data.get("max_file_size_mb")
        return UploadPolicy(
            upload_host=str(data["upload_host"]),
            upload_dir=str(data["upload_dir"]).rstrip("/"),
            fields={
                "OSSAccessKeyId": str(data["oss_access_key_id"]),
                "Signature": str(data["signature"]),
                "policy": str(data["policy"]),
                "x-oss-object-acl": str(data.get("x_oss_object_acl", "private")),
                "x-oss-forbid-overwrite": str(data.get("x_oss_forbid_overwrite", "true")),
            },
            max_file_size=int(float(max_mb) * 1024 * 1024) if max_mb is not None else None,
            expires_at=now + float(data.get("expire_in_seconds", 300)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UploadError(
            f"DashScope getPolicy answered without the expected fields ({exc!r})"
        ) from exc


def _oss_error(response: httpx.Response) -> tuple[str, str]:
    try:
        root = ET.fromstring(response.content)  # noqa: S314 - a response from the upload host
    except ET.ParseError:
        return "", response.text[:200]
    return root.findtext("Code") or "", root.findtext("Message") or ""


class DashScopeTempStore:
    """Uploads a file to DashScope's temporary storage and returns an ``oss://`` URL.

    China (Beijing) only, for development and testing (as DashScope documents it); elsewhere
    use :class:`~qwen_omni.delivery.oss.OssStore`. Policies are reused while valid; keys are
    unique per upload (two files with the same name never collide); the same content for the
    same model is uploaded once per 48-hour lifetime.

    Args:
        api_key: the DashScope key (default: the request context's, then ``DASHSCOPE_API_KEY``).
        api_base_url: DashScope native base (default: the context's, derived from its base_url).
        timeout: seconds for getPolicy; uploads get ``upload_timeout``.
        policy_margin_s: a policy is renewed this long before it expires.
        transport: an ``httpx`` transport (tests).
        any_region: use it outside Beijing too. The documentation (TMPURL, TMPURL-EN of March
            2026) says Beijing only, but the dashscope SDK 2.x source suggests other regions may
            now work (UNCONFIRMED); ``MediaDelivery("dashscope_temp")`` sets this, with a warning,
            when the caller asks for the temporary upload outside Beijing.
    """

    name = "dashscope_temp"

    def __init__(
        self,
        api_key: str | None = None,
        *,
        api_base_url: str | None = None,
        timeout: float = 30.0,
        upload_timeout: float = 3600.0,
        policy_margin_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        any_region: bool = False,
    ) -> None:
        self.any_region = any_region
        self._api_key = api_key
        self.api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.policy_margin_s = policy_margin_s
        self._transport = transport
        self._async_transport = async_transport
        self._clock = clock
        self._lock = threading.Lock()
        self._policies: dict[tuple[str, str, str], UploadPolicy] = {}
        self._uploads: dict[tuple[str, str, str, str], tuple[str, float]] = {}
        #: getPolicy calls made (for tests and diagnostics).
        self.policy_requests = 0

    def __repr__(self) -> str:
        return f"DashScopeTempStore(api_base_url={self.api_base_url!r})"

    # --- helpers --------------------------------------------------------------------------

    def _key_and_base(self, ctx: DeliveryContext) -> tuple[str, str]:
        if ctx.region not in (None, "beijing") and not self.any_region:
            raise ConfigurationError(
                f"delivery='dashscope_temp' cannot be used in region {ctx.region!r}: "
                f"{BEIJING_ONLY}; configure OSS (OssStore) or send the media inline"
            )
        api_key = self._api_key or ctx.api_key or os.environ.get("DASHSCOPE_API_KEY")
        if not api_key:
            raise ConfigurationError(
                "the DashScope temporary upload needs an API key: set DASHSCOPE_API_KEY or pass "
                "api_key="
            )
        return api_key, self.api_base_url or ctx.native_api_base()

    @staticmethod
    def _account(api_key: str) -> str:
        return hashlib.sha256(api_key.encode()).hexdigest()[:16]

    def _cached_policy(self, slot: tuple[str, str, str]) -> UploadPolicy | None:
        policy = self._policies.get(slot)
        if policy is not None and policy.expires_at - self._clock() > self.policy_margin_s:
            return policy
        return None

    def _policy_request(self, api_base: str, model: str, api_key: str) -> dict[str, Any]:
        return {
            "url": f"{api_base}/uploads",
            "params": {"action": "getPolicy", "model": model},
            "headers": {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
        }

    def _parse_policy(self, response: httpx.Response, model: str) -> UploadPolicy:
        if response.status_code != 200:
            message = response.text[:300]
            try:
                body = response.json()
                message = body.get("message") or body.get("error", {}).get("message") or message
            except (ValueError, AttributeError):
                pass
            hint = (
                " — check DASHSCOPE_API_KEY (a Beijing key is needed)"
                if response.status_code in (401, 403)
                else ""
            )
            raise UploadError(
                f"DashScope getPolicy for model {model!r} failed: HTTP {response.status_code} "
                f"{message}{hint}"
            )
        body = response.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise UploadError("DashScope getPolicy answered without a 'data' object")
        return _policy_from(data, self._clock())

    def _object_key(self, policy: UploadPolicy, media: LocalMedia) -> str:
        name = _SAFE_NAME.sub("_", Path(media.filename).name).strip("._") or media.kind
        if "." not in name:
            ext = mime_type_for(media).rsplit("/", 1)[-1]
            if ext.isalnum() and ext != "octet-stream":
                name = f"{name}.{ext}"
        # A fresh component per upload: same-named files never collide (forbid-overwrite).
        return f"{policy.upload_dir}/{uuid.uuid4().hex[:16]}/{name}"

    def _check_size(self, policy: UploadPolicy, media: LocalMedia, model: str) -> None:
        if policy.max_file_size is not None and media.size > policy.max_file_size:
            raise MediaTooLargeError(
                f"{media.label} is {media.size:,} bytes; the DashScope temporary upload accepts "
                f"at most {policy.max_file_size:,} bytes for model {model!r}: shrink it, or "
                "upload it to your own OSS bucket (delivery='oss')",
                source=media.label,
                value=media.size,
                limit=policy.max_file_size,
            )

    def _form(self, policy: UploadPolicy, key: str, media: LocalMedia) -> dict[str, str]:
        form = dict(policy.fields)
        form["key"] = key
        form["success_action_status"] = "200"
        form["x-oss-content-type"] = mime_type_for(media)
        return form

    def _upload_failed(
        self, response: httpx.Response, media: LocalMedia
    ) -> tuple[UploadError, bool]:
        code, message = _oss_error(response)
        expired = response.status_code == 403 and "expired" in message.lower()
        return (
            UploadError(
                f"uploading {media.label} to the DashScope temporary storage failed: HTTP "
                f"{response.status_code} {code} {message}".rstrip(),
                source=media.label,
            ),
            expired,
        )

    def _remember(self, slot: tuple[str, str, str, str], url: str) -> None:
        self._uploads[slot] = (url, self._clock() + TEMP_URL_LIFETIME_S)

    def _reuse(self, slot: tuple[str, str, str, str], ctx: DeliveryContext) -> str | None:
        found = self._uploads.get(slot)
        if found and found[1] - self._clock() > ctx.deadline_s:
            return found[0]
        return None

    # --- sync -----------------------------------------------------------------------------

    def _policy(
        self, client: httpx.Client, api_base: str, model: str, api_key: str
    ) -> UploadPolicy:
        slot = (api_base, model, self._account(api_key))
        with self._lock:
            policy = self._cached_policy(slot)
        if policy is None:
            self.policy_requests += 1
            try:
                response = client.get(**self._policy_request(api_base, model, api_key))
            except httpx.HTTPError as exc:
                raise UploadError(
                    f"DashScope getPolicy at {api_base} failed: {type(exc).__name__}"
                ) from exc
            policy = self._parse_policy(response, model)
            with self._lock:
                self._policies[slot] = policy
        return policy

    def put(self, media: LocalMedia, ctx: DeliveryContext) -> DeliveredMedia:
        """Upload ``media`` to the temporary storage; the URL is ``oss://…``.

        Raises:
            ConfigurationError: outside Beijing, or no API key.
            MediaTooLargeError: over the model's ``max_file_size_mb``.
            UploadError: getPolicy or the upload failed.
        """
        api_key, api_base = self._key_and_base(ctx)
        slot = (api_base, ctx.model, self._account(api_key), media.sha256())
        cached = self._reuse(slot, ctx)
        if cached:
            return DeliveredMedia(url=cached, oss_resolve=True, store=self.name)
        with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
            for attempt in range(2):
                policy = self._policy(client, api_base, ctx.model, api_key)
                self._check_size(policy, media, ctx.model)
                key = self._object_key(policy, media)
                with media.open() as fh:
                    try:
                        response = client.post(
                            policy.upload_host,
                            data=self._form(policy, key, media),
                            files={"file": (Path(key).name, fh, mime_type_for(media))},
                            timeout=self.upload_timeout,
                        )
                    except httpx.HTTPError as exc:
                        raise UploadError(
                            f"uploading {media.label} to the DashScope temporary storage "
                            f"failed: {type(exc).__name__}",
                            source=media.label,
                        ) from exc
                if response.status_code in (200, 201, 204):
                    url = "oss://" + key
                    self._remember(slot, url)
                    return DeliveredMedia(url=url, oss_resolve=True, store=self.name)
                error, expired = self._upload_failed(response, media)
                if not (expired and attempt == 0):
                    raise error
                with self._lock:  # the policy expired under us: get a new one, once
                    self._policies.pop((api_base, ctx.model, self._account(api_key)), None)
        raise AssertionError("unreachable")

    # --- async ----------------------------------------------------------------------------

    async def _apolicy(
        self, client: httpx.AsyncClient, api_base: str, model: str, api_key: str
    ) -> UploadPolicy:
        slot = (api_base, model, self._account(api_key))
        with self._lock:
            policy = self._cached_policy(slot)
        if policy is None:
            self.policy_requests += 1
            try:
                response = await client.get(**self._policy_request(api_base, model, api_key))
            except httpx.HTTPError as exc:
                raise UploadError(
                    f"DashScope getPolicy at {api_base} failed: {type(exc).__name__}"
                ) from exc
            policy = self._parse_policy(response, model)
            with self._lock:
                self._policies[slot] = policy
        return policy

    async def aput(self, media: LocalMedia, ctx: DeliveryContext) -> DeliveredMedia:
        """Async :meth:`put` (``httpx.AsyncClient``; the file is streamed)."""
        import asyncio

        api_key, api_base = self._key_and_base(ctx)
        digest = await asyncio.to_thread(media.sha256)
        slot = (api_base, ctx.model, self._account(api_key), digest)
        cached = self._reuse(slot, ctx)
        if cached:
            return DeliveredMedia(url=cached, oss_resolve=True, store=self.name)
        async with httpx.AsyncClient(
            timeout=self.timeout, transport=self._async_transport
        ) as client:
            for attempt in range(2):
                policy = await self._apolicy(client, api_base, ctx.model, api_key)
                self._check_size(policy, media, ctx.model)
                key = self._object_key(policy, media)
                with media.open() as fh:
                    try:
                        response = await client.post(
                            policy.upload_host,
                            data=self._form(policy, key, media),
                            files={"file": (Path(key).name, fh, mime_type_for(media))},
                            timeout=self.upload_timeout,
                        )
                    except httpx.HTTPError as exc:
                        raise UploadError(
                            f"uploading {media.label} to the DashScope temporary storage "
                            f"failed: {type(exc).__name__}",
                            source=media.label,
                        ) from exc
                if response.status_code in (200, 201, 204):
                    url = "oss://" + key
                    self._remember(slot, url)
                    return DeliveredMedia(url=url, oss_resolve=True, store=self.name)
                error, expired = self._upload_failed(response, media)
                if not (expired and attempt == 0):
                    raise error
                with self._lock:
                    self._policies.pop((api_base, ctx.model, self._account(api_key)), None)
        raise AssertionError("unreachable")
