"""The inline store: a medium as a ``data:`` URI inside the request (no upload)."""

from __future__ import annotations

import asyncio
import base64

from qwen_omni import catalog, data_uri
from qwen_omni.delivery.base import DeliveredMedia, DeliveryContext, LocalMedia, MediaKind
from qwen_omni.delivery.formats import image_subtype_for
from qwen_omni.errors import MediaTooLargeError, UnsupportedMediaError

__all__ = ["InlineStore", "check_data_uri", "data_uri_prefix", "encoded_size"]

#: What to do when a medium does not fit inline (appended to MediaTooLargeError messages).
TOO_LARGE_FIX = (
    "shrink it (prepare the media: lower the resolution or fps, trim or split it), or deliver it "
    "by URL: configure OSS (OssStore, or OSS_BUCKET + OSS_REGION/OSS_ENDPOINT + "
    "OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET) or use delivery='dashscope_temp' (Beijing only)"
)


def data_uri_prefix(kind: MediaKind, image_subtype: str | None = None) -> str:
    """The data URI head the service expects (``qwen_omni.data_uri.prefix``)."""
    return data_uri.prefix(kind, image_subtype)


#: Length of the data URI for ``raw_size`` bytes after a head (``qwen_omni.data_uri``).
encoded_size = data_uri.encoded_size


def _too_large(label: str, encoded: int, cap: int, raw: int | None = None) -> MediaTooLargeError:
    raw_note = f" (base64 of {raw:,} bytes)" if raw is not None else ""
    return MediaTooLargeError(
        f"{label} is {encoded:,} bytes as a data URI{raw_note}; the service accepts at most "
        f"{cap:,} bytes per inline item: {TOO_LARGE_FIX}",
        source=label,
        value=encoded,
        limit=cap,
    )


def check_data_uri(url: str, *, label: str, max_bytes: int = catalog.DATA_URI_MAX_BYTES) -> None:
    """Refuse a ``data:`` URI the service would reject: not base64, or over the inline cap."""
    if not data_uri.is_base64(url):
        header = url[:60].split(",", 1)[0]
        raise UnsupportedMediaError(
            f"{label} is a data URI without ';base64' ({header!r}); the service only reads "
            "base64 data URIs: pass the bytes instead and let delivery encode them",
            source=label,
        )
    if len(url) > max_bytes:
        raise _too_large(label, len(url), max_bytes)


class InlineStore:
    """Delivers a medium as a data URI: ``data:image/<type>;base64,…`` for images,
    ``data:;base64,…`` for audio and video, within ``max_bytes`` (10,485,760 encoded by default,
    about 7.5 MB of raw content).
    """

    name = "inline"

    def __init__(self, max_bytes: int = catalog.DATA_URI_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    def prefix_for(self, media: LocalMedia) -> str:
        """The data URI head for ``media`` (sniffs the image type from its magic bytes)."""
        if media.kind == "image":
            subtype = image_subtype_for(
                media.head(32),
                mime_type=media.mime_type,
                filename=media.filename,
                label=media.label,
            )
            return data_uri_prefix("image", subtype)
        return data_uri_prefix(media.kind)

    def encoded_size(self, media: LocalMedia) -> int:
        """The data URI length ``media`` would have."""
        return encoded_size(media.size, self.prefix_for(media))

    def fits(self, media: LocalMedia) -> bool:
        """Whether ``media`` fits inline."""
        return self.encoded_size(media) <= self.max_bytes

    def put(self, media: LocalMedia, ctx: DeliveryContext | None = None) -> DeliveredMedia:
        """The data URI of ``media``.

        Raises:
            MediaTooLargeError: the encoded size is over ``max_bytes`` (checked before reading).
        """
        prefix = self.prefix_for(media)
        size = encoded_size(media.size, prefix)
        if size > self.max_bytes:
            raise _too_large(media.label, size, self.max_bytes, media.size)
        payload = base64.b64encode(media.read_bytes()).decode("ascii")
        return DeliveredMedia(url=prefix + payload, oss_resolve=False, store=self.name)

    async def aput(self, media: LocalMedia, ctx: DeliveryContext | None = None) -> DeliveredMedia:
        """Async :meth:`put` (file reading and encoding run in a worker thread)."""
        if media.path is None and media.size < (1 << 20):
            return self.put(media, ctx)
        return await asyncio.to_thread(self.put, media, ctx)
