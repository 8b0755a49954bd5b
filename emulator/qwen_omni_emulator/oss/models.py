"""The OSS server's state: buckets and objects on disk, credentials (with STS tokens),
multipart uploads in progress, DashScope temporary-upload policies, and the request log.

Time is :meth:`OssState.now`: tests move it with ``state.time_offset`` to expire URLs and
policies. Objects live on disk (multipart objects as their parts), so 1 GiB uploads do not sit
in memory.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qwen_omni_emulator.oss.exceptions import OssError
from qwen_omni_emulator.oss.signing import b64_hmac_sha1

__all__ = [
    "CHUNK",
    "TEMP_POLICY_LIFETIME_S",
    "TEMP_URL_LIFETIME_S",
    "Bucket",
    "Credential",
    "OssState",
    "Part",
    "RequestRecord",
    "StoredObject",
    "TempPolicy",
    "Upload",
    "copy_hashing",
    "crc64_fn",
    "read_segments",
]

#: Read and write size for object data.
CHUNK = 64 * 1024
#: How long a temporary upload's ``oss://`` URL resolves, and how long its policy is valid (§7).
TEMP_URL_LIFETIME_S = 48 * 3600
TEMP_POLICY_LIFETIME_S = 300

try:  # CRC64-ECMA as OSS returns it (oss2 checks it when present); crcmod ships with oss2.
    import crcmod

    crc64_fn: Callable[[bytes, int], int] | None = crcmod.mkCrcFun(
        0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True
    )
except ImportError:  # pragma: no cover - the header is optional
    crc64_fn = None


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
class Part:
    """One uploaded part of a multipart upload, on disk."""

    path: Path
    size: int
    etag: str
    md5: bytes
    last_modified: float


@dataclass
class Upload:
    """A multipart upload in progress."""

    upload_id: str
    bucket: str
    key: str
    content_type: str
    directory: Path
    initiated: float
    parts: dict[int, Part] = field(default_factory=dict)


@dataclass
class Bucket:
    """A bucket: its objects and the directory holding their data."""

    name: str
    public_read: bool
    directory: Path
    objects: dict[str, StoredObject] = field(default_factory=dict)


@dataclass
class Credential:
    """A key pair's secret; STS credentials also have a token and an expiry."""

    secret: str
    token: str | None = None
    expires_at: float | None = None


@dataclass
class TempPolicy:
    """A DashScope temporary-upload policy: the directory it grants, for which model and account."""

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
        self.lock = threading.RLock()
        self._credentials: dict[str, Credential] = {
            access_key_id: Credential(access_key_secret),
            temp_access_key_id: Credential(temp_access_key_secret),
        }
        self._buckets: dict[str, Bucket] = {}
        self._uploads: dict[str, Upload] = {}
        self._temp_policies: dict[str, TempPolicy] = {}
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
        with self.lock:
            self._credentials[access_key_id] = Credential(access_key_secret)

    def issue_sts_token(self, *, duration_s: float = 3600.0) -> tuple[str, str, str]:
        """Temporary credentials ``(access_key_id, access_key_secret, security_token)``."""
        ak = "STS." + uuid.uuid4().hex[:20]
        sk = base64.urlsafe_b64encode(os.urandom(24)).decode()
        token = base64.b64encode(os.urandom(48)).decode()
        with self.lock:
            self._credentials[ak] = Credential(sk, token=token, expires_at=self.now() + duration_s)
        return ak, sk, token

    def create_bucket(self, name: str, *, public_read: bool = False) -> None:
        """Create a bucket (idempotent; ``public_read`` lets anonymous GET/HEAD in)."""
        with self.lock:
            existing = self._buckets.get(name)
            if existing is not None:
                existing.public_read = public_read
                return
            directory = self.root / "buckets" / uuid.uuid4().hex
            directory.mkdir(parents=True)
            self._buckets[name] = Bucket(name, public_read, directory)

    def has_bucket(self, name: str) -> bool:
        """Whether the bucket exists."""
        return name in self._buckets

    def bucket(self, name: str) -> Bucket:
        """The bucket, or OSS's 404 ``NoSuchBucket``."""
        bucket = self._buckets.get(name)
        if bucket is None:
            raise OssError(
                404, "NoSuchBucket", "The specified bucket does not exist.", BucketName=name
            )
        return bucket

    def credential(self, access_key_id: str) -> Credential | None:
        """The credential of an access key id, or None."""
        return self._credentials.get(access_key_id)

    # --- requests in flight and the log --------------------------------------------------------

    def request_started(self) -> None:
        """Count a request being handled (``in_flight``, ``peak_in_flight``)."""
        with self.lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def request_finished(self) -> None:
        """A request counted by :meth:`request_started` is done."""
        with self.lock:
            self.in_flight -= 1

    def log_request(self, record: RequestRecord) -> None:
        """Append to :attr:`requests` (before the answer goes out: a client that got an answer
        always finds it logged)."""
        with self.lock:
            self.requests.append(record)

    # --- multipart uploads in progress -----------------------------------------------------------

    def add_upload(self, upload: Upload) -> None:
        """Register a multipart upload that was just initiated."""
        with self.lock:
            self._uploads[upload.upload_id] = upload

    def get_upload(self, upload_id: str) -> Upload | None:
        """The multipart upload in progress with this id, or None."""
        return self._uploads.get(upload_id)

    def discard_upload(self, upload: Upload) -> None:
        """Forget an upload (completed or aborted) and delete its remaining parts."""
        with self.lock:
            self._uploads.pop(upload.upload_id, None)
        shutil.rmtree(upload.directory, ignore_errors=True)

    # --- objects (also for tests) ------------------------------------------------------------

    def put_object(
        self, bucket: str, key: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> None:
        """Store an object directly (test setup)."""
        target = self.bucket(bucket)
        path = target.directory / f"{uuid.uuid4().hex}.obj"
        path.write_bytes(data)
        crc = crc64_fn(data, 0) if crc64_fn else None
        etag = f'"{hashlib.md5(data).hexdigest().upper()}"'  # noqa: S324 - OSS ETag
        self.store(
            target,
            key,
            StoredObject([(path, len(data))], len(data), etag, content_type, self.now(), crc),
        )

    def store(self, bucket: Bucket, key: str, obj: StoredObject) -> None:
        """Put ``obj`` under ``key``, removing the data of the object it replaces."""
        with self.lock:
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
        return sorted(self.bucket(bucket).objects)

    def delete_object(self, bucket: str, key: str) -> None:
        """Remove an object if present."""
        target = self.bucket(bucket)
        with self.lock:
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
        with self.lock:
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
        with self.lock:
            self._temp_policies[upload_dir] = TempPolicy(upload_dir, model, account, now)
        return {
            "policy": policy,
            "signature": b64_hmac_sha1(secret, policy),
            "upload_dir": upload_dir,
            "upload_host": host,
            "expire_in_seconds": TEMP_POLICY_LIFETIME_S,
            "max_file_size_mb": self.temp_max_file_size_mb,
            "capacity_limit_mb": 999999999,
            "oss_access_key_id": self.temp_access_key_id,
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }

    def _temp_binding(self, key: str) -> TempPolicy | None:
        with self.lock:
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


def copy_hashing(source: Any, path: Path) -> tuple[bytes, int | None]:
    """Copy a file object to ``path``; its MD5 digest and CRC64 (None without crcmod)."""
    md5 = hashlib.md5()  # noqa: S324 - OSS ETags are MD5
    crc = 0
    with path.open("wb") as out:
        while chunk := source.read(1 << 20):
            out.write(chunk)
            md5.update(chunk)
            if crc64_fn is not None:
                crc = crc64_fn(chunk, crc)
    return md5.digest(), (crc if crc64_fn is not None else None)


def read_segments(obj: StoredObject, start: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of an object from ``start``, chunk by chunk, across its segments."""
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
