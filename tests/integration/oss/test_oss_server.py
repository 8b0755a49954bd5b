"""The OSS emulator driven by the real oss2 client and raw HTTP: objects, multipart, addressing,
signatures (V1/V4, URL and header, STS), expiry and errors."""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

import httpx
import oss2
import pytest

pytestmark = pytest.mark.integration

AK, SK = "emu-oss-ak", "emu-oss-sk"


def bucket(endpoint, auth=None, name="media", **kw):
    return oss2.Bucket(auth or oss2.AuthV4(AK, SK), endpoint, name, region="cn-beijing", **kw)


def error_code(response: httpx.Response) -> str:
    text = response.text
    return text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in text else ""


@pytest.mark.parametrize("auth", [oss2.AuthV4(AK, SK), oss2.Auth(AK, SK)], ids=["v4", "v1"])
def test_put_get_head_delete(endpoint, oss_state, auth):
    b = bucket(endpoint, auth)
    result = b.put_object("dir/a b+c.txt", b"hello", headers={"Content-Type": "text/plain"})
    assert result.status == 200
    assert result.crc is not None
    assert b.get_object("dir/a b+c.txt").read() == b"hello"
    head = b.head_object("dir/a b+c.txt")
    assert head.content_length == 5
    assert head.content_type == "text/plain"
    assert b.object_exists("dir/a b+c.txt")
    assert not b.object_exists("nope")
    b.delete_object("dir/a b+c.txt")
    assert not b.object_exists("dir/a b+c.txt")
    assert oss_state.count("PUT", key="dir/a b+c.txt") == 1


def test_range_get(endpoint):
    b = bucket(endpoint)
    b.put_object("r.bin", bytes(range(256)))
    assert b.get_object("r.bin", byte_range=(10, 19)).read() == bytes(range(10, 20))
    url = b.sign_url("GET", "r.bin", 60, slash_safe=True)
    response = httpx.get(url, headers={"Range": "bytes=-4"})
    assert response.status_code == 206
    assert response.content == bytes(range(252, 256))


@pytest.mark.parametrize("version", ["v4", "v1"])
def test_signed_url_and_tampering(endpoint, version):
    auth = oss2.AuthV4(AK, SK) if version == "v4" else oss2.Auth(AK, SK)
    b = bucket(endpoint, auth)
    b.put_object("x/y/z.png", b"png-bytes")
    for slash_safe in (True, False):
        url = b.sign_url("GET", "x/y/z.png", 120, slash_safe=slash_safe)
        assert httpx.get(url).content == b"png-bytes"
    url = b.sign_url("GET", "x/y/z.png", 120, slash_safe=True)
    sig_param = "x-oss-signature=" if version == "v4" else "Signature="
    head, _, sig = url.partition(sig_param)
    tampered = head + sig_param + ("0" if sig[0] != "0" else "1") + sig[1:]
    response = httpx.get(tampered)
    assert response.status_code == 403
    assert error_code(response) == "SignatureDoesNotMatch"
    assert "<StringToSign>" in response.text
    other_key = url.replace("/x/y/z.png", "/x/y/other.png")
    assert error_code(httpx.get(other_key)) == "SignatureDoesNotMatch"


@pytest.mark.parametrize("version", ["v4", "v1"])
def test_expired_url(endpoint, oss_state, version):
    auth = oss2.AuthV4(AK, SK) if version == "v4" else oss2.Auth(AK, SK)
    b = bucket(endpoint, auth)
    b.put_object("e.png", b"e")
    url = b.sign_url("GET", "e.png", 60, slash_safe=True)
    assert httpx.get(url).status_code == 200
    oss_state.time_offset = 61
    response = httpx.get(url)
    assert response.status_code == 403
    assert error_code(response) == "AccessDenied"
    assert "Request has expired." in response.text
    assert "<ServerTime>" in response.text


def test_v4_expiry_over_seven_days_rejected(endpoint):
    b = bucket(endpoint)
    b.put_object("week.png", b"w")
    url = b.sign_url("GET", "week.png", 8 * 86400, slash_safe=True)  # oss2 does not check
    response = httpx.get(url)
    assert response.status_code == 400
    assert "604800" in response.text


def test_v4_wrong_region(endpoint):
    b = oss2.Bucket(oss2.AuthV4(AK, SK), endpoint, "media", region="cn-shanghai")
    with pytest.raises(oss2.exceptions.OssError) as info:
        b.put_object("r.png", b"r")
    assert info.value.status == 403
    assert "region" in info.value.message


@pytest.mark.parametrize(
    "auth", [oss2.AuthV4(AK, "wrong"), oss2.Auth(AK, "wrong")], ids=["v4", "v1"]
)
def test_header_signature_mismatch(endpoint, auth):
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        bucket(endpoint, auth).put_object("k", b"x")


def test_unknown_access_key(endpoint):
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket(endpoint, oss2.AuthV4("nobody", SK)).put_object("k", b"x")
    assert info.value.code == "InvalidAccessKeyId"


@pytest.mark.parametrize("version", [oss2.AUTH_VERSION_4, oss2.AUTH_VERSION_1])
def test_sts(endpoint, oss_state, version):
    ak, sk, token = oss_state.issue_sts_token(duration_s=30)
    b = bucket(endpoint, oss2.StsAuth(ak, sk, token, auth_version=version))
    b.put_object("sts.png", b"sts")
    url = b.sign_url("GET", "sts.png", 60, slash_safe=True)
    assert httpx.get(url).content == b"sts"
    # a token for another key is refused
    _, _, other_token = oss_state.issue_sts_token()
    forged = bucket(endpoint, oss2.StsAuth(ak, sk, other_token, auth_version=version))
    with pytest.raises(oss2.exceptions.OssError) as info:
        forged.put_object("sts.png", b"x")
    assert info.value.status == 403
    # without a token the temporary key is refused
    with pytest.raises(oss2.exceptions.OssError):
        bucket(endpoint, oss2.make_auth(ak, sk, version)).get_object("sts.png")
    # an expired token is refused even for a fresh signature
    oss_state.time_offset = 31  # the URL (60 s) is still valid, the token (30 s) is not
    fresh = b.sign_url("GET", "sts.png", 60, slash_safe=True)
    response = httpx.get(fresh)
    assert response.status_code == 403
    assert error_code(response) == "SecurityTokenExpired"


def test_anonymous_access(endpoint, oss_state):
    bucket(endpoint).put_object("p.png", b"private")
    bucket(endpoint, name="public").put_object("p.png", b"public")
    private = httpx.get(f"{endpoint}/media/p.png")
    assert private.status_code == 403
    assert error_code(private) == "AccessDenied"
    assert httpx.get(f"{endpoint}/public/p.png").content == b"public"
    assert httpx.head(f"{endpoint}/public/p.png").headers["content-length"] == "6"
    assert httpx.put(f"{endpoint}/public/p.png", content=b"x").status_code == 403


def test_virtual_hosted_addressing(endpoint):
    bucket(endpoint).put_object("v/h.png", b"vh")
    signer = oss2.Bucket(oss2.Auth(AK, SK), "http://oss-cn-beijing.aliyuncs.com", "media")
    url = signer.sign_url("GET", "v/h.png", 60, slash_safe=True)
    parts = urlsplit(url)
    assert parts.netloc == "media.oss-cn-beijing.aliyuncs.com"
    port = urlsplit(endpoint).port
    response = httpx.get(
        f"http://127.0.0.1:{port}{parts.path}?{parts.query}",
        headers={"Host": f"media.oss-cn-beijing.aliyuncs.com:{port}"},
    )
    assert response.status_code == 200
    assert response.content == b"vh"
    public = httpx.get(f"http://127.0.0.1:{port}/v/h.png", headers={"Host": "media.localhost"})
    assert public.status_code == 403  # private bucket, virtual-hosted, anonymous


def test_no_such_key_and_bucket(endpoint):
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket(endpoint).get_object("missing")
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        bucket(endpoint, name="missing-bucket").put_object("k", b"x")


def test_resumable_multipart_parallel(endpoint, oss_state, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 12345)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    seen = []
    oss2.resumable_upload(
        bucket(endpoint),
        "mp/big.bin",
        str(path),
        store=oss2.ResumableStore(root=str(tmp_path)),
        multipart_threshold=1024 * 1024,
        part_size=512 * 1024,
        num_threads=4,
        progress_callback=lambda done, total: seen.append(done),
    )
    assert oss_state.object_bytes("media", "mp/big.bin") == data
    assert oss_state.count("POST", key="mp/big.bin", param="uploads") == 1
    assert oss_state.count("PUT", key="mp/big.bin", param="partNumber") == 7
    assert oss_state.count("POST", key="mp/big.bin", param="uploadId") == 1
    meta = bucket(endpoint).head_object("mp/big.bin")
    assert meta.object_type == "Multipart"
    assert meta.etag.endswith("-7")
    assert bucket(endpoint).get_object("mp/big.bin").read() == data
    assert seen[-1] == len(data)


def test_multipart_list_abort_and_small_part(endpoint, oss_state):
    b = bucket(endpoint)
    upload_id = b.init_multipart_upload("parts.bin").upload_id
    p1 = b.upload_part("parts.bin", upload_id, 1, b"a" * 10)
    p2 = b.upload_part("parts.bin", upload_id, 2, b"b" * 10)
    listed = b.list_parts("parts.bin", upload_id)
    assert [p.part_number for p in listed.parts] == [1, 2]
    assert listed.parts[0].size == 10
    with pytest.raises(oss2.exceptions.OssError) as info:  # parts below 100 KiB except the last
        b.complete_multipart_upload(
            "parts.bin",
            upload_id,
            [oss2.models.PartInfo(1, p1.etag), oss2.models.PartInfo(2, p2.etag)],
        )
    assert info.value.code == "EntityTooSmall"
    b.abort_multipart_upload("parts.bin", upload_id)
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        b.list_parts("parts.bin", upload_id)


def test_resume_after_interruption(endpoint, oss_state, tmp_path):
    data = os.urandom(2 * 1024 * 1024)
    path = tmp_path / "resume.bin"
    path.write_bytes(data)
    store = oss2.ResumableStore(root=str(tmp_path))

    class Stop(Exception):
        pass

    def stop_midway(done, total):
        if done >= 1024 * 1024:
            raise Stop

    with pytest.raises(Stop):
        oss2.resumable_upload(
            bucket(endpoint),
            "resume.bin",
            str(path),
            store=store,
            multipart_threshold=1,
            part_size=256 * 1024,
            num_threads=1,
            progress_callback=stop_midway,
        )
    first = oss_state.count("PUT", key="resume.bin", param="partNumber")
    assert 0 < first < 8
    oss2.resumable_upload(
        bucket(endpoint),
        "resume.bin",
        str(path),
        store=store,
        multipart_threshold=1,
        part_size=256 * 1024,
        num_threads=2,
    )
    second = oss_state.count("PUT", key="resume.bin", param="partNumber") - first
    assert first + second == 8  # only the missing parts were sent again
    assert oss_state.object_bytes("media", "resume.bin") == data


def test_list_objects(endpoint):
    b = bucket(endpoint)
    for key in ("l/1", "l/2", "m/3"):
        b.put_object(key, b"x")
    assert [o.key for o in oss2.ObjectIterator(b, prefix="l/")] == ["l/1", "l/2"]


def test_bandwidth_cap_and_latency(oss_state):
    from qwen_omni_emulator.oss import serve_oss

    data = b"x" * (1024 * 1024)
    with serve_oss(oss_state, bandwidth_bps=4 * 1024 * 1024, latency_s=0.05) as ep:
        b = bucket(ep)
        start = time.monotonic()
        b.put_object("slow.bin", data)
        upload = time.monotonic() - start
        start = time.monotonic()
        assert b.get_object("slow.bin").read() == data
        download = time.monotonic() - start
    # 1 MiB at 4 MiB/s is 0.25 s each way (+ 50 ms latency); unthrottled it takes ~10 ms
    assert upload >= 0.2
    assert download >= 0.2
    assert upload < 5
    assert download < 5
