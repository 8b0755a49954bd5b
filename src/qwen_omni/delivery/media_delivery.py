"""MediaDelivery: the one place that turns an image, audio or video part into something the
service can read, choosing a store by policy and checking URLs before they leave."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, get_args
from urllib.parse import urlsplit

from qwen_omni import catalog, data_uri
from qwen_omni.delivery.base import (
    DeliverablePart,
    DeliveredMedia,
    DeliveryContext,
    DeliveryPolicy,
    LocalMedia,
    MediaStore,
)
from qwen_omni.delivery.inline import TOO_LARGE_FIX, InlineStore, check_data_uri
from qwen_omni.delivery.temp import BEIJING_ONLY
from qwen_omni.delivery.urls import (
    check_reachable,
    check_scheme,
    is_oss_host,
    parse_signed_url,
    redact_url,
)
from qwen_omni.errors import (
    FETCH_HINT,
    ConfigurationError,
    MediaNotFetchableError,
    MediaTooLargeError,
    UnsupportedMediaError,
)

if TYPE_CHECKING:
    from qwen_omni.delivery.oss import OssStore
    from qwen_omni.delivery.temp import DashScopeTempStore

__all__ = ["DEFAULT_INLINE_MAX_SECONDS", "MediaDelivery", "probe_duration"]

logger = logging.getLogger("qwen_omni.delivery")

#: The field guide: inline (base64) is for short clips; anything longer goes by URL when a store
#: is available ("the right answer for anything bigger than 30 seconds").
DEFAULT_INLINE_MAX_SECONDS = 30.0

TEMP_REGIONS = (None, "beijing")
TEMP_REGION_HINT = BEIJING_ONLY
_PROBE_TIMEOUT_S = 5.0


def probe_duration(media: LocalMedia) -> float | None:
    """Duration in seconds of an audio or video medium (PyAV, header only), None if unknown."""
    try:
        import av
    except ImportError:
        return None
    import io

    source: str | io.BytesIO = (
        str(media.path) if media.path is not None else io.BytesIO(media.data or b"")
    )
    try:
        with av.open(source, mode="r") as container:
            if container.duration:
                return float(container.duration) / av.time_base
            for stream in container.streams:
                if stream.duration and stream.time_base:
                    return float(stream.duration * stream.time_base)
    except (av.FFmpegError, OSError, ValueError):
        return None
    return None


class MediaDelivery:
    """Turns media parts into URLs or data URIs the service can read.

    Policies:

    - ``"auto"`` (default): inline when the data URI fits (and, when OSS is configured, the audio
      or video clip is short: ``inline_max_seconds``), else OSS when configured, else the
      DashScope temporary upload when the region allows it (Beijing; development only), else a
      ``MediaTooLargeError`` that says what to configure.
    - ``"inline"``, ``"oss"``, ``"dashscope_temp"``: force that store.

    URLs in parts are checked, never blindly passed: only http(s), ``data:`` (base64, within the
    inline cap) and ``oss://`` (with the resolve header) go out; hosts the service cannot reach
    are refused (unless the endpoint shares their network, or ``allow_hosts`` lists them); signed
    OSS URLs that expire before the request's deadline are re-signed when ``oss`` owns the object
    and refused otherwise; unsigned URLs on a private bucket are signed when owned and refused
    when a probe shows the bucket is private.

    Args:
        policy: which store to use (see above).
        oss: an :class:`~qwen_omni.delivery.oss.OssStore`; when None and ``use_env``, one is built
            from ``OSS_BUCKET`` and friends if they are set.
        temp: a :class:`~qwen_omni.delivery.temp.DashScopeTempStore`; when None one is made on
            demand in Beijing.
        allow_hosts: hosts the service can reach although they look private: names,
            ``.suffix`` patterns or CIDR blocks.
        inline_max_bytes: the data URI cap (10,485,760 encoded bytes by default).
        inline_max_seconds: longer audio/video goes to OSS when it is configured
            (None: size only).
        oss_hosts: extra hosts served by OSS (CNAMEs, an emulator) whose unsigned URLs are
            probed for a private bucket.
        probe_private_buckets: send one anonymous HEAD to an unsigned OSS URL and refuse it on 403.
        use_env: build the OSS store from the environment when ``oss`` is None.
        duration_probe: how to measure a clip (default: PyAV, header only).
    """

    def __init__(
        self,
        policy: DeliveryPolicy = "auto",
        *,
        oss: OssStore | None = None,
        temp: DashScopeTempStore | None = None,
        allow_hosts: Sequence[str] = (),
        inline_max_bytes: int = catalog.DATA_URI_MAX_BYTES,
        inline_max_seconds: float | None = DEFAULT_INLINE_MAX_SECONDS,
        oss_hosts: Sequence[str] = (),
        probe_private_buckets: bool = True,
        use_env: bool = True,
        duration_probe: Callable[[LocalMedia], float | None] | None = probe_duration,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if policy not in get_args(DeliveryPolicy):
            choices = ", ".join(get_args(DeliveryPolicy))
            raise ConfigurationError(f"unknown delivery policy {policy!r}: use one of {choices}")
        self.policy: DeliveryPolicy = policy
        self.inline = InlineStore(inline_max_bytes)
        self.allow_hosts = tuple(allow_hosts)
        self.inline_max_seconds = inline_max_seconds
        self.oss_hosts = tuple(h.lower() for h in oss_hosts)
        self.probe_private_buckets = probe_private_buckets
        self.duration_probe = duration_probe
        self._clock = clock
        self._oss = oss
        self._oss_from_env = oss is None and use_env
        self._temp = temp
        self._temp_explicit = temp is not None

    def __repr__(self) -> str:
        return (
            f"MediaDelivery(policy={self.policy!r}, oss={self._oss!r}, "
            f"temp={self._temp!r}, inline_max_bytes={self.inline.max_bytes})"
        )

    # --- stores ---------------------------------------------------------------------------

    @property
    def oss(self) -> OssStore | None:
        """The OSS store: the one given, else one configured from the environment, else None."""
        if self._oss is None and self._oss_from_env:
            self._oss_from_env = False
            from qwen_omni.delivery.oss import OssStore

            self._oss = OssStore.from_env()
        return self._oss

    def _temp_store(self, ctx: DeliveryContext, *, forced: bool) -> DashScopeTempStore | None:
        if ctx.region not in TEMP_REGIONS:
            if not forced:
                return None  # the documented rule: never chosen automatically outside Beijing
            # Asked for by name: the documentation says Beijing only, the dashscope SDK 2.x
            # suggests otherwise (UNCONFIRMED), so let the caller try, loudly.
            import warnings

            warnings.warn(
                f"delivery='dashscope_temp' in region {ctx.region!r}: {TEMP_REGION_HINT} per "
                "the documentation (newer SDKs suggest other regions may work, UNCONFIRMED); "
                "if the service answers 'The provided URL does not appear to be valid', "
                "configure OSS (OssStore or OSS_BUCKET…) or send the media inline",
                UserWarning,
                stacklevel=4,
            )
            if self._temp is None:
                from qwen_omni.delivery.temp import DashScopeTempStore

                self._temp = DashScopeTempStore()
            self._temp.any_region = True
            return self._temp
        if self._temp is None and (forced or ctx.region == "beijing"):
            from qwen_omni.delivery.temp import DashScopeTempStore

            self._temp = DashScopeTempStore()
        if not forced and not self._temp_explicit and ctx.region is None:
            # A custom endpoint (vLLM…) cannot resolve oss:// unless the caller opted in.
            return None
        return self._temp

    def _require_oss(self) -> OssStore:
        store = self.oss
        if store is None:
            raise ConfigurationError(
                "delivery='oss' needs an OSS bucket: pass MediaDelivery(oss=OssStore(bucket=…, "
                "region=…)) or set OSS_BUCKET, OSS_REGION (or OSS_ENDPOINT), OSS_ACCESS_KEY_ID "
                "and OSS_ACCESS_KEY_SECRET"
            )
        return store

    def _is_short(self, media: LocalMedia) -> bool:
        if media.kind == "image" or self.inline_max_seconds is None or self.duration_probe is None:
            return True
        duration = self.duration_probe(media)
        return duration is None or duration <= self.inline_max_seconds

    def choose_store(self, media: LocalMedia, ctx: DeliveryContext) -> MediaStore:
        """The store that will deliver ``media`` under the policy (may probe the duration)."""
        if self.policy == "inline":
            return self.inline
        if self.policy == "oss":
            return self._require_oss()
        if self.policy == "dashscope_temp":
            store = self._temp_store(ctx, forced=True)
            assert store is not None
            return store
        fits = self.inline.fits(media)
        oss = self.oss
        # Long clips prefer OSS (the field guide: base64 is for short clips). The temporary
        # upload is for development only, so it is a fallback for what does not fit inline.
        if fits and (oss is None or self._is_short(media)):
            return self.inline
        if oss is not None:
            return oss
        temp = self._temp_store(ctx, forced=False)
        if temp is not None:
            return temp
        size = self.inline.encoded_size(media)
        region_note = (
            f" ({TEMP_REGION_HINT}; region is {ctx.region!r})"
            if ctx.region not in TEMP_REGIONS
            else ""
        )
        raise MediaTooLargeError(
            f"{media.label} is {size:,} bytes as a data URI (base64 of {media.size:,} bytes), over "
            f"the {self.inline.max_bytes:,}-byte inline cap, and no upload store is configured"
            f"{region_note}: {TOO_LARGE_FIX}",
            source=media.label,
            value=size,
            limit=self.inline.max_bytes,
        )

    # --- public API -----------------------------------------------------------------------

    def deliver(self, part: DeliverablePart, ctx: DeliveryContext) -> DeliveredMedia:
        """Deliver an image, audio or video part for the request described by ``ctx``.

        Raises:
            MediaTooLargeError: over the inline cap with no store to upload to.
            MediaNotFetchableError: a URL the service can never fetch (private host, expired…).
            UnsupportedMediaError: a URL scheme the service does not read.
            ConfigurationError: a forced store is not configured or not available here.
            UploadError: the upload or signing failed.
        """
        if part.url is not None:
            planned = self._plan_url(part, ctx)
            if isinstance(planned, LocalMedia):
                store = self.choose_store(planned, ctx)
                self._precheck(store, ctx)
                return self._checked(store.put(planned, ctx), ctx)
            if planned.url.startswith("http") and self._needs_probe(planned):
                self._refuse_if_private(planned.url, self._probe_sync(planned.url))
            return planned
        media = LocalMedia.from_part(part)
        store = self.choose_store(media, ctx)
        self._precheck(store, ctx)
        return self._checked(store.put(media, ctx), ctx)

    async def adeliver(self, part: DeliverablePart, ctx: DeliveryContext) -> DeliveredMedia:
        """Async :meth:`deliver`: uploads never block the event loop."""
        if part.url is not None:
            planned = self._plan_url(part, ctx)
            if isinstance(planned, LocalMedia):
                upload = await asyncio.to_thread(self.choose_store, planned, ctx)
                self._precheck(upload, ctx)
                return self._checked(await upload.aput(planned, ctx), ctx)
            if planned.url.startswith("http") and self._needs_probe(planned):
                self._refuse_if_private(planned.url, await self._probe_async(planned.url))
            return planned
        media = await asyncio.to_thread(LocalMedia.from_part, part)
        store: MediaStore
        if self.policy == "inline":
            store = self.inline
        else:
            store = await asyncio.to_thread(self.choose_store, media, ctx)
        self._precheck(store, ctx)
        return self._checked(await store.aput(media, ctx), ctx)

    def release(self, delivered: DeliveredMedia) -> None:
        """Call after the request completed: deletes the object when the OSS store was built
        with ``delete_after_use=True``; a no-op otherwise."""
        if delivered.store == "oss" and self._oss is not None:
            self._oss.release(delivered.url)

    async def arelease(self, delivered: DeliveredMedia) -> None:
        """Async :meth:`release`."""
        if delivered.store == "oss" and self._oss is not None:
            await asyncio.to_thread(self._oss.release, delivered.url)

    # --- URLs -----------------------------------------------------------------------------

    def _precheck(self, store: MediaStore, ctx: DeliveryContext) -> None:
        """Refuse before uploading when the store's URLs could never be fetched by the service
        (an OSS store on loopback while the endpoint is DashScope)."""
        public = getattr(store, "public_endpoint", None)
        if isinstance(public, str):
            try:
                check_reachable(public + "/", base_url=ctx.base_url, allow_hosts=self.allow_hosts)
            except MediaNotFetchableError as exc:
                raise MediaNotFetchableError(
                    f"the OSS store's endpoint {public} is not reachable by the service at "
                    f"{ctx.base_url}, so its signed URLs could not be fetched: {exc}",
                    source=public,
                ) from exc

    def _checked(self, delivered: DeliveredMedia, ctx: DeliveryContext) -> DeliveredMedia:
        if delivered.url.startswith(("http://", "https://")):
            check_reachable(delivered.url, base_url=ctx.base_url, allow_hosts=self.allow_hosts)
        return delivered

    def _plan_url(self, part: DeliverablePart, ctx: DeliveryContext) -> DeliveredMedia | LocalMedia:
        """Pass-through result for a URL part, or the decoded bytes of an oversized data URI."""
        url = part.url
        assert url is not None
        label = part.source_label
        scheme = check_scheme(url, label=label)
        if scheme == "data":
            try:
                check_data_uri(url, label=label, max_bytes=self.inline.max_bytes)
            except MediaTooLargeError:
                if self.policy == "inline" or not self._has_upload_store(ctx):
                    raise
                return self._decode_data_uri(part, url, label)
            return DeliveredMedia(url=url, oss_resolve=False, store="inline")
        if scheme == "oss":
            if ctx.region not in TEMP_REGIONS:
                raise MediaNotFetchableError(
                    f"{redact_url(url)} is a DashScope temporary-upload URL; {TEMP_REGION_HINT}, "
                    f"so the service in region {ctx.region!r} cannot resolve it; {FETCH_HINT}",
                    source=redact_url(url),
                )
            return DeliveredMedia(url=url, oss_resolve=True, store="url")
        return self._plan_http(url, ctx)

    def can_upload(self, ctx: DeliveryContext) -> bool:
        """True when media too large to inline can still be delivered (an OSS store, or the
        temporary upload where the region allows it); False: only inline delivery works, so
        whatever is sent must fit :attr:`inline` (``inline.max_bytes``)."""
        if self.policy == "inline":
            return False
        return self._has_upload_store(ctx)

    def _has_upload_store(self, ctx: DeliveryContext) -> bool:
        if self.policy == "oss":
            return True
        if self.policy == "dashscope_temp":
            return True
        return self.oss is not None or self._temp_store(ctx, forced=False) is not None

    def _decode_data_uri(self, part: DeliverablePart, url: str, label: str) -> LocalMedia:
        try:
            data = data_uri.decode(url)
        except ValueError as exc:
            raise UnsupportedMediaError(f"{label} is not valid base64", source=label) from exc
        mime = data_uri.mime_of(url) or part.mime_type
        return LocalMedia.from_bytes(
            data, kind=part.type, label=label, filename=part.type, mime_type=mime or None
        )

    def _plan_http(self, url: str, ctx: DeliveryContext) -> DeliveredMedia:
        now = self._clock()
        signed = parse_signed_url(url)
        oss = self.oss
        key = oss.key_for_url(url) if oss is not None else None
        if oss is not None and key is not None:
            unreachable = False
            try:
                check_reachable(url, base_url=ctx.base_url, allow_hosts=self.allow_hosts)
            except MediaNotFetchableError:
                unreachable = (
                    True  # e.g. our bucket's -internal endpoint: re-sign on the public one
                )
            stale = signed is not None and signed.remaining(now) < ctx.deadline_s
            private_unsigned = signed is None and not oss.public_read
            if unreachable or stale or private_unsigned:
                logger.debug("re-signing %s (owned by the OSS store)", redact_url(url))
                return self._checked(oss.sign_for(key, ctx), ctx)
            return DeliveredMedia(url=url, oss_resolve=False, store="url")
        check_reachable(url, base_url=ctx.base_url, allow_hosts=self.allow_hosts)
        if signed is not None:
            remaining = signed.remaining(now)
            if remaining < ctx.fetch_within_s:
                state = (
                    f"expired {-remaining:,.0f} s ago"
                    if remaining <= 0
                    else f"expires in {remaining:,.0f} s, and the service may fetch it up to "
                    f"{ctx.fetch_within_s:,.0f} s from now (time to first byte + margin)"
                )
                raise MediaNotFetchableError(
                    f"{redact_url(url)} is a signed URL that {state}; it is not in the configured "
                    "OSS store's bucket, so it cannot be re-signed here: sign it again for at "
                    f"least {ctx.fetch_within_s:,.0f} s (e.g. 600 s), or lower the client's "
                    f"timeout (first byte), or upload the file again; {FETCH_HINT}",
                    source=redact_url(url),
                    value=signed.expires_at,
                )
        return DeliveredMedia(url=url, oss_resolve=False, store="url")

    # --- private-bucket probe -------------------------------------------------------------

    def _needs_probe(self, delivered: DeliveredMedia) -> bool:
        if not self.probe_private_buckets or delivered.store != "url":
            return False
        url = delivered.url
        if parse_signed_url(url) is not None:
            return False
        oss = self.oss
        if oss is not None and oss.key_for_url(url) is not None:
            return False  # our own bucket: its ACL is known (public_read)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return is_oss_host(host) or host in self.oss_hosts or parts.netloc.lower() in self.oss_hosts

    @staticmethod
    def _refuse_if_private(url: str, status: int | None) -> None:
        if status == 403:
            raise MediaNotFetchableError(
                f"{redact_url(url)} is an unsigned URL on a private OSS bucket (anonymous access "
                f"is denied); {FETCH_HINT}",
                source=redact_url(url),
            )

    @staticmethod
    def _probe_sync(url: str) -> int | None:
        import httpx

        try:
            return httpx.head(url, timeout=_PROBE_TIMEOUT_S).status_code
        except httpx.HTTPError:
            return None

    @staticmethod
    async def _probe_async(url: str) -> int | None:
        import httpx

        try:
            async with httpx.AsyncClient(timeout=_PROBE_TIMEOUT_S) as client:
                return (await client.head(url)).status_code
        except httpx.HTTPError:
            return None
