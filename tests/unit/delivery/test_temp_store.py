"""DashScopeTempStore against an in-process fake (httpx.MockTransport: no sockets)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
import pytest

from qwen_omni import content
from qwen_omni.delivery import DashScopeTempStore, DeliveryContext, LocalMedia
from qwen_omni.errors import ConfigurationError, MediaTooLargeError, UploadError

from .test_formats import PNG

CTX = DeliveryContext(
    model="qwen3-omni-flash",
    base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
    api_key="sk-secret-key",
    region="beijing",
)


class FakeDashScope:
    def __init__(self, *, max_mb=100, expire_first_upload=False):
        self.policies = 0
        self.uploads: list[dict] = []
        self.max_mb = max_mb
        self.expire_first_upload = expire_first_upload

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            assert request.url.path == "/api/v1/uploads"
            assert request.url.params["action"] == "getPolicy"
            assert request.headers["authorization"] == "Bearer sk-secret-key"
            self.policies += 1
            return httpx.Response(
                200,
                json={
                    "request_id": "r",
                    "data": {
                        "policy": "cG9saWN5",
                        "signature": "c2ln",
                        "upload_dir": f"dashscope-instant/acct/day/{self.policies}",
                        "upload_host": "https://dashscope-file-x.oss-cn-beijing.aliyuncs.com",
                        "expire_in_seconds": 300,
                        "max_file_size_mb": self.max_mb,
                        "capacity_limit_mb": 999,
                        "oss_access_key_id": "LTAItemp",
                        "x_oss_object_acl": "private",
                        "x_oss_forbid_overwrite": "true",
                    },
                },
            )
        body = request.read()
        boundary = request.headers["content-type"].split("boundary=")[1].encode()
        fields = {}
        order = []
        for chunk in body.split(b"--" + boundary)[1:-1]:
            head, _, value = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
            name = head.split(b'name="')[1].split(b'"')[0].decode()
            order.append(name)
            fields[name] = value
        assert order[-1] == "file"  # the file must be the last field
        self.uploads.append(fields)
        if self.expire_first_upload and len(self.uploads) == 1:
            return httpx.Response(
                403,
                content=b"<?xml version='1.0'?><Error><Code>AccessDenied</Code>"
                b"<Message>Invalid according to Policy: Policy expired.</Message></Error>",
            )
        return httpx.Response(200)


def make(fake, **kw) -> DashScopeTempStore:
    return DashScopeTempStore(transport=httpx.MockTransport(fake), **kw)


def test_upload_and_oss_url(tmp_path):
    fake = FakeDashScope()
    out = make(fake).put(LocalMedia.from_part(content.image(PNG)), CTX)
    assert out.oss_resolve
    assert out.store == "dashscope_temp"
    fields = fake.uploads[0]
    key = fields["key"].decode()
    assert out.url == "oss://" + key
    assert key.startswith("dashscope-instant/acct/day/1/")
    assert key.endswith(".png")
    assert fields["OSSAccessKeyId"] == b"LTAItemp"
    assert fields["policy"] == b"cG9saWN5"
    assert fields["x-oss-forbid-overwrite"] == b"true"
    assert fields["success_action_status"] == b"200"
    assert fields["file"] == PNG


def test_policy_reused_and_same_names_do_not_collide(tmp_path):
    fake = FakeDashScope()
    temp = make(fake)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "cat.png").write_bytes(PNG)
    (b / "cat.png").write_bytes(PNG + b"different")
    first = temp.put(LocalMedia.from_part(content.image(a / "cat.png")), CTX)
    second = temp.put(LocalMedia.from_part(content.image(b / "cat.png")), CTX)
    assert first.url != second.url
    assert first.url.endswith("/cat.png")
    assert second.url.endswith("/cat.png")
    assert fake.policies == 1
    assert temp.policy_requests == 1


def test_same_content_uploaded_once():
    fake = FakeDashScope()
    temp = make(fake)
    one = temp.put(LocalMedia.from_part(content.image(PNG)), CTX)
    two = temp.put(LocalMedia.from_part(content.image(PNG)), CTX)
    assert one.url == two.url
    assert len(fake.uploads) == 1
    other_model = DeliveryContext(**{**CTX.__dict__, "model": "qwen3.5-omni-plus"})
    temp.put(LocalMedia.from_part(content.image(PNG)), other_model)
    assert len(fake.uploads) == 2  # files are bound to a model


def test_policy_renewed_when_expired():
    now = [1000.0]
    fake = FakeDashScope()
    temp = make(fake, clock=lambda: now[0])
    temp.put(LocalMedia.from_part(content.image(PNG)), CTX)
    now[0] += 290  # within the 30 s renewal margin of the 300 s policy
    temp.put(LocalMedia.from_part(content.image(PNG + b"x")), CTX)
    assert fake.policies == 2


def test_expired_policy_answer_retried_once():
    fake = FakeDashScope(expire_first_upload=True)
    out = make(fake).put(LocalMedia.from_part(content.image(PNG)), CTX)
    assert out.url.startswith("oss://")
    assert fake.policies == 2
    assert len(fake.uploads) == 2


def test_too_large_for_policy():
    fake = FakeDashScope(max_mb=0.0001)
    with pytest.raises(MediaTooLargeError, match="temporary upload accepts at most"):
        make(fake).put(LocalMedia.from_part(content.image(PNG + b"\x00" * 200)), CTX)


def test_outside_beijing():
    ctx = DeliveryContext(**{**CTX.__dict__, "region": "us"})
    with pytest.raises(ConfigurationError, match="Beijing"):
        make(FakeDashScope()).put(LocalMedia.from_part(content.image(PNG)), ctx)
    store = make(FakeDashScope())
    store.any_region = True  # what MediaDelivery("dashscope_temp") sets, with a warning
    assert store.put(LocalMedia.from_part(content.image(PNG)), ctx).url.startswith("oss://")


def test_missing_key(monkeypatch):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    ctx = DeliveryContext(**{**CTX.__dict__, "api_key": None})
    with pytest.raises(ConfigurationError, match="DASHSCOPE_API_KEY"):
        make(FakeDashScope()).put(LocalMedia.from_part(content.image(PNG)), ctx)


def test_getpolicy_error_never_leaks_the_key():
    def handler(request):
        return httpx.Response(
            401, json={"code": "InvalidApiKey", "message": "Invalid API-key provided."}
        )

    temp = DashScopeTempStore(transport=httpx.MockTransport(handler))
    with pytest.raises(UploadError) as info:
        temp.put(LocalMedia.from_part(content.image(PNG)), CTX)
    assert "Invalid API-key" in str(info.value)
    assert "sk-secret-key" not in str(info.value)
    assert "sk-secret-key" not in repr(temp)


async def test_async_upload():
    fake = FakeDashScope()
    temp = DashScopeTempStore(async_transport=httpx.MockTransport(fake))
    out = await temp.aput(LocalMedia.from_part(content.image(PNG)), CTX)
    assert out.url.startswith("oss://dashscope-instant/")
    assert fake.uploads[0]["file"] == PNG


def test_unused_imports_are_used():
    assert json
    assert parse_qs
