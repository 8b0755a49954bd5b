"""OssStore + MediaDelivery against the OSS emulator with the real oss2 client: uploads (single
PUT and parallel multipart), signing (V4, V1, STS), dedupe, re-signing, deletion, refusals."""

from __future__ import annotations

import hashlib
import os

import httpx
import oss2
import pytest

from qwen_omni import content
from qwen_omni.delivery import DeliveryContext, MediaDelivery, OssStore
from qwen_omni.errors import MediaNotFetchableError, UploadError

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2048)
AK, SK = "emu-oss-ak", "emu-oss-sk"


def ctx(**kw) -> DeliveryContext:
    args = {
        "model": "qwen3-omni-flash",
        "base_url": "http://127.0.0.1:1/compatible-mode/v1",
        "api_key": "emu-key",
        "region": None,
    }
    args.update(kw)
    return DeliveryContext(**args)


def make_store(endpoint, **kw) -> OssStore:
    args = {
        "bucket": "media",
        "endpoint": endpoint,
        "region": "cn-beijing",
        "access_key_id": AK,
        "access_key_secret": SK,
        "checkpoint_dir": None,
    }
    args.update(kw)
    return OssStore(**args)


def key_of(url: str) -> str:
    return url.split("?", 1)[0].split("/media/", 1)[1]


@pytest.fixture
def png():
    """Fresh content per test: the emulator is shared by the module and dedupe is global."""
    return PNG + os.urandom(32)


@pytest.fixture
def png_file(tmp_path, png):
    path = tmp_path / "cat.png"
    path.write_bytes(png)
    return path


@pytest.mark.parametrize("version", ["v4", "v1"])
def test_upload_and_signed_url_fetchable(endpoint, oss_state, png_file, version, png):
    store = make_store(endpoint, signature_version=version)
    out = MediaDelivery("oss", oss=store, use_env=False).deliver(content.image(png_file), ctx())
    assert out.store == "oss"
    assert not out.oss_resolve
    assert out.url.startswith(f"{endpoint}/media/qwen-omni/{hashlib.sha256(png).hexdigest()}.png?")
    assert ("x-oss-signature=" in out.url) == (version == "v4")
    assert ("OSSAccessKeyId=" in out.url) == (version == "v1")
    response = httpx.get(out.url)
    assert response.status_code == 200
    assert response.content == png
    assert response.headers["content-type"] == "image/png"
    assert oss_state.count("PUT", key=key_of(out.url)) == 1
    assert oss_state.count("GET", key=key_of(out.url), status=200) == 1


def test_sts_credentials(endpoint, oss_state, png_file, png):
    ak, sk, token = oss_state.issue_sts_token()
    store = make_store(endpoint, access_key_id=ak, access_key_secret=sk, security_token=token)
    out = MediaDelivery("oss", oss=store, use_env=False).deliver(content.image(png_file), ctx())
    assert "x-oss-security-token=" in out.url
    assert httpx.get(out.url).content == png


def test_sts_from_environment(endpoint, oss_state, png_file, monkeypatch, png):
    ak, sk, token = oss_state.issue_sts_token()
    for name, value in {
        "OSS_ACCESS_KEY_ID": ak,
        "OSS_ACCESS_KEY_SECRET": sk,
        "OSS_SESSION_TOKEN": token,
        "OSS_BUCKET": "media",
        "OSS_ENDPOINT": endpoint,
        "OSS_REGION": "cn-beijing",
    }.items():
        monkeypatch.setenv(name, value)
    out = MediaDelivery("oss").deliver(content.image(png_file), ctx())
    assert httpx.get(out.url).content == png


def test_dedupe_same_content_is_not_uploaded_twice(endpoint, oss_state, png_file, tmp_path, png):
    store = make_store(endpoint)
    delivery = MediaDelivery("oss", oss=store, use_env=False)
    first = delivery.deliver(content.image(png_file), ctx())
    second = delivery.deliver(content.image(png_file), ctx())
    as_bytes = delivery.deliver(content.image(png), ctx())
    assert first.url == second.url  # the signed URL still covers the request: reused as is
    assert key_of(as_bytes.url) == key_of(first.url)
    assert oss_state.count("PUT") == 1
    assert oss_state.count("HEAD") == 1
    # another process (a fresh store) finds the object with one HEAD and does not upload it
    again = MediaDelivery("oss", oss=make_store(endpoint), use_env=False).deliver(
        content.image(png_file), ctx()
    )
    assert oss_state.count("PUT") == 1
    assert oss_state.count("HEAD") == 2
    assert httpx.get(again.url).content == png
    # same name, other content: another key, another upload
    other = tmp_path / "other"
    other.mkdir()
    (other / "cat.png").write_bytes(png + b"!")
    different = delivery.deliver(content.image(other / "cat.png"), ctx())
    assert key_of(different.url) != key_of(first.url)
    assert oss_state.count("PUT") == 2


def test_dedupe_resigns_when_the_cached_url_is_too_short(endpoint, oss_state, png_file, png):
    delivery = MediaDelivery(
        "oss", oss=make_store(endpoint, url_expiry_s=60, expiry_margin_s=10), use_env=False
    )
    short = delivery.deliver(content.image(png_file), ctx(deadline_s=30))
    long = delivery.deliver(content.image(png_file), ctx(deadline_s=3600))
    assert short.url != long.url
    assert "x-oss-expires=3610" in long.url
    assert oss_state.count("PUT") == 1


def test_parallel_multipart_upload(endpoint, oss_state, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 100)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    progress = []
    store = make_store(
        endpoint,
        multipart_threshold=1024 * 1024,
        part_size=256 * 1024,
        num_threads=4,
        progress_callback=lambda done, total: progress.append((done, total)),
        checkpoint_dir=tmp_path / "ckpt",
    )
    out = MediaDelivery("oss", oss=store, use_env=False).deliver(content.video(path), ctx())
    key = key_of(out.url)
    assert key.endswith(".mp4")
    assert oss_state.count("POST", key=key, param="uploads") == 1
    assert oss_state.count("PUT", key=key, param="partNumber") == 13
    assert oss_state.peak_in_flight >= 2  # parts really went in parallel
    assert progress[-1] == (len(data), len(data))
    fetched = httpx.get(out.url)
    assert fetched.content == data
    assert fetched.headers["content-type"] == "video/mp4"


def test_single_put_below_threshold(endpoint, oss_state, png_file, png):
    store = make_store(endpoint, multipart_threshold=1024 * 1024)
    MediaDelivery("oss", oss=store, use_env=False).deliver(content.image(png_file), ctx())
    assert oss_state.count("POST") == 0
    assert oss_state.count("PUT") == 1


@pytest.mark.slow
def test_resumable_upload_50_mb(endpoint, oss_state, tmp_path):
    path = tmp_path / "long.mp4"
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        for _ in range(50):
            block = os.urandom(1024 * 1024)
            digest.update(block)
            fh.write(block)
    store = make_store(
        endpoint, checkpoint_dir=tmp_path / "ckpt"
    )  # defaults: 16 MiB threshold, 4 threads
    out = MediaDelivery("auto", oss=store, use_env=False).deliver(content.video(path), ctx())
    key = key_of(out.url)
    assert key == f"qwen-omni/{digest.hexdigest()}.mp4"
    assert oss_state.count("PUT", key=key, param="partNumber") == 5  # oss2 picks 10 MiB parts
    got = hashlib.sha256()
    with httpx.stream("GET", out.url) as response:
        for chunk in response.iter_bytes():
            got.update(chunk)
    assert got.hexdigest() == digest.hexdigest()


def test_expired_url_resigned_when_owned(endpoint, oss_state, png_file, png):
    store = make_store(endpoint)
    delivery = MediaDelivery(oss=store, use_env=False)
    v1 = oss2.Bucket(oss2.Auth(AK, SK), endpoint, "media")
    v1.put_object("history/old.png", png)
    stale = v1.sign_url("GET", "history/old.png", -10, slash_safe=True)
    assert httpx.get(stale).status_code == 403  # really expired
    out = delivery.deliver(content.image(stale), ctx())
    assert out.store == "oss"
    assert out.url != stale
    assert httpx.get(out.url).content == png


def test_url_expiring_before_deadline_resigned_when_owned(endpoint, png_file, png):
    store = make_store(endpoint)
    v4 = oss2.Bucket(oss2.AuthV4(AK, SK), endpoint, "media", region="cn-beijing")
    v4.put_object("history/soon.png", png)
    soon = v4.sign_url("GET", "history/soon.png", 60, slash_safe=True)
    delivery = MediaDelivery(oss=store, use_env=False)
    out = delivery.deliver(content.image(soon), ctx(deadline_s=600))
    assert out.url != soon
    assert "x-oss-expires=720" in out.url
    assert (
        delivery.deliver(content.image(soon), ctx(deadline_s=30)).url == soon
    )  # still long enough


def test_expired_url_refused_when_not_owned(endpoint, oss_state):
    oss_state.create_bucket("someone-else")
    other = oss2.Bucket(oss2.Auth(AK, SK), endpoint, "someone-else")
    other.put_object("a.png", PNG)
    stale = other.sign_url("GET", "a.png", -10, slash_safe=True)
    with pytest.raises(MediaNotFetchableError, match="expired") as info:
        MediaDelivery(oss=make_store(endpoint), use_env=False).deliver(content.image(stale), ctx())
    assert "Signature=" not in str(info.value)


def test_unsigned_url_on_private_bucket(endpoint, oss_state):
    oss_state.create_bucket("private-other")
    oss2.Bucket(oss2.Auth(AK, SK), endpoint, "private-other").put_object("a.png", PNG)
    oss2.Bucket(oss2.Auth(AK, SK), endpoint, "public").put_object("a.png", PNG)
    host = endpoint.split("://", 1)[1]
    delivery = MediaDelivery(oss=make_store(endpoint), oss_hosts=[host], use_env=False)
    # ours: signed for the caller
    oss2.Bucket(oss2.Auth(AK, SK), endpoint, "media").put_object("mine.png", PNG)
    mine = delivery.deliver(content.image(f"{endpoint}/media/mine.png"), ctx())
    assert mine.store == "oss"
    assert httpx.get(mine.url).content == PNG
    # someone else's private bucket: refused (an anonymous HEAD says 403)
    with pytest.raises(MediaNotFetchableError, match="private OSS bucket"):
        delivery.deliver(content.image(f"{endpoint}/private-other/a.png"), ctx())
    # a public bucket: passed through
    public = f"{endpoint}/public/a.png"
    assert delivery.deliver(content.image(public), ctx()).url == public


async def test_unsigned_url_probe_async(endpoint, oss_state):
    host = endpoint.split("://", 1)[1]
    delivery = MediaDelivery(oss_hosts=[host], use_env=False)
    with pytest.raises(MediaNotFetchableError, match="private OSS bucket"):
        await delivery.adeliver(content.image(f"{endpoint}/media/nothing-public.png"), ctx())


def test_delete_after_use(endpoint, oss_state, png_file, png):
    store = make_store(endpoint, delete_after_use=True)
    delivery = MediaDelivery("oss", oss=store, use_env=False)
    one = delivery.deliver(content.image(png_file), ctx())
    two = delivery.deliver(content.image(png_file), ctx())
    key = key_of(one.url)
    delivery.release(one)
    assert oss_state.get_object("media", key) is not None  # still used by the second request
    delivery.release(two)
    assert oss_state.get_object("media", key) is None
    assert httpx.get(one.url).status_code == 404
    delivery.deliver(content.image(png_file), ctx())
    assert oss_state.count("PUT", key=key) == 2


async def test_async_delivery(endpoint, oss_state, png_file, png):
    delivery = MediaDelivery("oss", oss=make_store(endpoint), use_env=False)
    out = await delivery.adeliver(content.image(png_file), ctx())
    async with httpx.AsyncClient() as client:
        assert (await client.get(out.url)).content == png
    await delivery.arelease(out)


def test_wrong_secret_is_an_upload_error_without_secrets(endpoint, png_file, png):
    store = make_store(endpoint, access_key_secret="not-the-secret")
    with pytest.raises(UploadError) as info:
        MediaDelivery("oss", oss=store, use_env=False).deliver(content.image(png_file), ctx())
    message = str(info.value)
    assert "SignatureDoesNotMatch" in message
    assert "oss://media/qwen-omni/" in message
    assert "not-the-secret" not in message


def test_auto_policy_choices(endpoint, oss_state, png_file, tmp_path, png):
    store = make_store(endpoint)
    delivery = MediaDelivery(oss=store, inline_max_bytes=2000, use_env=False)
    small = tmp_path / "small.png"
    small.write_bytes(png[:1000])
    assert delivery.deliver(content.image(small), ctx()).store == "inline"
    assert oss_state.count() == 0
    assert delivery.deliver(content.image(png_file), ctx()).store == "oss"  # over the (lowered) cap
    assert oss_state.count("PUT") == 1


def test_store_on_loopback_refused_for_dashscope_before_uploading(
    endpoint, oss_state, png_file, png
):
    dashscope = ctx(base_url="https://dashscope.aliyuncs.com/compatible-mode/v1", region="beijing")
    with pytest.raises(MediaNotFetchableError, match="not reachable by the service"):
        MediaDelivery("oss", oss=make_store(endpoint), use_env=False).deliver(
            content.image(png_file), dashscope
        )
    assert oss_state.count() == 0
