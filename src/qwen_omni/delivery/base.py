"""Delivery vocabulary: policy, request context, delivered and local media, the store protocol."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, Protocol, Union, runtime_checkable

from qwen_omni.content import Audio, Image, Video
from qwen_omni.errors import MediaNotFoundError

__all__ = [
    "OSS_RESOLVE_HEADER",
    "DeliveredMedia",
    "DeliveryContext",
    "DeliveryPolicy",
    "LocalMedia",
    "MediaKind",
    "MediaStore",
    "DeliverablePart",
]

#: Header a request must carry when its body holds ``oss://`` URLs (reference §7, step 4).
OSS_RESOLVE_HEADER = ("X-DashScope-OssResourceResolve", "enable")

DeliveryPolicy = Literal["auto", "inline", "oss", "dashscope_temp"]
MediaKind = Literal["image", "audio", "video"]
DeliverablePart = Union[Image, Audio, Video]


@dataclass(frozen=True)
class DeliveryContext:
    """What delivery needs to know about the request a medium is going into.

    Attributes:
        model: the model the request is for (temporary uploads are bound to it).
        base_url: the configured model endpoint; decides which private hosts the service can
            reach (an emulator on loopback can read loopback URLs, DashScope cannot).
        api_key: the DashScope key, for the temporary upload's getPolicy call; never logged.
        region: ``"beijing"``, ``"singapore"``, ``"us"``, or None for a custom ``base_url``.
        deadline_s: how long a URL we sign must stay valid: the request's total timeout plus a
            margin (signing longer costs nothing).
        fetch_within_s: how long a URL we did not sign must still be valid: the service
            fetches media when it starts the request, so the time to the first byte plus a
            small margin (a 600 s signed URL passes the default 120 s + 60 s).
        api_base_url: the DashScope native base (``…/api/v1``); derived from ``base_url``
            when None.
    """

    model: str
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    region: str | None = None
    deadline_s: float = 600.0
    api_base_url: str | None = None
    fetch_within_s: float = 180.0

    def native_api_base(self) -> str:
        """The DashScope native API base: ``api_base_url``, or derived from ``base_url``."""
        if self.api_base_url:
            return self.api_base_url.rstrip("/")
        trimmed = self.base_url.rstrip("/")
        if trimmed.endswith("/compatible-mode/v1"):
            return trimmed[: -len("/compatible-mode/v1")] + "/api/v1"
        from urllib.parse import urlsplit

        parts = urlsplit(trimmed)
        return f"{parts.scheme}://{parts.netloc}/api/v1"


@dataclass(frozen=True)
class DeliveredMedia:
    """A medium in a form the service can read.

    Attributes:
        url: what goes in the request: an ``https://`` URL, a ``data:`` URI or ``oss://…``.
        oss_resolve: True when the request must carry ``X-DashScope-OssResourceResolve: enable``.
        store: ``"inline"``, ``"oss"``, ``"dashscope_temp"`` or ``"url"`` (passed through).
    """

    url: str = field(repr=False)
    oss_resolve: bool
    store: str

    def __repr__(self) -> str:
        # data URIs are megabytes long and signed URLs carry credentials: show the head only.
        head = self.url.split("?", 1)[0]
        if head.startswith("data:"):
            head = head.split(",", 1)[0] + f",… ({len(self.url):,} chars)"
        return f"DeliveredMedia(url={head!r}, oss_resolve={self.oss_resolve}, store={self.store!r})"


@dataclass(frozen=True)
class LocalMedia:
    """A local medium (a file or bytes) waiting to be delivered.

    Build it with :meth:`from_part`. ``path`` or ``data`` holds the content, never both.
    """

    kind: MediaKind
    label: str
    filename: str
    size: int
    mime_type: str | None = None
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_part(cls, part: DeliverablePart) -> LocalMedia:
        """The local source of a part holding ``path`` or ``data`` (not a URL)."""
        kind: MediaKind = part.type
        if part.path is not None:
            path = Path(part.path).expanduser()
            try:
                size = path.stat().st_size
            except FileNotFoundError as exc:
                raise MediaNotFoundError(
                    f"{kind} file {path} does not exist", source=str(path)
                ) from exc
            if not path.is_file():
                raise MediaNotFoundError(f"{kind} path {path} is not a file", source=str(path))
            return cls(
                kind=kind,
                label=str(path),
                filename=path.name,
                size=size,
                mime_type=part.mime_type or mimetypes.guess_type(path.name)[0],
                path=path,
            )
        if part.data is not None:
            return cls(
                kind=kind,
                label=f"{kind} bytes ({len(part.data):,} bytes)",
                filename=kind,
                size=len(part.data),
                mime_type=part.mime_type,
                data=part.data,
            )
        raise ValueError("LocalMedia is for path or bytes parts; this part is a URL")

    @classmethod
    def from_bytes(
        cls, data: bytes, *, kind: MediaKind, label: str, filename: str, mime_type: str | None
    ) -> LocalMedia:
        """Bytes decoded from somewhere else (e.g. an oversized data URI)."""
        return cls(
            kind=kind,
            label=label,
            filename=filename,
            size=len(data),
            mime_type=mime_type,
            data=data,
        )

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """A binary file object positioned at the start."""
        if self.path is not None:
            with self.path.open("rb") as fh:
                yield fh
        else:
            import io

            yield io.BytesIO(self.data or b"")

    def head(self, n: int = 64) -> bytes:
        """The first ``n`` bytes, for format sniffing."""
        if self.data is not None:
            return self.data[:n]
        with self.open() as fh:
            return fh.read(n)

    def read_bytes(self) -> bytes:
        """All the bytes (callers check ``size`` first)."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def sha256(self) -> str:
        """Hex SHA-256 of the content, read in chunks (large files stay out of memory)."""
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        assert self.path is not None
        with self.path.open("rb") as fh:
            # file_digest reads into one reused buffer (no allocation per chunk).
            return hashlib.file_digest(fh, "sha256").hexdigest()


@runtime_checkable
class MediaStore(Protocol):
    """Something that turns a local medium into a URL (or data URI) the service can read."""

    #: ``"inline"``, ``"oss"`` or ``"dashscope_temp"``
    name: str

    def put(self, media: LocalMedia, ctx: DeliveryContext) -> DeliveredMedia:
        """Deliver ``media`` for the request described by ``ctx``."""
        ...

    async def aput(self, media: LocalMedia, ctx: DeliveryContext) -> DeliveredMedia:
        """Async :meth:`put`."""
        ...
