"""Media delivery: the single place that turns a local or remote medium into something the
service can read — a ``data:`` URI, a signed OSS URL, or an ``oss://`` temporary upload —
and checks every URL before a request leaves.

::

    from qwen_omni.delivery import DeliveryContext, MediaDelivery, OssStore

    delivery = MediaDelivery("auto", oss=OssStore(bucket="my-media", region="cn-beijing"))
    ctx = DeliveryContext(model="qwen3-omni-flash", base_url=BASE_URL, api_key=KEY,
                          region="beijing")
    out = delivery.deliver(part, ctx)   # out.url goes in the request
    if out.oss_resolve:                  # an oss:// URL: the request needs this header
        headers["X-DashScope-OssResourceResolve"] = "enable"

Stores:

- :class:`InlineStore`: ``data:image/<type>;base64,…`` for images, ``data:;base64,…`` for
  audio and video, at most 10,485,760 encoded bytes (about 7.5 MB raw).
- :class:`OssStore` (``oss2``, imported lazily): content-addressed upload (single PUT or
  parallel resumable multipart), V4 (default) or V1 signed GET URLs, STS, dedupe, re-signing.
- :class:`DashScopeTempStore`: the DashScope temporary upload (``oss://``, 48 h). China
  (Beijing) only, for development and testing, as DashScope documents it.

Environment (argument > environment > default): ``OSS_ACCESS_KEY_ID``,
``OSS_ACCESS_KEY_SECRET``, ``OSS_SESSION_TOKEN`` (STS), ``OSS_BUCKET``, ``OSS_ENDPOINT``,
``OSS_REGION``, ``OSS_PREFIX``, ``OSS_SIGNATURE_VERSION``; ``DASHSCOPE_API_KEY`` for the
temporary upload when the context has no key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qwen_omni.delivery.base import (
    OSS_RESOLVE_HEADER,
    DeliveredMedia,
    DeliveryContext,
    DeliveryPolicy,
    LocalMedia,
    MediaStore,
)
from qwen_omni.delivery.formats import audio_format_for, url_suffix
from qwen_omni.delivery.inline import InlineStore
from qwen_omni.delivery.media_delivery import MediaDelivery
from qwen_omni.delivery.urls import check_reachable, classify_host, parse_signed_url

if TYPE_CHECKING:
    from qwen_omni.delivery.oss import OssStore
    from qwen_omni.delivery.temp import DashScopeTempStore

__all__ = [
    "OSS_RESOLVE_HEADER",
    "DashScopeTempStore",
    "DeliveredMedia",
    "DeliveryContext",
    "DeliveryPolicy",
    "InlineStore",
    "LocalMedia",
    "MediaDelivery",
    "MediaStore",
    "OssStore",
    "audio_format_for",
    "check_reachable",
    "classify_host",
    "parse_signed_url",
    "url_suffix",
]


def __getattr__(name: str) -> Any:
    # The stores live in their own modules; importing them here stays cheap (oss2 itself is
    # only imported when an OssStore is used).
    if name == "OssStore":
        from qwen_omni.delivery.oss import OssStore

        return OssStore
    if name == "DashScopeTempStore":
        from qwen_omni.delivery.temp import DashScopeTempStore

        return DashScopeTempStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
