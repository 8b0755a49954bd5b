"""A local OSS server: enough of the Alibaba Cloud OSS API for ``oss2`` and for DashScope's
temporary upload, on loopback, for tests, demos and benchmarks.

What it serves (virtual-hosted ``<bucket>.<host>`` or path-style ``<host>/<bucket>`` addressing,
told apart by the Host header):

- PUT, GET (with ``Range``), HEAD, DELETE object; ``?objectMeta``;
- multipart upload as ``oss2.resumable_upload`` uses it: initiate (``?uploads``), upload part,
  complete, abort, list parts;
- the form POST upload with a policy (the DashScope temporary upload);
- a small ListObjects.

Every request is authenticated the way OSS does it, verified independently of any SDK:
V1 (``Authorization: OSS ak:sig`` and ``OSSAccessKeyId``/``Expires``/``Signature`` URLs) and V4
(``Authorization: OSS4-HMAC-SHA256 Credential=…`` and ``x-oss-signature-version`` URLs), with
STS tokens; a wrong signature is 403 ``SignatureDoesNotMatch``, an expired URL or policy 403
``AccessDenied``, with the OSS error XML. Anonymous reads work on public-read buckets only.

For benchmarks the app can cap each connection's bandwidth (request bodies are read and
responses written in throttled chunks, so TCP backpressure slows the peer as a WAN link does)
and add latency to every request. Objects live on disk (multipart objects as their parts), so
1 GiB uploads do not sit in memory.

Time is ``OssState.now()``: tests move it with ``state.time_offset`` to expire URLs and policies.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from xml.sax.saxutils import escape

__all__ = [
    "OssApp",
    "OssError",
    "OssState",
    "RequestRecord",
    "create_oss_app",
    "serve_oss",
    "v1_canonical_resource",
    "v1_signature",
    "v1_string_to_sign",
    "v4_canonical_request",
    "v4_signature",
    "v4_signing_key",
    "v4_string_to_sign",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CHUNK = 64 * 1024
OFFLOAD_BYTES = 32 * 1024
MAX_SKEW_S = 15 * 60
V4_MAX_EXPIRES_S = 604_800
MIN_PART_SIZE = 100 * 1024
TEMP_URL_LIFETIME_S = 48 * 3600
TEMP_POLICY_LIFETIME_S = 300

#: Query parameters that are part of a V1 CanonicalizedResource (OSS "sub-resources").
V1_SUBRESOURCES = frozenset(
    [
        "acl",
        "uploadId",
        "uploads",
        "partNumber",
        "group",
        "link",
        "delete",
        "website",
        "location",
        "objectInfo",
        "objectMeta",
        "response-content-type",
        "response-content-language",
        "response-cache-control",
        "response-content-encoding",
        "response-expires",
        "response-content-disposition",
        "logging",
        "cors",
        "lifecycle",
        "restore",
        "qos",
        "referer",
        "stat",
        "bucketInfo",
        "append",
        "position",
        "security-token",
        "live",
        "comp",
        "status",
        "vod",
        "startTime",
        "endTime",
        "x-oss-process",
        "symlink",
        "callback",
        "callback-var",
        "tagging",
        "encryption",
        "versions",
        "versioning",
        "versionId",
        "policy",
        "requestPayment",
        "x-oss-traffic-limit",
        "qosInfo",
        "asyncFetch",
        "x-oss-request-payer",
        "sequential",
        "inventory",
        "inventoryId",
        "continuation-token",
        "worm",
        "wormId",
        "wormExtend",
        "replication",
        "replicationLocation",
        "replicationProgress",
        "transferAcceleration",
        "cname",
        "metaQuery",
        "x-oss-ac-source-ip",
        "x-oss-ac-subnet-mask",
        "x-oss-ac-vpc-id",
        "x-oss-ac-forward-allow",
        "resourceGroup",
        "style",
        "styleName",
        "x-oss-async-process",
        "regionList",
    ]
)

try:  # CRC64-ECMA as OSS returns it (oss2 checks it when present); crcmod ships with oss2.
    import crcmod

    _crc64_fn: Callable[[bytes, int], int] | None = crcmod.mkCrcFun(
        0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True
    )
except ImportError:  # pragma: no cover - the header is optional
    _crc64_fn = None


# --- signature algorithms (pure) ----------------------------------------------------------


def _b64_hmac_sha1(secret: str, text: str) -> str:
    mac = hmac.new(secret.encode(), text.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def v1_canonical_resource(bucket: str | None, key: str | None, params: dict[str, str]) -> str:
    """``/bucket/key`` (raw key) plus the sorted sub-resources: ``?k=v&k2``."""
    resource = f"/{bucket}/{key or ''}" if bucket else "/"
    subs = sorted((k, v) for k, v in params.items() if k in V1_SUBRESOURCES)
    if subs:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in subs)
    return resource


def v1_string_to_sign(
    method: str,
    content_md5: str,
    content_type: str,
    date: str,
    headers: dict[str, str],
    resource: str,
) -> str:
    """VERB, Content-MD5, Content-Type, Date (or Expires), x-oss-* headers, resource."""
    oss_headers = sorted(
        (k.lower(), v.strip()) for k, v in headers.items() if k.lower().startswith("x-oss-")
    )
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in oss_headers)
    return f"{method}\n{content_md5}\n{content_type}\n{date}\n{canonical_headers}{resource}"


def v1_signature(secret: str, string_to_sign: str) -> str:
    """base64(HMAC-SHA1(secret, string_to_sign))."""
    return _b64_hmac_sha1(secret, string_to_sign)


def _rfc3986(value: str, keep_slash: bool) -> str:
    return quote(value, safe="/~" if keep_slash else "~")


def v4_canonical_request(
    method: str,
    bucket: str | None,
    key: str | None,
    params: dict[str, str],
    headers: dict[str, str],
    additional_headers: list[str],
    payload_hash: str = "UNSIGNED-PAYLOAD",
) -> str:
    """The V4 CanonicalRequest: verb, URI, query, headers, additional headers, payload hash.

    ``params`` must not hold ``x-oss-signature``; ``headers`` keys are lower-case.
    """
    uri = _rfc3986(f"/{bucket}/{key or ''}" if bucket else "/", keep_slash=True)
    encoded = sorted((_rfc3986(k, False), _rfc3986(v, False)) for k, v in params.items())
    query = "&".join(f"{k}={v}" if v else k for k, v in encoded)
    extra = {h.lower() for h in additional_headers}
    signed = sorted(
        (k, v.strip())
        for k, v in headers.items()
        if k.startswith("x-oss-") or k in ("content-type", "content-md5") or k in extra
    )
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in signed)
    return "\n".join([method, uri, query, canonical_headers, ";".join(sorted(extra)), payload_hash])


def v4_string_to_sign(date_time: str, scope: str, canonical_request: str) -> str:
    """``OSS4-HMAC-SHA256``, the request time, the scope and SHA-256 of the canonical request."""
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return f"OSS4-HMAC-SHA256\n{date_time}\n{scope}\n{digest}"


def v4_signing_key(secret: str, date: str, region: str, product: str = "oss") -> bytes:
    """HMAC-SHA256 chain: ``aliyun_v4`` + secret → date → region → product → request."""
    k = hmac.new(("aliyun_v4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, region.encode(), hashlib.sha256).digest()
    k = hmac.new(k, product.encode(), hashlib.sha256).digest()
    return hmac.new(k, b"aliyun_v4_request", hashlib.sha256).digest()


def v4_signature(signing_key: bytes, string_to_sign: str) -> str:
    """hex(HMAC-SHA256(signing_key, string_to_sign))."""
    return hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


# --- state --------------------------------------------------------------------------------


class OssError(Exception):
    """An OSS error answer: status, code, message and extra XML fields."""

    def __init__(self, status: int, code: str, message: str, **extra: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


@dataclass
class StoredObject:
    """An object on disk: one file, or the parts of a multipart upload in order."""

    segments: list[tuple[Path, int]]
    size: int
    etag: str
    content_type: str
    last_modified: float
    crc64: int | None = None
    multipart: bool = False
    acl: str | None = None


@dataclass
class _Part:
    path: Path
    size: int
    etag: str
    md5: bytes
    last_modified: float


@dataclass
class _Upload:
    upload_id: str
    bucket: str
    key: str
    content_type: str
    directory: Path
    initiated: float
    parts: dict[int, _Part] = field(default_factory=dict)


@dataclass
class _Bucket:
    name: str
    public_read: bool
    directory: Path
    objects: dict[str, StoredObject] = field(default_factory=dict)


@dataclass
class _Credential:
    secret: str
    token: str | None = None
    expires_at: float | None = None


@dataclass
class _TempPolicy:
    upload_dir: str
    model: str
    account: str
    issued_at: float


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered (for assertions in tests).

    ``params`` are the query parameter names; ``auth`` is ``anonymous``, ``v1-query``,
    ``v1-header``, ``v4-query``, ``v4-header`` or ``post-policy``; ``bytes_out`` is the length
    of the answer's body (logged before it is sent).
    """

    method: str
    bucket: str | None
    key: str | None
    params: tuple[str, ...]
    status: int
    auth: str
    bytes_in: int
    bytes_out: int


def _account(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


class OssState:
    """Buckets (objects on disk), credentials (with STS tokens) and temporary-upload policies.

    Args:
        access_key_id, access_key_secret: the main credential.
        region: the region V4 signatures must name (``cn-beijing``).
        root: directory for object data (a fresh temporary directory by default).
        temp_bucket: the bucket behind DashScope's temporary upload.
        temp_max_file_size_mb: ``max_file_size_mb`` of issued upload policies.
        clock: the time source; ``time_offset`` is added to it (tests move time forward).
    """

    def __init__(
        self,
        *,
        access_key_id: str = "emu-oss-ak",
        access_key_secret: str = "emu-oss-sk",  # noqa: S107 - the emulator's well-known test key
        region: str = "cn-beijing",
        root: str | os.PathLike[str] | None = None,
        temp_bucket: str = "dashscope-file-emu",
        temp_access_key_id: str = "emu-temp-ak",
        temp_access_key_secret: str = "emu-temp-sk",  # noqa: S107 - well-known test key
        temp_max_file_size_mb: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._owns_root = root is None
        self.root = (
            Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="qwen-omni-oss-"))
        )
        self.root.mkdir(parents=True, exist_ok=True)
        self.region = region
        self.access_key_id = access_key_id
        self.clock = clock
        self.time_offset = 0.0
        self.temp_bucket = temp_bucket
        self.temp_access_key_id = temp_access_key_id
        self.temp_max_file_size_mb = temp_max_file_size_mb
        self.requests: list[RequestRecord] = []
        #: requests being handled now, and the most seen at once (parallel uploads show here)
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.RLock()
        self._credentials: dict[str, _Credential] = {
            access_key_id: _Credential(access_key_secret),
            temp_access_key_id: _Credential(temp_access_key_secret),
        }
        self._buckets: dict[str, _Bucket] = {}
        self._uploads: dict[str, _Upload] = {}
        self._temp_policies: dict[str, _TempPolicy] = {}
        self.create_bucket(temp_bucket)

    def __repr__(self) -> str:
        buckets = sorted(self._buckets)
        return f"OssState(root={str(self.root)!r}, region={self.region!r}, buckets={buckets})"

    # --- time, credentials, buckets ---------------------------------------------------------

    def now(self) -> float:
        """The server's current time (``clock() + time_offset``)."""
        return self.clock() + self.time_offset

    def add_credentials(self, access_key_id: str, access_key_secret: str) -> None:
        """Accept another long-term key pair."""
        with self._lock:
            self._credentials[access_key_id] = _Credential(access_key_secret)

    def issue_sts_token(self, *, duration_s: float = 3600.0) -> tuple[str, str, str]:
        """Temporary credentials ``(access_key_id, access_key_secret, security_token)``."""
        ak = "STS." + uuid.uuid4().hex[:20]
        sk = base64.urlsafe_b64encode(os.urandom(24)).decode()
        token = base64.b64encode(os.urandom(48)).decode()
        with self._lock:
            self._credentials[ak] = _Credential(sk, token=token, expires_at=self.now() + duration_s)
        return ak, sk, token

    def create_bucket(self, name: str, *, public_read: bool = False) -> None:
        """Create a bucket (idempotent; ``public_read`` lets anonymous GET/HEAD in)."""
        with self._lock:
            existing = self._buckets.get(name)
            if existing is not None:
                existing.public_read = public_read
                return
            directory = self.root / "buckets" / uuid.uuid4().hex
            directory.mkdir(parents=True)
            self._buckets[name] = _Bucket(name, public_read, directory)

    def has_bucket(self, name: str) -> bool:
        """Whether the bucket exists."""
        return name in self._buckets

    def _bucket(self, name: str) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            raise OssError(
                404, "NoSuchBucket", "The specified bucket does not exist.", BucketName=name
            )
        return bucket

    # --- objects (also for tests) ------------------------------------------------------------

    def put_object(
        self, bucket: str, key: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> None:
        """Store an object directly (test setup)."""
        target = self._bucket(bucket)
        path = target.directory / f"{uuid.uuid4().hex}.obj"
        path.write_bytes(data)
        crc = _crc64_fn(data, 0) if _crc64_fn else None
        etag = f'"{hashlib.md5(data).hexdigest().upper()}"'  # noqa: S324 - OSS ETag
        self._store(
            target,
            key,
            StoredObject([(path, len(data))], len(data), etag, content_type, self.now(), crc),
        )

    def _store(self, bucket: _Bucket, key: str, obj: StoredObject) -> None:
        with self._lock:
            old = bucket.objects.get(key)
            bucket.objects[key] = obj
        if old is not None:
            _remove_segments(old)

    def get_object(self, bucket: str, key: str) -> StoredObject | None:
        """The stored object, or None."""
        return self._buckets[bucket].objects.get(key) if bucket in self._buckets else None

    def object_bytes(self, bucket: str, key: str) -> bytes:
        """All bytes of an object (small objects; KeyError if absent)."""
        obj = self.get_object(bucket, key)
        if obj is None:
            raise KeyError(f"{bucket}/{key}")
        return b"".join(path.read_bytes()[:size] for path, size in obj.segments)

    def object_keys(self, bucket: str) -> list[str]:
        """Keys in a bucket, sorted."""
        return sorted(self._bucket(bucket).objects)

    def delete_object(self, bucket: str, key: str) -> None:
        """Remove an object if present."""
        target = self._bucket(bucket)
        with self._lock:
            obj = target.objects.pop(key, None)
        if obj is not None:
            _remove_segments(obj)

    def count(
        self,
        method: str | None = None,
        *,
        bucket: str | None = None,
        key: str | None = None,
        param: str | None = None,
        status: int | None = None,
    ) -> int:
        """How many logged requests match all the given filters."""
        with self._lock:
            records = list(self.requests)
        return sum(
            1
            for r in records
            if (method is None or r.method == method)
            and (bucket is None or r.bucket == bucket)
            and (key is None or r.key == key)
            and (param is None or param in r.params)
            and (status is None or r.status == status)
        )

    def close(self) -> None:
        """Delete the data directory when this state created it."""
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    # --- DashScope temporary upload ------------------------------------------------------------

    def issue_upload_policy(self, model: str, *, api_key: str, upload_host: str) -> dict[str, Any]:
        """The ``data`` object of DashScope's getPolicy answer (reference §7), bound to
        ``model`` and ``api_key``, valid for 300 s.

        ``upload_host`` is this server's base URL as clients reach it (``http://127.0.0.1:9000``);
        the temporary bucket is addressed path-style on it unless the URL already has a path.
        """
        now = self.now()
        account = _account(api_key)
        day = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d")
        upload_dir = f"dashscope-instant/{account}/{day}/{uuid.uuid4().hex[:16]}"
        max_bytes = self.temp_max_file_size_mb * 1024 * 1024
        expiration = datetime.fromtimestamp(now + TEMP_POLICY_LIFETIME_S, timezone.utc)
        document = {
            "expiration": expiration.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "conditions": [
                {"bucket": self.temp_bucket},
                ["starts-with", "$key", upload_dir],
                ["content-length-range", 0, max_bytes],
            ],
        }
        policy = base64.b64encode(json.dumps(document).encode()).decode()
        secret = self._credentials[self.temp_access_key_id].secret
        host = upload_host.rstrip("/")
        if not urlsplit(host).path:
            host = f"{host}/{self.temp_bucket}"
        with self._lock:
            self._temp_policies[upload_dir] = _TempPolicy(upload_dir, model, account, now)
        return {
            "policy": policy,
            "signature": _b64_hmac_sha1(secret, policy),
            "upload_dir": upload_dir,
            "upload_host": host,
            "expire_in_seconds": TEMP_POLICY_LIFETIME_S,
            "max_file_size_mb": self.temp_max_file_size_mb,
            "capacity_limit_mb": 999999999,
            "oss_access_key_id": self.temp_access_key_id,
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }

    def _temp_binding(self, key: str) -> _TempPolicy | None:
        with self._lock:
            for upload_dir, policy in self._temp_policies.items():
                if key.startswith(upload_dir + "/"):
                    return policy
        return None

    def resolve_oss_url(self, url: str, *, model: str, api_key: str | None = None) -> bytes:
        """The bytes of a temporary upload ``oss://…``.

        Raises:
            KeyError: no such file, or older than 48 h.
            PermissionError: the file is bound to another model (or account, when ``api_key``
                is given).
        """
        if not url.startswith("oss://"):
            raise KeyError(url)
        key = url[len("oss://") :]
        obj = self.get_object(self.temp_bucket, key)
        binding = self._temp_binding(key)
        if obj is None or binding is None:
            raise KeyError(url)
        if self.now() - obj.last_modified > TEMP_URL_LIFETIME_S:
            raise KeyError(url)
        if binding.model != model:
            raise PermissionError(f"{url} was uploaded for model {binding.model!r}, not {model!r}")
        if api_key is not None and _account(api_key) != binding.account:
            raise PermissionError(f"{url} was uploaded by another account")
        return self.object_bytes(self.temp_bucket, key)


def _remove_segments(obj: StoredObject) -> None:
    for path, _ in obj.segments:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# --- HTTP plumbing ------------------------------------------------------------------------


class _Pacer:
    """Caps one connection's throughput with a token bucket.

    After ``n`` bytes the connection waits until they fit the rate. The bucket holds
    ``burst_s`` seconds of credit, so a late wake-up of the event loop (a busy machine) is made
    up for instead of lowering the rate: the cap is an average, as on a real link.
    """

    def __init__(self, bps: float, burst_s: float = 0.05) -> None:
        self.bps = bps
        self.burst_s = burst_s
        self.next_free = 0.0

    async def consume(self, n: int) -> None:
        now = time.monotonic()
        self.next_free = max(self.next_free, now - self.burst_s) + n / self.bps
        delay = self.next_free - now
        if delay > 0.002:
            await asyncio.sleep(delay)


def _xml(root: str, fields: list[tuple[str, Any]] | str) -> bytes:
    if isinstance(fields, str):
        inner = fields
    else:
        inner = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in fields)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{inner}</{root}>'.encode()


def _http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def _iso_basic(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


@dataclass
class _Request:
    scope: Scope
    receive: Receive
    method: str
    headers: dict[str, str]
    params: dict[str, str]
    bucket: str | None
    key: str | None
    request_id: str
    pacer: _Pacer | None
    auth: str = "anonymous"
    principal: str | None = None
    bytes_in: int = 0

    async def body_chunks(self) -> Any:
        """The request body, chunk by chunk, throttled."""
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise OssError(400, "IncompleteBody", "The client disconnected.")
            chunk = message.get("body", b"")
            if chunk:
                self.bytes_in += len(chunk)
                if self.pacer is not None:
                    await self.pacer.consume(len(chunk))
                yield chunk
            if not message.get("more_body", False):
                return

    async def body(self, limit: int = 16 * 1024 * 1024) -> bytes:
        parts: list[bytes] = []
        size = 0
        async for chunk in self.body_chunks():
            size += len(chunk)
            if size > limit:
                raise OssError(400, "EntityTooLarge", "The request body is too large.")
            parts.append(chunk)
        return b"".join(parts)


@dataclass
class _Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: Iterator[bytes] | None = None
    length: int | None = None


class OssApp:
    """The ASGI application (build it with :func:`create_oss_app`)."""

    def __init__(
        self, state: OssState, *, latency_s: float = 0.0, bandwidth_bps: float | None = None
    ) -> None:
        self.state = state
        self.latency_s = latency_s
        self.bandwidth_bps = bandwidth_bps
        self._pacers: dict[tuple[str, int], _Pacer] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        request = self._parse(scope, receive)
        state = self.state
        with state._lock:
            state.in_flight += 1
            state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
        try:
            try:
                self._authenticate(request)
                response = await self._dispatch(request)
            except OssError as err:
                response = self._error(request, err)
            await self._send(request, response, send)
        finally:
            with state._lock:
                state.in_flight -= 1

    # --- parsing and addressing ---------------------------------------------------------------

    def _pacer(self, scope: Scope) -> _Pacer | None:
        if not self.bandwidth_bps:
            return None
        client = scope.get("client") or ("?", 0)
        conn = (str(client[0]), int(client[1]))
        pacer = self._pacers.get(conn)
        if pacer is None:
            if len(self._pacers) > 4096:  # forget connections idle for a minute
                cutoff = time.monotonic() - 60
                self._pacers = {k: p for k, p in self._pacers.items() if p.next_free > cutoff}
            pacer = self._pacers[conn] = _Pacer(self.bandwidth_bps)
        return pacer

    def _parse(self, scope: Scope, receive: Receive) -> _Request:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        query = scope.get("query_string", b"").decode("latin-1")
        params = dict(parse_qsl(query, keep_blank_values=True))
        path: str = scope.get("path", "/")
        host = headers.get("host", "").lower()
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        bucket: str | None = None
        key: str | None
        first_label = hostname.split(".", 1)[0]
        if "." in hostname and not _is_ip(hostname) and self.state.has_bucket(first_label):
            bucket, key = first_label, path[1:] or None
        else:
            rest = path[1:]
            name, _, key_part = rest.partition("/")
            bucket, key = (name or None), (key_part or None)
        return _Request(
            scope=scope,
            receive=receive,
            method=scope["method"].upper(),
            headers=headers,
            params=params,
            bucket=bucket,
            key=key,
            request_id=uuid.uuid4().hex[:24].upper(),
            pacer=self._pacer(scope),
        )

    # --- authentication ---------------------------------------------------------------------------

    def _credential(self, access_key_id: str) -> _Credential:
        credential = self.state._credentials.get(access_key_id)
        if credential is None:
            raise OssError(
                403,
                "InvalidAccessKeyId",
                "The OSS Access Key Id you provided does not exist in our records.",
                OSSAccessKeyId=access_key_id,
            )
        return credential

    def _check_token(self, credential: _Credential, token: str | None) -> None:
        if credential.token is None:
            return
        if token != credential.token:
            raise OssError(403, "InvalidAccessKeyId", "The security token you provided is invalid.")
        if credential.expires_at is not None and self.state.now() > credential.expires_at:
            raise OssError(
                403, "SecurityTokenExpired", "The security token you provided has expired."
            )

    def _mismatch(self, access_key_id: str, provided: str, string_to_sign: str) -> OssError:
        return OssError(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            OSSAccessKeyId=access_key_id,
            SignatureProvided=provided,
            StringToSign=string_to_sign,
            EC="0002-00000040",
        )

    def _authenticate(self, request: _Request) -> None:
        params, headers = request.params, request.headers
        authorization = headers.get("authorization", "")
        if "x-oss-signature" in params:
            self._auth_v4(request, query=True)
        elif "Signature" in params and "OSSAccessKeyId" in params:
            self._auth_v1_query(request)
        elif authorization.startswith("OSS4-HMAC-SHA256 "):
            self._auth_v4(request, query=False)
        elif authorization.startswith("OSS "):
            self._auth_v1_header(request)
        elif authorization:
            raise OssError(400, "InvalidArgument", "Unsupported Authorization header.")

    def _auth_v1_query(self, request: _Request) -> None:
        params = request.params
        access_key_id = params["OSSAccessKeyId"]
        credential = self._credential(access_key_id)
        try:
            expires = int(params.get("Expires", ""))
        except ValueError:
            raise OssError(400, "InvalidArgument", "Expires is not a valid number.") from None
        now = self.state.now()
        if now > expires:
            raise OssError(
                403,
                "AccessDenied",
                "Request has expired.",
                Expires=_iso(expires),
                ServerTime=_iso(now),
                EC="0002-00000069",
            )
        resource = v1_canonical_resource(request.bucket, request.key, params)
        string_to_sign = v1_string_to_sign(
            request.method,
            request.headers.get("content-md5", ""),
            request.headers.get("content-type", ""),
            str(expires),
            request.headers,
            resource,
        )
        provided = params["Signature"]
        if not hmac.compare_digest(v1_signature(credential.secret, string_to_sign), provided):
            raise self._mismatch(access_key_id, provided, string_to_sign)
        self._check_token(credential, params.get("security-token"))
        request.auth, request.principal = "v1-query", access_key_id

    def _auth_v1_header(self, request: _Request) -> None:
        headers = request.headers
        access_key_id, _, provided = headers["authorization"][4:].strip().partition(":")
        credential = self._credential(access_key_id)
        date = headers.get("date", "")
        try:
            when = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            raise OssError(403, "AccessDenied", "Invalid date format of header Date.") from None
        if abs(self.state.now() - when) > MAX_SKEW_S:
            raise OssError(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
        resource = v1_canonical_resource(request.bucket, request.key, request.params)
        string_to_sign = v1_string_to_sign(
            request.method,
            headers.get("content-md5", ""),
            headers.get("content-type", ""),
            date,
            headers,
            resource,
        )
        if not hmac.compare_digest(v1_signature(credential.secret, string_to_sign), provided):
            raise self._mismatch(access_key_id, provided, string_to_sign)
        self._check_token(credential, headers.get("x-oss-security-token"))
        request.auth, request.principal = "v1-header", access_key_id

    def _auth_v4(self, request: _Request, *, query: bool) -> None:
        params, headers = request.params, request.headers
        if query:
            if params.get("x-oss-signature-version") != "OSS4-HMAC-SHA256":
                raise OssError(400, "InvalidArgument", "Unsupported x-oss-signature-version.")
            credential_field = params.get("x-oss-credential", "")
            date_time = params.get("x-oss-date", "")
            provided = params.get("x-oss-signature", "")
            additional = [h for h in params.get("x-oss-additional-headers", "").split(";") if h]
            token = params.get("x-oss-security-token")
        else:
            fields: dict[str, str] = {}
            for item in headers["authorization"][len("OSS4-HMAC-SHA256 ") :].split(","):
                name, _, value = item.strip().partition("=")
                fields[name] = value
            credential_field = fields.get("Credential", "")
            date_time = headers.get("x-oss-date", "")
            provided = fields.get("Signature", "")
            additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
            token = headers.get("x-oss-security-token")
        scope_parts = credential_field.split("/")
        if (
            len(scope_parts) != 5
            or scope_parts[3] != "oss"
            or scope_parts[4] != "aliyun_v4_request"
        ):
            raise OssError(
                400, "InvalidArgument", "Invalid credential in the request.", EC="0002-00000227"
            )
        access_key_id, date, region = scope_parts[0], scope_parts[1], scope_parts[2]
        credential = self._credential(access_key_id)
        start = _iso_basic(date_time)
        if start is None or date_time[:8] != date:
            raise OssError(400, "InvalidArgument", "Invalid date in the credential or x-oss-date.")
        if region != self.state.region:
            raise OssError(
                403,
                "SignatureDoesNotMatch",
                "The signing region in credential is invalid.",
                Region=region,
                ExpectedRegion=self.state.region,
            )
        now = self.state.now()
        if query:
            try:
                expires = int(params.get("x-oss-expires", ""))
            except ValueError:
                raise OssError(400, "InvalidArgument", "x-oss-expires is not a number.") from None
            if not 1 <= expires <= V4_MAX_EXPIRES_S:
                raise OssError(
                    400,
                    "InvalidArgument",
                    "x-oss-expires must be between 1 and 604800 seconds.",
                    EC="0002-00000232",
                )
            if now > start + expires:
                raise OssError(
                    403,
                    "AccessDenied",
                    "Request has expired.",
                    Expires=_iso(start + expires),
                    ServerTime=_iso(now),
                    EC="0002-00000236",
                )
            if start - now > MAX_SKEW_S:
                raise OssError(403, "AccessDenied", "Request is not valid yet.")
        elif abs(now - start) > MAX_SKEW_S:
            raise OssError(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
        signed_params = {k: v for k, v in params.items() if k != "x-oss-signature"}
        payload = (
            "UNSIGNED-PAYLOAD" if query else headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
        )
        canonical = v4_canonical_request(
            request.method, request.bucket, request.key, signed_params, headers, additional, payload
        )
        scope = f"{date}/{region}/oss/aliyun_v4_request"
        string_to_sign = v4_string_to_sign(date_time, scope, canonical)
        expected = v4_signature(v4_signing_key(credential.secret, date, region), string_to_sign)
        if not hmac.compare_digest(expected, provided):
            err = self._mismatch(access_key_id, provided, string_to_sign)
            err.extra["CanonicalRequest"] = canonical
            raise err
        self._check_token(credential, token)
        request.auth = "v4-query" if query else "v4-header"
        request.principal = access_key_id

    def _authorize_read(self, request: _Request, bucket: _Bucket) -> None:
        if bucket.name == self.state.temp_bucket:
            # Temporary uploads cannot be listed or downloaded (reference §7).
            raise OssError(403, "AccessDenied", "You have no right to access this object.")
        if request.principal is not None:
            return
        obj = bucket.objects.get(request.key or "")
        if bucket.public_read or (
            obj is not None and obj.acl in ("public-read", "public-read-write")
        ):
            return
        raise OssError(
            403,
            "AccessDenied",
            "You have no right to access this object because of bucket acl.",
            EC="0003-00000001",
        )

    def _authorize_write(self, request: _Request, bucket: _Bucket) -> None:
        if request.principal is None:
            raise OssError(
                403,
                "AccessDenied",
                "You have no right to access this object because of bucket acl.",
            )
        if (
            bucket.name == self.state.temp_bucket
            and request.principal != self.state.temp_access_key_id
        ):
            raise OssError(403, "AccessDenied", "You have no right to write to this bucket.")

    # --- dispatch ---------------------------------------------------------------------------------

    async def _dispatch(self, request: _Request) -> _Response:
        method, params = request.method, request.params
        if request.bucket is None:
            raise OssError(400, "InvalidBucketName", "A bucket name is required.")
        content_type = request.headers.get("content-type", "")
        if (
            method == "POST"
            and request.key is None
            and content_type.startswith("multipart/form-data")
        ):
            return await self._form_upload(request)
        bucket = self.state._bucket(request.bucket)
        if request.key is None:
            if method == "GET" and "uploads" not in params:
                self._authorize_read(request, bucket)
                return self._list_objects(request, bucket)
            raise OssError(501, "NotImplemented", f"{method} on a bucket is not supported here.")
        if method in ("GET", "HEAD"):
            self._authorize_read(request, bucket)
            if "uploadId" in params and method == "GET":
                return self._list_parts(request)
            return self._get_object(request, bucket, head=method == "HEAD")
        self._authorize_write(request, bucket)
        if method == "PUT":
            if "uploadId" in params and "partNumber" in params:
                return await self._upload_part(request)
            if "x-oss-copy-source" in request.headers or params:
                raise OssError(501, "NotImplemented", "This PUT variant is not supported here.")
            return await self._put_object(request, bucket)
        if method == "POST":
            if "uploads" in params:
                return self._initiate(request)
            if "uploadId" in params:
                return await self._complete(request, bucket)
            raise OssError(501, "NotImplemented", "This POST variant is not supported here.")
        if method == "DELETE":
            if "uploadId" in params:
                return self._abort(request)
            self.state.delete_object(bucket.name, request.key)
            return _Response(204)
        raise OssError(405, "MethodNotAllowed", f"{method} is not allowed.")

    # --- objects ----------------------------------------------------------------------------------

    async def _receive_to_file(
        self, request: _Request, path: Path
    ) -> tuple[int, bytes, int | None]:
        md5 = hashlib.md5()  # noqa: S324 - OSS ETags are MD5
        crc = 0
        size = 0

        def absorb(chunk: bytes) -> None:
            nonlocal crc
            fh.write(chunk)
            md5.update(chunk)
            if _crc64_fn is not None:
                crc = _crc64_fn(chunk, crc)

        with path.open("wb") as fh:
            async for chunk in request.body_chunks():
                size += len(chunk)
                if len(chunk) >= OFFLOAD_BYTES:
                    # Disk writes and checksums off the event loop: other connections keep
                    # flowing while one waits on a busy disk.
                    await asyncio.to_thread(absorb, chunk)
                else:
                    absorb(chunk)
        expected = request.headers.get("content-length")
        if expected is not None and int(expected) != size:
            path.unlink(missing_ok=True)  # noqa: ASYNC240 - a local unlink, not I/O worth a thread
            raise OssError(
                400, "IncompleteBody", "The request body is shorter than Content-Length."
            )
        digest = md5.digest()
        content_md5 = request.headers.get("content-md5")
        if content_md5 and base64.b64encode(digest).decode() != content_md5:
            path.unlink(missing_ok=True)  # noqa: ASYNC240
            raise OssError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
        return size, digest, (crc if _crc64_fn is not None else None)

    def _forbid_overwrite(self, headers: dict[str, str] | Any, bucket: _Bucket, key: str) -> None:
        if (
            str(headers.get("x-oss-forbid-overwrite", "")).lower() == "true"
            and key in bucket.objects
        ):
            raise OssError(
                409,
                "FileAlreadyExists",
                "The object you specified already exists and can not be overwritten.",
            )

    async def _put_object(self, request: _Request, bucket: _Bucket) -> _Response:
        key = request.key or ""
        self._forbid_overwrite(request.headers, bucket, key)
        path = bucket.directory / f"{uuid.uuid4().hex}.obj"
        size, digest, crc = await self._receive_to_file(request, path)
        etag = f'"{digest.hex().upper()}"'
        obj = StoredObject(
            [(path, size)],
            size,
            etag,
            request.headers.get("content-type") or "application/octet-stream",
            self.state.now(),
            crc,
            acl=request.headers.get("x-oss-object-acl"),
        )
        self.state._store(bucket, key, obj)
        headers = {"ETag": etag, "Content-MD5": base64.b64encode(digest).decode()}
        if crc is not None:
            headers["x-oss-hash-crc64ecma"] = str(crc)
        return _Response(200, headers)

    def _object_headers(self, obj: StoredObject) -> dict[str, str]:
        headers = {
            "Content-Type": obj.content_type,
            "ETag": obj.etag,
            "Last-Modified": _http_date(obj.last_modified),
            "Accept-Ranges": "bytes",
            "x-oss-object-type": "Multipart" if obj.multipart else "Normal",
            "x-oss-storage-class": "Standard",
        }
        if obj.crc64 is not None:
            headers["x-oss-hash-crc64ecma"] = str(obj.crc64)
        return headers

    def _get_object(self, request: _Request, bucket: _Bucket, *, head: bool) -> _Response:
        obj = bucket.objects.get(request.key or "")
        if obj is None:
            raise OssError(
                404, "NoSuchKey", "The specified key does not exist.", Key=request.key or ""
            )
        headers = self._object_headers(obj)
        if "objectMeta" in request.params:
            return _Response(
                200,
                {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}
                | {"Content-Length": str(obj.size)},
                length=0,
            )
        start, end = 0, obj.size - 1
        status = 200
        byte_range = request.headers.get("range", "")
        if byte_range.startswith("bytes=") and "," not in byte_range and obj.size > 0:
            first, _, last = byte_range[6:].partition("-")
            try:
                if first:
                    start = int(first)
                    end = min(int(last), obj.size - 1) if last else obj.size - 1
                else:
                    start = max(0, obj.size - int(last))
                if start <= end and start < obj.size:
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{end}/{obj.size}"
                    headers.pop("x-oss-hash-crc64ecma", None)
                else:
                    start, end = 0, obj.size - 1
            except ValueError:
                start, end = 0, obj.size - 1
        length = max(0, end - start + 1)
        for name, param in (
            ("Content-Type", "response-content-type"),
            ("Content-Disposition", "response-content-disposition"),
        ):
            if param in request.params:
                headers[name] = request.params[param]
        if head:
            headers["Content-Length"] = str(length)
            return _Response(status, headers, length=0)
        return _Response(status, headers, stream=_read_segments(obj, start, length), length=length)

    def _list_objects(self, request: _Request, bucket: _Bucket) -> _Response:
        prefix = request.params.get("prefix", "")
        try:
            max_keys = int(request.params.get("max-keys", "100"))
        except ValueError:
            max_keys = 100
        marker = request.params.get("marker", "")
        keys = [k for k in sorted(bucket.objects) if k.startswith(prefix) and k > marker]
        page, truncated = keys[:max_keys], len(keys) > max_keys
        contents = "".join(
            "<Contents>"
            f"<Key>{escape(k)}</Key><LastModified>{_iso(bucket.objects[k].last_modified)}</LastModified>"
            f"<ETag>{escape(bucket.objects[k].etag)}</ETag><Type>Normal</Type>"
            f"<Size>{bucket.objects[k].size}</Size><StorageClass>Standard</StorageClass>"
            "</Contents>"
            for k in page
        )
        inner = (
            f"<Name>{escape(bucket.name)}</Name><Prefix>{escape(prefix)}</Prefix>"
            f"<Marker>{escape(marker)}</Marker><MaxKeys>{max_keys}</MaxKeys><Delimiter></Delimiter>"
            f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
            + (f"<NextMarker>{escape(page[-1])}</NextMarker>" if truncated and page else "")
            + contents
        )
        return _Response(200, {"Content-Type": "application/xml"}, _xml("ListBucketResult", inner))

    # --- multipart --------------------------------------------------------------------------------

    def _upload(self, request: _Request) -> _Upload:
        upload = self.state._uploads.get(request.params.get("uploadId", ""))
        if upload is None or upload.bucket != request.bucket or upload.key != request.key:
            raise OssError(
                404,
                "NoSuchUpload",
                "The specified upload does not exist.",
                UploadId=request.params.get("uploadId", ""),
            )
        return upload

    def _initiate(self, request: _Request) -> _Response:
        upload_id = uuid.uuid4().hex.upper()
        directory = self.state.root / "uploads" / upload_id
        directory.mkdir(parents=True)
        upload = _Upload(
            upload_id,
            request.bucket or "",
            request.key or "",
            request.headers.get("content-type") or "application/octet-stream",
            directory,
            self.state.now(),
        )
        with self.state._lock:
            self.state._uploads[upload_id] = upload
        body = _xml(
            "InitiateMultipartUploadResult",
            [("Bucket", upload.bucket), ("Key", upload.key), ("UploadId", upload_id)],
        )
        return _Response(200, {"Content-Type": "application/xml"}, body)

    async def _upload_part(self, request: _Request) -> _Response:
        upload = self._upload(request)
        try:
            number = int(request.params["partNumber"])
        except ValueError:
            raise OssError(400, "InvalidArgument", "partNumber is not a number.") from None
        if not 1 <= number <= 10000:
            raise OssError(400, "InvalidArgument", "partNumber must be between 1 and 10000.")
        path = upload.directory / f"{number:05d}.{uuid.uuid4().hex[:8]}.part"
        size, digest, crc = await self._receive_to_file(request, path)
        etag = f'"{digest.hex().upper()}"'
        with self.state._lock:
            old = upload.parts.get(number)
            upload.parts[number] = _Part(path, size, etag, digest, self.state.now())
        if old is not None:
            old.path.unlink(missing_ok=True)
        headers = {"ETag": etag, "Content-MD5": base64.b64encode(digest).decode()}
        if crc is not None:
            headers["x-oss-hash-crc64ecma"] = str(crc)
        return _Response(200, headers)

    async def _complete(self, request: _Request, bucket: _Bucket) -> _Response:
        import xml.etree.ElementTree as ET

        upload = self._upload(request)
        body = await request.body()
        try:
            root = ET.fromstring(body)  # noqa: S314 - the emulator parses its own clients' XML
        except ET.ParseError:
            raise OssError(
                400, "MalformedXML", "The XML you provided was not well-formed."
            ) from None
        chosen: list[_Part] = []
        last_number = 0
        for element in root.findall("Part"):
            number = int(element.findtext("PartNumber") or "0")
            etag = (element.findtext("ETag") or "").strip()
            part = upload.parts.get(number)
            if part is None or part.etag.strip('"').upper() != etag.strip('"').upper():
                raise OssError(
                    400,
                    "InvalidPart",
                    "One or more of the specified parts could not be found.",
                    PartNumber=str(number),
                )
            if number <= last_number:
                raise OssError(
                    400, "InvalidPartOrder", "The list of parts was not in ascending order."
                )
            last_number = number
            chosen.append(part)
        if not chosen:
            raise OssError(400, "MalformedXML", "The XML you provided has no parts.")
        for part in chosen[:-1]:
            if part.size < MIN_PART_SIZE:
                raise OssError(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size.",
                )
        self._forbid_overwrite(request.headers, bucket, upload.key)
        combined = hashlib.md5(b"".join(p.md5 for p in chosen)).hexdigest().upper()  # noqa: S324
        etag = f'"{combined}-{len(chosen)}"'
        # The object keeps its parts as segments: completing 1 GiB copies nothing.
        segments = []
        keep_dir = bucket.directory / f"mp-{upload.upload_id}"
        keep_dir.mkdir()
        for part in chosen:
            target = keep_dir / part.path.name
            part.path.rename(target)
            segments.append((target, part.size))
        obj = StoredObject(
            segments,
            sum(p.size for p in chosen),
            etag,
            upload.content_type,
            self.state.now(),
            None,
            multipart=True,
            acl=request.headers.get("x-oss-object-acl"),
        )
        self.state._store(bucket, upload.key, obj)
        self._discard_upload(upload)
        location = f"http://{request.headers.get('host', '')}/{bucket.name}/{upload.key}"
        body_xml = _xml(
            "CompleteMultipartUploadResult",
            [("Location", location), ("Bucket", bucket.name), ("Key", upload.key), ("ETag", etag)],
        )
        return _Response(200, {"Content-Type": "application/xml", "ETag": etag}, body_xml)

    def _discard_upload(self, upload: _Upload) -> None:
        with self.state._lock:
            self.state._uploads.pop(upload.upload_id, None)
        shutil.rmtree(upload.directory, ignore_errors=True)

    def _abort(self, request: _Request) -> _Response:
        self._discard_upload(self._upload(request))
        return _Response(204)

    def _list_parts(self, request: _Request) -> _Response:
        upload = self._upload(request)
        try:
            marker = int(request.params.get("part-number-marker", "0") or 0)
            max_parts = int(request.params.get("max-parts", "1000") or 1000)
        except ValueError:
            raise OssError(
                400, "InvalidArgument", "Invalid part-number-marker or max-parts."
            ) from None
        numbers = [n for n in sorted(upload.parts) if n > marker]
        page, truncated = numbers[:max_parts], len(numbers) > max_parts
        parts = "".join(
            f"<Part><PartNumber>{n}</PartNumber><LastModified>{_iso(upload.parts[n].last_modified)}"
            f"</LastModified><ETag>{escape(upload.parts[n].etag)}</ETag>"
            f"<Size>{upload.parts[n].size}</Size></Part>"
            for n in page
        )
        inner = (
            f"<Bucket>{escape(upload.bucket)}</Bucket><Key>{escape(upload.key)}</Key>"
            f"<UploadId>{upload.upload_id}</UploadId><PartNumberMarker>{marker}</PartNumberMarker>"
            f"<NextPartNumberMarker>{page[-1] if page else marker}</NextPartNumberMarker>"
            f"<MaxParts>{max_parts}</MaxParts><IsTruncated>{'true' if truncated else 'false'}"
            f"</IsTruncated>{parts}"
        )
        return _Response(200, {"Content-Type": "application/xml"}, _xml("ListPartsResult", inner))

    # --- form POST upload (DashScope temporary upload) --------------------------------------------

    async def _form_upload(self, request: _Request) -> _Response:
        from starlette.requests import Request

        async def receive() -> Message:
            message = await request.receive()
            chunk = message.get("body", b"")
            if chunk:
                request.bytes_in += len(chunk)
                if request.pacer is not None:
                    await request.pacer.consume(len(chunk))
            return message

        bucket = self.state._bucket(request.bucket or "")
        form = await Request(request.scope, receive).form(max_files=1, max_fields=64)
        try:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise OssError(400, "InvalidArgument", "The form has no file field.")
            access_key_id = fields.get("OSSAccessKeyId", "")
            policy_b64 = fields.get("policy", "")
            signature = fields.get("Signature", "")
            key = fields.get("key", "")
            if not (access_key_id and policy_b64 and signature):
                raise OssError(403, "AccessDenied", "Anonymous form uploads are not allowed.")
            if not key:
                raise OssError(400, "InvalidArgument", "The form has no key field.")
            credential = self._credential(access_key_id)
            expected = _b64_hmac_sha1(credential.secret, policy_b64)
            if not hmac.compare_digest(expected, signature):
                raise self._mismatch(access_key_id, signature, policy_b64)
            self._check_token(credential, fields.get("x-oss-security-token"))
            request.auth, request.principal = "post-policy", access_key_id
            upload.file.seek(0, os.SEEK_END)
            size = upload.file.tell()
            upload.file.seek(0)
            self._check_policy(policy_b64, bucket.name, key, size, fields)
            request.key = key
            self._forbid_overwrite(fields, bucket, key)
            path = bucket.directory / f"{uuid.uuid4().hex}.obj"
            digest, crc = await asyncio.to_thread(_copy_hashing, upload.file, path)
        finally:
            await form.close()
        etag = f'"{digest.hex().upper()}"'
        content_type = (
            fields.get("x-oss-content-type")
            or fields.get("Content-Type")
            or (upload.content_type or "application/octet-stream")
        )
        obj = StoredObject(
            [(path, size)],
            size,
            etag,
            content_type,
            self.state.now(),
            crc,
            acl=fields.get("x-oss-object-acl"),
        )
        self.state._store(bucket, key, obj)
        status = fields.get("success_action_status", "204")
        return _Response(int(status) if status in ("200", "201", "204") else 204, {"ETag": etag})

    def _check_policy(
        self, policy_b64: str, bucket: str, key: str, size: int, fields: dict[str, str]
    ) -> None:
        try:
            document = json.loads(base64.b64decode(policy_b64))
            expiration = datetime.strptime(
                document["expiration"].replace(".000Z", "Z"), "%Y-%m-%dT%H:%M:%SZ"
            ).replace(tzinfo=timezone.utc)
        except (ValueError, KeyError, TypeError):
            raise OssError(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
        if self.state.now() > expiration.timestamp():
            raise OssError(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        values = {f"${k.lower()}": v for k, v in fields.items()} | {"$key": key, "$bucket": bucket}
        for condition in document.get("conditions", []):
            if isinstance(condition, dict):
                for name, value in condition.items():
                    if values.get(f"${name.lower()}") != value:
                        raise _condition_failed(condition)
            elif isinstance(condition, list) and len(condition) == 3:
                op = str(condition[0]).lower()
                if op == "content-length-range":
                    if not int(condition[1]) <= size <= int(condition[2]):
                        raise OssError(
                            400,
                            "EntityTooLarge" if size > int(condition[2]) else "EntityTooSmall",
                            "Your proposed upload size is outside the allowed range.",
                            MaxSizeAllowed=str(condition[2]),
                            ProposedSize=str(size),
                        )
                elif op == "starts-with":
                    if not str(values.get(str(condition[1]).lower(), "")).startswith(
                        str(condition[2])
                    ):
                        raise _condition_failed(condition)
                elif op == "eq" and values.get(str(condition[1]).lower()) != condition[2]:
                    raise _condition_failed(condition)

    # --- responses ---------------------------------------------------------------------------

    def _error(self, request: _Request, err: OssError) -> _Response:
        fields: list[tuple[str, Any]] = [
            ("Code", err.code),
            ("Message", err.message),
            ("RequestId", request.request_id),
            ("HostId", request.headers.get("host", "")),
        ]
        fields += list(err.extra.items())
        headers = {"Content-Type": "application/xml"}
        if "EC" in err.extra:
            headers["x-oss-ec"] = err.extra["EC"]
        body = _xml("Error", fields)
        if request.method == "HEAD":
            # HEAD answers have no body: OSS carries the error XML base64-encoded in x-oss-err.
            headers["x-oss-err"] = base64.b64encode(body).decode()
            return _Response(err.status, headers, length=0)
        return _Response(err.status, headers, body)

    async def _send(self, request: _Request, response: _Response, send: Send) -> None:
        headers = {
            "x-oss-request-id": request.request_id,
            "Server": "AliyunOSS",
            "Date": _http_date(time.time()),
            **response.headers,
        }
        length = response.length if response.stream is not None else len(response.body)
        if "Content-Length" not in headers:
            headers["Content-Length"] = str(length)
        # Logged before the answer goes out, so a client that got it always finds it logged.
        record = RequestRecord(
            method=request.method,
            bucket=request.bucket,
            key=request.key,
            params=tuple(sorted(request.params)),
            status=response.status,
            auth=request.auth,
            bytes_in=request.bytes_in,
            bytes_out=length or 0,
        )
        with self.state._lock:
            self.state.requests.append(record)
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": response.status, "headers": raw})
        if response.stream is not None:
            stream = response.stream
            while True:
                # File reads off the event loop, like the writes.
                chunk = await asyncio.to_thread(next, stream, b"")
                if not chunk:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if request.pacer is not None:
                    await request.pacer.consume(len(chunk))
            await send({"type": "http.response.body", "body": b""})
            return
        body = response.body
        for offset in range(0, max(len(body), 1), CHUNK):
            chunk = body[offset : offset + CHUNK]
            more = offset + CHUNK < len(body)
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if request.pacer is not None and chunk:
                await request.pacer.consume(len(chunk))


def _condition_failed(condition: Any) -> OssError:
    return OssError(
        403,
        "AccessDenied",
        f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}",
    )


def _copy_hashing(source: Any, path: Path) -> tuple[bytes, int | None]:
    md5 = hashlib.md5()  # noqa: S324 - OSS ETags are MD5
    crc = 0
    with path.open("wb") as out:
        while chunk := source.read(1 << 20):
            out.write(chunk)
            md5.update(chunk)
            if _crc64_fn is not None:
                crc = _crc64_fn(chunk, crc)
    return md5.digest(), (crc if _crc64_fn is not None else None)


def _read_segments(obj: StoredObject, start: int, length: int) -> Iterator[bytes]:
    remaining = length
    offset = start
    for path, size in obj.segments:
        if remaining <= 0:
            return
        if offset >= size:
            offset -= size
            continue
        with path.open("rb") as fh:
            fh.seek(offset)
            todo = min(size - offset, remaining)
            while todo > 0:
                chunk = fh.read(min(CHUNK, todo))
                if not chunk:
                    break
                todo -= len(chunk)
                remaining -= len(chunk)
                yield chunk
        offset = 0


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost"
    return True


def create_oss_app(
    state: OssState, *, latency_s: float = 0.0, bandwidth_bps: float | None = None
) -> OssApp:
    """The OSS server as an ASGI app over ``state``.

    Args:
        latency_s: added before every request is handled (a WAN round trip).
        bandwidth_bps: bytes per second per connection, for request bodies and responses.
    """
    return OssApp(state, latency_s=latency_s, bandwidth_bps=bandwidth_bps)


@contextlib.contextmanager
def serve_oss(
    state: OssState,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency_s: float = 0.0,
    bandwidth_bps: float | None = None,
) -> Iterator[str]:
    """Run the OSS server with uvicorn in a background thread; yields its base URL.

    ::

        state = OssState()
        state.create_bucket("media")
        with serve_oss(state) as endpoint:   # "http://127.0.0.1:54321"
            ...
    """
    import uvicorn

    app = create_oss_app(state, latency_s=latency_s, bandwidth_bps=bandwidth_bps)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="oss-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the OSS emulator did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
