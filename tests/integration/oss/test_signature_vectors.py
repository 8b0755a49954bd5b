"""The emulator's signature verifier, checked against the published SDK test vectors
(reference/oss.md A2; aliyun/alibabacloud-oss-python-sdk-v2 tests/unit/signer). Pure: no server."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qwen_omni_emulator.oss import (
    v1_canonical_resource,
    v1_signature,
    v1_string_to_sign,
    v4_canonical_request,
    v4_signature,
    v4_signing_key,
    v4_string_to_sign,
)

PARAMS = {
    "param1": "value1",
    "+param1": "value3",
    "|param1": "value4",
    "+param2": "",
    "|param2": "",
    "param2": "",
}
KEY = "1234+-/123/1.txt"


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def headers(content_type: str, **extra: str) -> dict[str, str]:
    base = {
        "x-oss-head1": "value",
        "abc": "value",
        "zabc": "value",
        "xyz": "value",
        "content-type": content_type,
    }
    base.update(extra)
    return base


def v4(params, hdrs, additional, date_time, payload="UNSIGNED-PAYLOAD"):
    canonical = v4_canonical_request("PUT", "bucket", KEY, params, hdrs, additional, payload)
    scope = f"{date_time[:8]}/cn-hangzhou/oss/aliyun_v4_request"
    key = v4_signing_key("sk", date_time[:8], "cn-hangzhou")
    return v4_signature(key, v4_string_to_sign(date_time, scope, canonical))


def test_v1_vectors():
    resource = v1_canonical_resource("bucket", "key", {"versionId": "versionId"})
    assert (
        v1_signature("sk", v1_string_to_sign("GET", "", "", "1699807420", {}, resource))
        == "dcLTea+Yh9ApirQ8o8dOPqtvJXQ="
    )
    resource = v1_canonical_resource(
        "bucket", "key+123", {"versionId": "versionId", "security-token": "token"}
    )
    assert (
        v1_signature("sk", v1_string_to_sign("GET", "", "", "1699808204", {}, resource))
        == "jzKYRrM5y6Br0dRFPaTGOsbrDhY="
    )


def test_v1_resource_ignores_plain_params():
    assert v1_canonical_resource("b", "k", {"uploads": "", "foo": "bar"}) == "/b/k?uploads"
    assert v1_canonical_resource("b", None, {}) == "/b/"
    assert v1_canonical_resource(None, None, {}) == "/"


@pytest.mark.parametrize(
    ("ts", "extra", "additional", "expected"),
    [
        (1702743657, {}, [], "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"),
        (
            1702784856,
            {"x-oss-security-token": "token"},
            [],
            "b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea",
        ),
        (
            1702747512,
            {},
            ["abc", "zabc"],
            "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
        ),
    ],
)
def test_v4_header_vectors(ts, extra, additional, expected):
    date_time = iso(ts)
    hdrs = headers(
        "text/plain",
        **{"x-oss-content-sha256": "UNSIGNED-PAYLOAD", "x-oss-date": date_time},
        **extra,
    )
    assert v4(PARAMS, hdrs, additional, date_time) == expected


@pytest.mark.parametrize(
    ("ts", "token", "additional", "expected"),
    [
        (1702781677, None, [], "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe"),
        (
            1702785388,
            "token",
            [],
            "3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5",
        ),
        (
            1702783809,
            None,
            ["abc", "zabc"],
            "6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7",
        ),
    ],
)
def test_v4_query_vectors(ts, token, additional, expected):
    date_time = iso(ts)
    params = dict(PARAMS)
    params.update(
        {
            "x-oss-signature-version": "OSS4-HMAC-SHA256",
            "x-oss-date": date_time,
            "x-oss-expires": "599",
            "x-oss-credential": f"ak/{date_time[:8]}/cn-hangzhou/oss/aliyun_v4_request",
        }
    )
    if token:
        params["x-oss-security-token"] = token
    if additional:
        params["x-oss-additional-headers"] = ";".join(additional)
    assert v4(params, headers("application/octet-stream"), additional, date_time) == expected


def test_v4_empty_presigned_get_shape():
    canonical = v4_canonical_request("GET", "b", "k/x.png", {"a": "1"}, {}, [])
    assert canonical == "GET\n/b/k/x.png\na=1\n\n\nUNSIGNED-PAYLOAD"
