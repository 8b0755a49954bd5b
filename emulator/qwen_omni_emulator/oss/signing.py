"""OSS signature algorithms, pure (no state, no I/O), written from the OSS documentation.

V1: ``base64(HMAC-SHA1(secret, StringToSign))`` over VERB, Content-MD5, Content-Type, Date (or
Expires), the ``x-oss-*`` headers and the CanonicalizedResource. V4: ``OSS4-HMAC-SHA256`` over a
CanonicalRequest, with a signing key derived per date, region and product. Verified in tests
against the documentation's worked examples, independently of ``oss2``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone
from urllib.parse import quote

__all__ = [
    "V1_SUBRESOURCES",
    "b64_hmac_sha1",
    "iso_basic_time",
    "v1_canonical_resource",
    "v1_signature",
    "v1_string_to_sign",
    "v4_canonical_request",
    "v4_signature",
    "v4_signing_key",
    "v4_string_to_sign",
]

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


def b64_hmac_sha1(secret: str, text: str) -> str:
    """base64(HMAC-SHA1(secret, text)): V1 signatures and POST policy signatures."""
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
    return b64_hmac_sha1(secret, string_to_sign)


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


def iso_basic_time(value: str) -> float | None:
    """``20250101T120000Z`` (V4's x-oss-date) as a timestamp, or None when malformed."""
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None
