"""OSS endpoints (issue 17): the acceleration endpoint names no region, and signed GET URLs
can go through a custom domain (CNAME). Signatures are checked with a verifier written from
the V4 algorithm in reference oss.md §A2, not with oss2."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest

from qwen_omni.delivery.oss import OssStore
from qwen_omni.errors import ConfigurationError

KEYS = {"access_key_id": "ak", "access_key_secret": "sk"}


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def v4_expected(url: str, bucket: str, secret: str) -> tuple[str, str]:
    """(region in the credential, the signature the algorithm gives for this URL)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = dict(query)
    key = unquote(parts.path)[1:]
    canonical_uri = quote(f"/{bucket}/{key}", safe="/")
    pairs = sorted(
        (quote(k, safe=""), quote(v, safe="")) for k, v in query if k != "x-oss-signature"
    )
    canonical_query = "&".join(f"{k}={v}" if v else k for k, v in pairs)
    request = f"GET\n{canonical_uri}\n{canonical_query}\n\n\nUNSIGNED-PAYLOAD"
    date = given["x-oss-date"]
    day = date[:8]
    region = given["x-oss-credential"].split("/")[2]
    to_sign = (
        f"OSS4-HMAC-SHA256\n{date}\n{day}/{region}/oss/aliyun_v4_request\n"
        + hashlib.sha256(request.encode()).hexdigest()
    )
    k = _hmac(("aliyun_v4" + secret).encode(), day)
    for part in (region, "oss", "aliyun_v4_request"):
        k = _hmac(k, part)
    return region, hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "endpoint", ["https://oss-accelerate.aliyuncs.com", "oss-accelerate-overseas.aliyuncs.com"]
)
def test_acceleration_endpoint_signs_for_the_buckets_region(endpoint, monkeypatch):
    monkeypatch.delenv("OSS_REGION", raising=False)
    # no region given: "accelerate" must not become the signing region
    with pytest.raises(ConfigurationError, match="acceleration endpoint"):
        OssStore("media-bucket", endpoint=endpoint, **KEYS)
    store = OssStore("media-bucket", endpoint=endpoint, region="cn-hangzhou", **KEYS)
    url = store.sign_url("clips/a.mp4", 600)
    assert urlsplit(url).hostname == f"media-bucket.{endpoint.split('://')[-1]}"
    region, signature = v4_expected(url, "media-bucket", "sk")
    assert region == "cn-hangzhou"
    assert dict(parse_qsl(urlsplit(url).query))["x-oss-signature"] == signature
    # the region can come from the configuration too
    monkeypatch.setenv("OSS_REGION", "oss-cn-shanghai")
    assert OssStore("media-bucket", endpoint=endpoint, **KEYS).region == "cn-shanghai"


def test_signed_get_urls_use_the_custom_domain(monkeypatch):
    monkeypatch.delenv("OSS_CNAME", raising=False)
    store = OssStore("media-bucket", region="cn-beijing", cname="media.example.com", **KEYS)
    url = store.sign_url("qwen-omni/ab/c d.mp4", 600)
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.hostname == "media.example.com"
    assert unquote(parts.path) == "/qwen-omni/ab/c d.mp4"  # no bucket segment on a CNAME
    region, signature = v4_expected(url, "media-bucket", "sk")
    assert region == "cn-beijing"
    assert dict(parse_qsl(parts.query))["x-oss-signature"] == signature
    # URLs on the custom domain are recognised as the store's own (so they can be re-signed)
    assert store.key_for_url(url) == "qwen-omni/ab/c d.mp4"
    assert store.key_for_url("https://other.example.com/qwen-omni/x.mp4") is None
    # uploads still go to the regional endpoint
    assert store.endpoint == "https://oss-cn-beijing.aliyuncs.com"
    monkeypatch.setenv("OSS_CNAME", "https://cdn.example.org")
    assert OssStore("media-bucket", region="cn-beijing", **KEYS).cname == "https://cdn.example.org"
