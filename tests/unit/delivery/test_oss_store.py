"""OssStore configuration, ownership and offline signing (oss2 signs locally: no sockets)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("oss2")

from qwen_omni import content
from qwen_omni.delivery import DeliveryContext, LocalMedia, MediaDelivery, OssStore
from qwen_omni.delivery.oss import V4_MAX_EXPIRES_S, mime_type_for
from qwen_omni.errors import ConfigurationError

from .test_formats import JPEG, PNG, WAV

CTX = DeliveryContext(
    model="qwen3-omni-flash",
    base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
    api_key="sk-test",
    region="beijing",
)
ENV = (
    "OSS_BUCKET",
    "OSS_ENDPOINT",
    "OSS_REGION",
    "OSS_ACCESS_KEY_ID",
    "OSS_ACCESS_KEY_SECRET",
    "OSS_SESSION_TOKEN",
    "OSS_PREFIX",
    "OSS_SIGNATURE_VERSION",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def store(**kw) -> OssStore:
    args = {
        "bucket": "media",
        "region": "cn-beijing",
        "access_key_id": "AKID",
        "access_key_secret": "top-secret-sk",
    }
    args.update(kw)
    return OssStore(**args)


def test_endpoint_from_region_and_https():
    s = store()
    assert s.endpoint == "https://oss-cn-beijing.aliyuncs.com"
    assert s.signature_version == "v4"


def test_region_from_endpoint():
    s = store(region=None, endpoint="oss-cn-hangzhou.aliyuncs.com")
    assert s.region == "cn-hangzhou"
    assert s.endpoint == "https://oss-cn-hangzhou.aliyuncs.com"


def test_http_endpoint_upgraded_to_https_for_real_oss():
    assert store(endpoint="http://oss-cn-beijing.aliyuncs.com").endpoint.startswith("https://")


def test_loopback_endpoint_keeps_http_and_can_force_https():
    assert store(endpoint="http://127.0.0.1:9000").endpoint == "http://127.0.0.1:9000"
    assert store(endpoint="127.0.0.1:9000").endpoint == "http://127.0.0.1:9000"
    assert (
        store(endpoint="http://127.0.0.1:9000", https_only=True).endpoint
        == "https://127.0.0.1:9000"
    )


def test_v4_needs_region():
    with pytest.raises(ConfigurationError, match="region"):
        store(region=None, endpoint="http://127.0.0.1:9000")
    assert (
        store(region=None, endpoint="http://127.0.0.1:9000", signature_version="v1").region is None
    )


def test_missing_bucket_and_credentials():
    with pytest.raises(ConfigurationError, match="OSS_BUCKET"):
        OssStore(region="cn-beijing", access_key_id="a", access_key_secret="b")
    with pytest.raises(ConfigurationError, match="OSS_ACCESS_KEY_ID"):
        OssStore(bucket="b", region="cn-beijing")


def test_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("OSS_BUCKET", "env-bucket")
    monkeypatch.setenv("OSS_REGION", "cn-shanghai")
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", "env-ak")
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "env-sk")
    monkeypatch.setenv("OSS_SESSION_TOKEN", "env-token")
    monkeypatch.setenv("OSS_PREFIX", "env/")
    from_env = OssStore()
    assert (from_env.bucket_name, from_env.region, from_env.prefix) == (
        "env-bucket",
        "cn-shanghai",
        "env/",
    )
    url = from_env.sign_url("a.png", 600)
    assert "x-oss-security-token=env-token" in url
    explicit = OssStore(bucket="arg-bucket", region="cn-beijing", prefix="arg/")
    assert (explicit.bucket_name, explicit.region, explicit.prefix) == (
        "arg-bucket",
        "cn-beijing",
        "arg/",
    )
    assert OssStore.from_env() is not None


def test_from_env_without_bucket_is_none():
    assert OssStore.from_env() is None


def test_secrets_never_in_repr():
    s = store(security_token="sts-token-value")
    text = repr(s) + str(s) + repr(MediaDelivery(oss=s))
    assert "top-secret-sk" not in text
    assert "sts-token-value" not in text


def test_v4_signed_url_shape():
    url = store().sign_url("qwen-omni/abc/clip one.wav", 900)
    parts = urlsplit(url)
    assert parts.scheme == "https"
    assert parts.netloc == "media.oss-cn-beijing.aliyuncs.com"
    assert parts.path == "/qwen-omni/abc/clip%20one.wav"  # slash_safe: no %2F
    query = parse_qs(parts.query)
    assert query["x-oss-signature-version"] == ["OSS4-HMAC-SHA256"]
    assert query["x-oss-expires"] == ["900"]
    assert query["x-oss-credential"][0].split("/")[2] == "cn-beijing"


def test_v1_signed_url_shape():
    url = store(signature_version="v1").sign_url("k.png", 900)
    query = parse_qs(urlsplit(url).query)
    assert set(query) == {"OSSAccessKeyId", "Expires", "Signature"}


def test_internal_endpoint_signs_for_public_endpoint():
    s = store(endpoint="https://oss-cn-beijing-internal.aliyuncs.com")
    assert s.public_endpoint == "https://oss-cn-beijing.aliyuncs.com"
    assert urlsplit(s.sign_url("k.png", 600)).netloc == "media.oss-cn-beijing.aliyuncs.com"


def test_expiry_covers_deadline_and_caps_v4():
    s = store()
    assert s.expiry_for(CTX) == 720  # deadline 600 + margin 120 > default 600
    short = DeliveryContext(model="m", base_url=CTX.base_url, deadline_s=60)
    assert s.expiry_for(short) == 600
    long = DeliveryContext(model="m", base_url=CTX.base_url, deadline_s=V4_MAX_EXPIRES_S)
    with pytest.raises(ConfigurationError, match="7 days"):
        s.expiry_for(long)
    assert store(signature_version="v1").expiry_for(long) > V4_MAX_EXPIRES_S


def test_key_for_url_ownership():
    s = store()
    assert (
        s.key_for_url("https://media.oss-cn-beijing.aliyuncs.com/qwen-omni/a.png?x=1")
        == "qwen-omni/a.png"
    )
    assert (
        s.key_for_url("https://media.oss-cn-beijing-internal.aliyuncs.com/a%2Fb.png") == "a/b.png"
    )
    assert s.key_for_url("http://media.oss-cn-beijing.aliyuncs.com:80/k") == "k"
    assert s.key_for_url("https://other.oss-cn-beijing.aliyuncs.com/k") is None
    assert s.key_for_url("https://media.oss-cn-shanghai.aliyuncs.com/k") is None
    local = store(endpoint="http://127.0.0.1:9000")
    assert local.key_for_url("http://127.0.0.1:9000/media/x/y.wav?Expires=1") == "x/y.wav"
    assert local.key_for_url("http://127.0.0.1:9000/other/x.wav") is None


def test_content_addressed_key(tmp_path):
    s = store()
    a = tmp_path / "a.WAV"
    a.write_bytes(WAV)
    b = tmp_path / "sub"
    b.mkdir()
    (b / "a.WAV").write_bytes(WAV + b"!")
    key_a = s.key_for(LocalMedia.from_part(content.audio(a)))
    key_b = s.key_for(LocalMedia.from_part(content.audio(b / "a.WAV")))
    assert key_a.startswith("qwen-omni/")
    assert key_a.endswith(".wav")
    assert key_a != key_b
    assert (
        s.key_for(LocalMedia.from_part(content.audio(WAV))).rsplit(".", 1)[0]
        == key_a.rsplit(".", 1)[0]
    )


def test_mime_types():
    assert mime_type_for(LocalMedia.from_part(content.image(PNG))) == "image/png"
    assert mime_type_for(LocalMedia.from_part(content.image(JPEG))) == "image/jpeg"
    assert mime_type_for(LocalMedia.from_part(content.audio(WAV))) == "audio/wav"
    mp4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 16
    assert mime_type_for(LocalMedia.from_part(content.video(mp4))) == "video/mp4"


def test_owned_stale_url_is_resigned_offline():
    s = store()
    delivery = MediaDelivery(oss=s, use_env=False)
    stale = (
        "https://media.oss-cn-beijing.aliyuncs.com/qwen-omni/a.png"
        "?OSSAccessKeyId=AKID&Expires=1600000000&Signature=old"
    )
    out = delivery.deliver(content.image(stale), CTX)
    assert out.store == "oss"
    assert "x-oss-signature=" in out.url
    assert "Signature=old" not in out.url
    unsigned = delivery.deliver(
        content.image("https://media.oss-cn-beijing.aliyuncs.com/qwen-omni/a.png"), CTX
    )
    assert "x-oss-signature=" in unsigned.url
    internal = delivery.deliver(
        content.image("https://media.oss-cn-beijing-internal.aliyuncs.com/qwen-omni/a.png"), CTX
    )
    assert urlsplit(internal.url).netloc == "media.oss-cn-beijing.aliyuncs.com"


def test_public_read_bucket_unsigned_url_passes():
    s = store(public_read=True)
    url = "https://media.oss-cn-beijing.aliyuncs.com/qwen-omni/a.png"
    assert MediaDelivery(oss=s, use_env=False).deliver(content.image(url), CTX).url == url


def test_loopback_store_refused_for_real_service_before_upload(tmp_path):
    from qwen_omni.errors import MediaNotFetchableError

    s = store(endpoint="http://127.0.0.1:9000")
    with pytest.raises(MediaNotFetchableError, match=r"OSS store's endpoint.*loopback"):
        MediaDelivery("oss", oss=s, use_env=False).deliver(content.image(PNG), CTX)


def test_the_content_digest_is_computed_once_per_file_version_across_stores(tmp_path, monkeypatch):
    """The key needs the SHA-256 before an upload starts; a later store reuses it (the one
    digest memo shared with the analysis cache), and a changed file is hashed again (#18)."""
    import hashlib
    import os

    from qwen_omni.cache import digest as digest_module

    path = tmp_path / "clip.wav"
    path.write_bytes(WAV + b"\x01" * 1000)
    calls = []
    real = digest_module._hash_file

    def counting(p):
        calls.append(p)
        return real(p)

    monkeypatch.setattr(digest_module, "_hash_file", counting)
    ckpt = tmp_path / "ckpt"
    media = LocalMedia.from_part(content.audio(path))
    first = store(checkpoint_dir=ckpt).key_for(media)
    assert hashlib.sha256(path.read_bytes()).hexdigest() in first
    assert store(checkpoint_dir=ckpt).key_for(LocalMedia.from_part(content.audio(path))) == first
    assert len(calls) == 1
    path.write_bytes(WAV + b"\x02" * 1000)  # same size, new content and time
    os.utime(path, ns=(1, 1))
    second = store(checkpoint_dir=ckpt).key_for(LocalMedia.from_part(content.audio(path)))
    assert second != first
    assert hashlib.sha256(path.read_bytes()).hexdigest() in second
    assert len(calls) == 2
