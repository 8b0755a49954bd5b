"""The OSS store: upload a medium to your own Alibaba Cloud OSS bucket (``oss2``) and hand the
service a signed GET URL.

- Credentials: arguments, else ``OSS_ACCESS_KEY_ID`` / ``OSS_ACCESS_KEY_SECRET`` /
  ``OSS_SESSION_TOKEN`` (STS), or any ``oss2`` credentials provider (ECS RAM role…).
- V4 signatures by default (the region is required); V1 with ``signature_version="v1"``.
- Keys are content-addressed under a prefix (``qwen-omni/<sha256>.<ext>``): the same file is
  uploaded once, and its signed URL is reused while it still covers the request.
- Large files go through ``oss2.resumable_upload`` with parallel parts and a checkpoint, so an
  interrupted upload resumes; the file is streamed, never read into memory.
- URLs are signed with ``slash_safe=True`` and https (DashScope has failed to download ``%2F``
  keys and plain-http URLs), from the public endpoint even when uploads use ``-internal``.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from qwen_omni.delivery.base import DeliveredMedia, DeliveryContext, LocalMedia
from qwen_omni.delivery.formats import sniff_audio_format, sniff_image_subtype
from qwen_omni.delivery.urls import classify_host
from qwen_omni.errors import ConfigurationError, UploadError

if TYPE_CHECKING:
    import oss2

__all__ = ["V4_MAX_EXPIRES_S", "OssStore", "mime_type_for"]

logger = logging.getLogger("qwen_omni.delivery.oss")

#: OSS refuses V4 presigned URLs valid for more than 7 days (error 0002-00000232).
V4_MAX_EXPIRES_S = 604_800
DEFAULT_PREFIX = "qwen-omni/"
DEFAULT_URL_EXPIRY_S = 600.0
DEFAULT_EXPIRY_MARGIN_S = 120.0
DEFAULT_MULTIPART_THRESHOLD = 16 * 1024 * 1024
DEFAULT_NUM_THREADS = 4

_ENDPOINT_REGION = re.compile(r"^oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")
_DUALSTACK_REGION = re.compile(r"^([a-z]{2}-[a-z0-9-]+)\.oss\.aliyuncs\.com$")
_SAFE_EXT = re.compile(r"^[a-z0-9]{1,8}$")

_AUDIO_MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "amr": "audio/amr",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "m4a": "audio/mp4",
    "3gp": "audio/3gpp",
    "webm": "audio/webm",
    "aiff": "audio/aiff",
}


def mime_type_for(media: LocalMedia) -> str:
    """The Content-Type to store (DashScope refuses URLs served with a wrong Content-Type)."""
    if media.mime_type:
        return media.mime_type
    guessed = mimetypes.guess_type(media.filename)[0]
    if guessed:
        return guessed
    head = media.head(64)
    if media.kind == "image":
        subtype = sniff_image_subtype(head)
        return f"image/{subtype}" if subtype else "application/octet-stream"
    if media.kind == "audio":
        return _AUDIO_MIME.get(sniff_audio_format(head) or "", "application/octet-stream")
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "video/webm"
    return "application/octet-stream"


def _extension(media: LocalMedia, content_type: str) -> str:
    suffix = Path(media.filename).suffix.lower().lstrip(".")
    if suffix and _SAFE_EXT.match(suffix):
        return suffix
    guessed = mimetypes.guess_extension(content_type) or ""
    return guessed.lstrip(".")


def _is_local_host(host: str) -> bool:
    return classify_host(host) in ("loopback", "private", "intranet_name", "link_local")


#: Global endpoints that name no region (reference oss.md §A4): transfer acceleration.
_GLOBAL_ENDPOINTS = ("oss-accelerate.aliyuncs.com", "oss-accelerate-overseas.aliyuncs.com")


def _region_from_endpoint(host: str) -> str | None:
    """The region of a regional OSS endpoint; None for global (accelerate) or other hosts.

    ``oss-accelerate.aliyuncs.com`` matches the regional pattern but ``accelerate`` is no
    region: a V4 signature scoped to it is refused by OSS ("The signing region in credential
    is invalid"). The bucket's own region must be used there.
    """
    if host in _GLOBAL_ENDPOINTS:
        return None
    match = _ENDPOINT_REGION.match(host) or _DUALSTACK_REGION.match(host)
    return match.group(1) if match else None


def _norm_netloc(scheme: str, netloc: str) -> str:
    netloc = netloc.lower()
    for default in ((":443", "https"), (":80", "http")):
        if netloc.endswith(default[0]) and scheme == default[1]:
            return netloc[: -len(default[0])]
    return netloc


@dataclass
class _Uploaded:
    key: str
    url: str | None = None
    url_expires_at: float = 0.0
    in_use: int = 0


class OssStore:
    """Uploads media to an OSS bucket and returns signed GET URLs the service can fetch.

    Args:
        bucket: bucket name (env ``OSS_BUCKET``).
        endpoint: e.g. ``https://oss-cn-beijing.aliyuncs.com`` (env ``OSS_ENDPOINT``); derived
            from ``region`` when omitted. An ``-internal`` endpoint is used for uploads only;
            URLs are signed for the public one.
        region: e.g. ``cn-beijing`` (env ``OSS_REGION``); derived from an aliyuncs endpoint.
            Required for V4.
        access_key_id, access_key_secret, security_token: credentials (env
            ``OSS_ACCESS_KEY_ID``, ``OSS_ACCESS_KEY_SECRET``, ``OSS_SESSION_TOKEN``).
        credentials_provider: an ``oss2`` credentials provider instead of static keys.
        signature_version: ``"v4"`` (default; env ``OSS_SIGNATURE_VERSION``) or ``"v1"``.
        prefix: key prefix for uploads (env ``OSS_PREFIX``, default ``qwen-omni/``).
        https_only: force https URLs. None (default): forced, except for an endpoint on
            loopback or a private network (the emulator), whose scheme is kept.
        public_endpoint: the endpoint signed URLs use (default: ``endpoint`` without
            ``-internal``).
        public_read: the bucket is public-read (unsigned URLs of it are fetchable).
        cname: a custom domain bound to the bucket (env ``OSS_CNAME``), e.g.
            ``https://media.example.com``: signed GET URLs use it (since 2025-03-20 new
            accounts must download from mainland buckets through a custom domain, oss.md §A4);
            uploads still go to ``endpoint``.
        url_expiry_s: minimum validity of a signed URL (default 10 minutes); a URL always
            covers the request's deadline plus ``expiry_margin_s``. At most 7 days with V4.
        multipart_threshold: files at least this large use resumable multipart upload.
        part_size: multipart part size (default: ``oss2`` picks, 10 MiB for files ≤ 100 GB).
        num_threads: parallel part uploads (``oss2`` defaults to 1).
        progress_callback: ``f(bytes_sent, total_bytes)`` during uploads.
        delete_after_use: delete an object when :meth:`release` is called for its last use.
        checkpoint_dir: where resumable-upload checkpoints are kept.
        connect_timeout: seconds to connect to OSS (``oss2``'s default when None).
        verify_crc: let ``oss2`` check each upload's CRC64 against the server's (its default).
            It costs client CPU (the CRC runs under the GIL); https already protects transit.
    """

    name = "oss"

    def __init__(
        self,
        bucket: str | None = None,
        *,
        endpoint: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        security_token: str | None = None,
        credentials_provider: Any = None,
        signature_version: Literal["v4", "v1"] | None = None,
        prefix: str | None = None,
        https_only: bool | None = None,
        public_endpoint: str | None = None,
        public_read: bool = False,
        cname: str | None = None,
        url_expiry_s: float = DEFAULT_URL_EXPIRY_S,
        expiry_margin_s: float = DEFAULT_EXPIRY_MARGIN_S,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        part_size: int | None = None,
        num_threads: int = DEFAULT_NUM_THREADS,
        progress_callback: Callable[[int, int | None], None] | None = None,
        delete_after_use: bool = False,
        checkpoint_dir: str | os.PathLike[str] | None = None,
        connect_timeout: float | None = None,
        verify_crc: bool = True,
    ) -> None:
        env = os.environ
        self.bucket_name = bucket or env.get("OSS_BUCKET") or ""
        if not self.bucket_name:
            raise ConfigurationError("OssStore needs a bucket: pass bucket= or set OSS_BUCKET")
        version = (signature_version or env.get("OSS_SIGNATURE_VERSION") or "v4").lower()
        if version not in ("v4", "v1"):
            raise ConfigurationError(f"signature_version must be 'v4' or 'v1', got {version!r}")
        self.signature_version: Literal["v4", "v1"] = version  # type: ignore[assignment]

        region = region or env.get("OSS_REGION")
        endpoint = endpoint or env.get("OSS_ENDPOINT")
        if region and region.startswith("oss-"):
            region = region[4:]
        if not endpoint:
            if not region:
                raise ConfigurationError(
                    "OssStore needs an endpoint or a region: pass region='cn-beijing' (or "
                    "endpoint=…), or set OSS_REGION / OSS_ENDPOINT"
                )
            endpoint = f"https://oss-{region}.aliyuncs.com"
        if "://" not in endpoint:
            host = endpoint.split("/", 1)[0].rsplit(":", 1)[0]
            endpoint = ("http://" if _is_local_host(host) else "https://") + endpoint
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        if not host or parts.scheme not in ("http", "https"):
            raise ConfigurationError(f"OSS endpoint must be an http(s) URL, got {endpoint!r}")
        if https_only is None:
            https_only = not _is_local_host(host)
        self.https_only = https_only
        scheme = "https" if https_only else parts.scheme
        self.endpoint = f"{scheme}://{parts.netloc}"
        if public_endpoint is None:
            public_endpoint = self.endpoint.replace("-internal.aliyuncs.com", ".aliyuncs.com")
        elif "://" not in public_endpoint:
            public_endpoint = f"{scheme}://{public_endpoint}"
        pub = urlsplit(public_endpoint)
        self.public_endpoint = f"{'https' if https_only else pub.scheme}://{pub.netloc}"
        cname = cname or env.get("OSS_CNAME") or None
        if cname is not None and "://" not in cname:
            cname = f"https://{cname}"
        self.cname = None
        if cname is not None:
            cparts = urlsplit(cname)
            self.cname = f"{'https' if https_only else cparts.scheme}://{cparts.netloc}"
        self.region = region or _region_from_endpoint(host)
        if self.signature_version == "v4" and not self.region:
            accelerate = host in _GLOBAL_ENDPOINTS
            raise ConfigurationError(
                f"V4 signing needs the bucket's region (e.g. region='cn-beijing'); it cannot be "
                f"derived from endpoint {self.endpoint!r}"
                + (
                    " (an acceleration endpoint serves every region: the signature must name "
                    "the bucket's own region, not 'accelerate')"
                    if accelerate
                    else ""
                )
                + ": pass region= or set OSS_REGION, or choose signature_version='v1'"
            )

        self._credentials_provider = credentials_provider
        self._access_key_id = access_key_id or env.get("OSS_ACCESS_KEY_ID")
        self._access_key_secret = access_key_secret or env.get("OSS_ACCESS_KEY_SECRET")
        from qwen_omni.redact import register_secret

        register_secret(self._access_key_secret)
        self._security_token = security_token or env.get("OSS_SESSION_TOKEN") or None
        if credentials_provider is None and not (self._access_key_id and self._access_key_secret):
            raise ConfigurationError(
                "OssStore needs credentials: pass access_key_id= and access_key_secret= (plus "
                "security_token= for STS) or set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET "
                "(and OSS_SESSION_TOKEN)"
            )

        self.prefix = prefix if prefix is not None else env.get("OSS_PREFIX", DEFAULT_PREFIX)
        self.public_read = public_read
        self.url_expiry_s = float(url_expiry_s)
        self.expiry_margin_s = float(expiry_margin_s)
        self.multipart_threshold = int(multipart_threshold)
        self.part_size = part_size
        self.num_threads = max(1, int(num_threads))
        self.progress_callback = progress_callback
        self.delete_after_use = delete_after_use
        self.checkpoint_dir = Path(
            checkpoint_dir or Path(tempfile.gettempdir()) / "qwen-omni-oss-checkpoints"
        )
        self.connect_timeout = connect_timeout
        self.verify_crc = verify_crc

        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._uploaded: dict[str, _Uploaded] = {}
        self._bucket: oss2.Bucket | None = None
        self._signer: oss2.Bucket | None = None
        self._hosts = self._owned_netlocs()

    @classmethod
    def from_env(cls, **overrides: Any) -> OssStore | None:
        """A store configured from ``OSS_*`` variables, or None when ``OSS_BUCKET`` is unset."""
        if not (overrides.get("bucket") or os.environ.get("OSS_BUCKET")):
            return None
        return cls(**overrides)

    def __repr__(self) -> str:
        sts = ", sts=True" if self._security_token else ""
        return (
            f"OssStore(bucket={self.bucket_name!r}, endpoint={self.endpoint!r}, "
            f"region={self.region!r}, signature_version={self.signature_version!r}, "
            + (f"cname={self.cname!r}, " if self.cname else "")
            + f"prefix={self.prefix!r}{sts})"
        )

    # --- oss2 objects ---------------------------------------------------------------------

    def _auth(self) -> Any:
        import oss2

        v4 = self.signature_version == "v4"
        if self._credentials_provider is not None:
            provider = self._credentials_provider
            return oss2.ProviderAuthV4(provider) if v4 else oss2.ProviderAuth(provider)
        ak, sk = self._access_key_id or "", self._access_key_secret or ""
        if self._security_token:
            version = oss2.AUTH_VERSION_4 if v4 else oss2.AUTH_VERSION_1
            return oss2.StsAuth(ak, sk, self._security_token, auth_version=version)
        return oss2.AuthV4(ak, sk) if v4 else oss2.Auth(ak, sk)

    def _make_bucket(self, endpoint: str, *, is_cname: bool = False) -> oss2.Bucket:
        import oss2

        kwargs: dict[str, Any] = {"region": self.region, "enable_crc": self.verify_crc}
        if is_cname:
            kwargs["is_cname"] = True
        if self.connect_timeout is not None:
            kwargs["connect_timeout"] = self.connect_timeout
        return oss2.Bucket(self._auth(), endpoint, self.bucket_name, **kwargs)

    @property
    def bucket(self) -> oss2.Bucket:
        """The ``oss2.Bucket`` uploads go through (created on first use)."""
        if self._bucket is None:
            self._bucket = self._make_bucket(self.endpoint)
        return self._bucket

    @property
    def _sign_bucket(self) -> oss2.Bucket:
        if self._signer is None:
            if self.cname is not None:
                self._signer = self._make_bucket(self.cname, is_cname=True)
            elif self.public_endpoint == self.endpoint:
                self._signer = self.bucket
            else:
                self._signer = self._make_bucket(self.public_endpoint)
        return self._signer

    # --- ownership and signing ------------------------------------------------------------

    def _owned_netlocs(self) -> tuple[set[str], set[str]]:
        """(netlocs where the bucket is the first path segment, virtual-hosted netlocs)."""
        path_style: set[str] = set()
        virtual: set[str] = set()
        for endpoint in {self.endpoint, self.public_endpoint}:
            parts = urlsplit(endpoint)
            for scheme in ("http", "https"):
                netloc = _norm_netloc(scheme, parts.netloc)
                variants = {netloc, netloc.replace("-internal.aliyuncs.com", ".aliyuncs.com")}
                variants |= {
                    v.replace(".aliyuncs.com", "-internal.aliyuncs.com", 1)
                    for v in variants
                    if "-internal" not in v and v.startswith("oss-")
                }
                path_style |= variants
                virtual |= {f"{self.bucket_name}.{v}" for v in variants}
        if self.cname is not None:
            # on a custom domain the whole path is the key, as on a virtual-hosted domain
            parts = urlsplit(self.cname)
            virtual |= {_norm_netloc(scheme, parts.netloc) for scheme in ("http", "https")}
        return path_style, virtual

    def key_for_url(self, url: str) -> str | None:
        """The object key when ``url`` points into this store's bucket, else None."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        netloc = _norm_netloc(parts.scheme, parts.netloc)
        path = unquote(parts.path)
        path_style, virtual = self._hosts
        if netloc in virtual:
            key = path[1:]
        elif netloc in path_style and path.startswith(f"/{self.bucket_name}/"):
            key = path[len(self.bucket_name) + 2 :]
        else:
            return None
        return key or None

    def expiry_for(self, ctx: DeliveryContext) -> int:
        """Seconds a signed URL must live: the request's deadline plus margin, at least
        ``url_expiry_s``.

        Raises:
            ConfigurationError: more than V4's 7-day cap.
        """
        seconds = int(max(self.url_expiry_s, ctx.deadline_s + self.expiry_margin_s))
        if self.signature_version == "v4" and seconds > V4_MAX_EXPIRES_S:
            raise ConfigurationError(
                f"a V4 signed URL is valid for at most {V4_MAX_EXPIRES_S:,} s (7 days); "
                f"{seconds:,} s were asked for (deadline {ctx.deadline_s:,.0f} s + margin): "
                "shorten the request deadline"
            )
        return seconds

    def sign_url(self, key: str, expires_s: int) -> str:
        """A signed GET URL for ``key`` valid for ``expires_s`` seconds (slash-safe, https when
        forced)."""
        import oss2

        try:
            url: str = self._sign_bucket.sign_url("GET", key, expires_s, slash_safe=True)
        except oss2.exceptions.OssError as exc:
            raise UploadError(
                f"signing oss://{self.bucket_name}/{key} failed: {exc.code or exc.status}",
                source=f"oss://{self.bucket_name}/{key}",
            ) from exc
        if self.https_only and url.startswith("http://"):
            url = "https://" + url[len("http://") :]
        return url

    def sign_for(self, key: str, ctx: DeliveryContext) -> DeliveredMedia:
        """A fresh signed URL for an object of this bucket, covering the request's deadline."""
        expires = self.expiry_for(ctx)
        url = self.sign_url(key, expires)
        return DeliveredMedia(url=url, oss_resolve=False, store=self.name)

    # --- upload ---------------------------------------------------------------------------

    def _digest(self, media: LocalMedia) -> str:
        """The content's SHA-256, computed once per file version (``qwen_omni.cache.digest``:
        the same name, and the same fast path, as the analysis cache)."""
        if media.path is None:
            return media.sha256()
        # The same digest (and fast path) as the analysis cache: one name for the upload and
        # the answers about it.
        from qwen_omni.cache.digest import file_digest

        return file_digest(media.path)

    def key_for(self, media: LocalMedia) -> str:
        """The content-addressed key of ``media``: ``<prefix><sha256>.<ext>``."""
        ext = _extension(media, mime_type_for(media))
        return f"{self.prefix}{self._digest(media)}{'.' + ext if ext else ''}"

    def put(self, media: LocalMedia, ctx: DeliveryContext) -> DeliveredMedia:
        """Upload ``media`` (unless this content is already in the bucket) and sign a URL.

        Raises:
            UploadError: OSS refused the upload or could not be reached.
        """
        key = self.key_for(media)
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            record = self._uploaded.get(key)
            if record is None:
                if not self._exists(key, media.size):
                    self._upload(key, media)
                record = self._uploaded[key] = _Uploaded(key=key)
            record.in_use += 1
            now = time.time()
            needed = ctx.deadline_s + self.expiry_margin_s
            if record.url is None or record.url_expires_at - now < needed:
                expires = self.expiry_for(ctx)
                record.url = self.sign_url(key, expires)
                record.url_expires_at = now + expires
            return DeliveredMedia(url=record.url, oss_resolve=False, store=self.name)

    async def aput(self, media: LocalMedia, ctx: DeliveryContext) -> DeliveredMedia:
        """Async :meth:`put` (``oss2`` is synchronous: the upload runs in a worker thread)."""
        return await asyncio.to_thread(self.put, media, ctx)

    def _oss_error(self, action: str, key: str, exc: Exception) -> UploadError:
        code = getattr(exc, "code", None) or type(exc).__name__
        status = getattr(exc, "status", None)
        message = getattr(exc, "message", "") or ""
        where = f"oss://{self.bucket_name}/{key}"
        detail = f"HTTP {status} {code}" if status and status > 0 else str(code)
        hint = ""
        if status in (401, 403):
            hint = (
                " — check OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN for "
                "STS), the bucket's region and the key's permissions on the bucket"
            )
        elif status == 404:
            hint = " — check the bucket name and endpoint (region)"
        return UploadError(
            f"{action} {where} at {self.endpoint} failed: {detail}"
            f"{': ' + message if message else ''}{hint}",
            source=where,
        )

    def _exists(self, key: str, size: int) -> bool:
        import oss2

        try:
            meta = self.bucket.head_object(key)
        except oss2.exceptions.NotFound:
            return False
        except oss2.exceptions.OssError as exc:
            raise self._oss_error("checking", key, exc) from exc
        return int(meta.content_length or -1) == size

    def _upload(self, key: str, media: LocalMedia) -> None:
        import oss2

        headers = {"Content-Type": mime_type_for(media)}
        logger.debug(
            "uploading %s (%s bytes) to oss://%s/%s", media.label, media.size, self.bucket_name, key
        )
        try:
            if media.size >= self.multipart_threshold:
                self._upload_multipart(key, media, headers)
            elif media.path is not None:
                self.bucket.put_object_from_file(
                    key, str(media.path), headers=headers, progress_callback=self.progress_callback
                )
            else:
                self.bucket.put_object(
                    key,
                    media.data or b"",
                    headers=headers,
                    progress_callback=self.progress_callback,
                )
        except oss2.exceptions.OssError as exc:
            raise self._oss_error(f"uploading {media.label} to", key, exc) from exc

    def _upload_multipart(self, key: str, media: LocalMedia, headers: dict[str, str]) -> None:
        import oss2

        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        store = oss2.ResumableStore(root=str(self.checkpoint_dir), dir="upload")
        if media.path is not None:
            oss2.resumable_upload(
                self.bucket,
                key,
                str(media.path),
                store=store,
                headers=headers,
                multipart_threshold=self.multipart_threshold,
                part_size=self.part_size,
                progress_callback=self.progress_callback,
                num_threads=self.num_threads,
            )
            return
        # Bytes: spool to a temporary file so the uploader can read parts from it in parallel.
        with tempfile.NamedTemporaryFile(suffix=".part-source", delete=False) as tmp:
            tmp.write(media.data or b"")
        try:
            oss2.resumable_upload(
                self.bucket,
                key,
                tmp.name,
                store=store,
                headers=headers,
                multipart_threshold=self.multipart_threshold,
                part_size=self.part_size,
                progress_callback=self.progress_callback,
                num_threads=self.num_threads,
            )
        finally:
            os.unlink(tmp.name)

    # --- after use ------------------------------------------------------------------------

    def release(self, url: str) -> None:
        """One use of ``url`` is over; with ``delete_after_use`` the object is deleted after
        its last use."""
        key = self.key_for_url(url)
        if key is None:
            return
        with self._lock:
            record = self._uploaded.get(key)
            if record is not None:
                record.in_use = max(0, record.in_use - 1)
                if record.in_use > 0:
                    return
            if not self.delete_after_use:
                return
            self._uploaded.pop(key, None)
        self.delete(key)

    def delete(self, key: str) -> None:
        """Delete an object of this store and forget it."""
        import oss2

        with self._lock:
            self._uploaded.pop(key, None)
        try:
            self.bucket.delete_object(key)
        except oss2.exceptions.OssError as exc:
            raise self._oss_error("deleting", key, exc) from exc
