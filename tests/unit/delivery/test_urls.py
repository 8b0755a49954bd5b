"""URL checks: reachability from the service and signed-URL expiry (pure, no DNS)."""

import time
from datetime import datetime, timezone

import pytest

from qwen_omni.delivery import check_reachable, classify_host, parse_signed_url
from qwen_omni.delivery.urls import check_scheme, is_oss_host, redact_url
from qwen_omni.errors import MediaNotFetchableError, UnsupportedMediaError

DASHSCOPE = "https://dashscope.aliyuncs.com/compatible-mode/v1"
EMULATOR = "http://127.0.0.1:8000/compatible-mode/v1"
VLLM_LAN = "http://10.1.2.3:8000/v1"


@pytest.mark.parametrize(
    ("host", "klass"),
    [
        ("example.com", "public"),
        ("8.8.8.8", "public"),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("[::1]", "loopback"),
        ("0.0.0.0", "loopback"),
        ("localhost", "loopback"),
        ("media.localhost", "loopback"),
        ("10.0.0.5", "private"),
        ("172.20.1.1", "private"),
        ("192.168.1.10", "private"),
        ("100.64.3.4", "private"),
        ("fd12::1", "private"),
        ("::ffff:192.168.1.1", "private"),
        ("169.254.10.10", "link_local"),
        ("169.254.169.254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("metadata.google.internal", "metadata"),
        ("bkt.oss-cn-beijing-internal.aliyuncs.com", "oss_internal"),
        ("oss-cn-hangzhou-internal.aliyuncs.com", "oss_internal"),
        ("bkt.oss-cn-beijing.aliyuncs.com", "public"),
        ("fileserver", "intranet_name"),
        ("nas.corp", "intranet_name"),
        ("db.internal", "intranet_name"),
    ],
)
def test_classify_host(host, klass):
    assert classify_host(host) == klass


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/b/a.png",
        "http://localhost/a.png",
        "https://192.168.0.7/a.png",
        "http://169.254.169.254/latest/meta-data",
        "http://100.100.100.200/latest/meta-data",
        "https://bkt.oss-cn-beijing-internal.aliyuncs.com/a.png?OSSAccessKeyId=a&Expires=9&Signature=s",
        "http://fileserver/a.png",
        "http://[fe80::1]/a.png",
    ],
)
def test_unreachable_urls_refused_for_dashscope(url):
    with pytest.raises(MediaNotFetchableError) as info:
        check_reachable(url, base_url=DASHSCOPE)
    message = str(info.value)
    assert "publicly" in message or "public internet" in message
    assert "sign it" in message
    assert "upload it" in message
    # the query string (signatures, tokens) never reaches the message
    assert "Signature=" not in message
    assert "OSSAccessKeyId" not in message


def test_internal_endpoint_hint_names_the_fix():
    with pytest.raises(MediaNotFetchableError, match="-internal"):
        check_reachable("https://b.oss-cn-beijing-internal.aliyuncs.com/a", base_url=DASHSCOPE)


def test_public_urls_pass():
    check_reachable("https://example.com/a.png", base_url=DASHSCOPE)
    check_reachable("https://b.oss-cn-beijing.aliyuncs.com/a.png", base_url=DASHSCOPE)


def test_loopback_endpoint_allows_loopback_only():
    check_reachable("http://127.0.0.1:9000/b/a.png", base_url=EMULATOR)
    check_reachable("http://localhost:9000/b/a.png", base_url=EMULATOR)
    with pytest.raises(MediaNotFetchableError):
        check_reachable("http://192.168.1.5/a.png", base_url=EMULATOR)
    with pytest.raises(MediaNotFetchableError, match="metadata"):
        check_reachable("http://169.254.169.254/x", base_url=EMULATOR)


def test_private_endpoint_allows_its_own_network():
    check_reachable("http://10.9.9.9/a.png", base_url=VLLM_LAN)
    check_reachable("http://fileserver/a.png", base_url=VLLM_LAN)
    with pytest.raises(MediaNotFetchableError):
        check_reachable("http://192.168.1.5/a.png", base_url=VLLM_LAN)
    with pytest.raises(MediaNotFetchableError):
        check_reachable("http://127.0.0.1/a.png", base_url=VLLM_LAN)
    with pytest.raises(MediaNotFetchableError):
        check_reachable("http://100.100.100.200/a", base_url=VLLM_LAN)


def test_allow_hosts_is_explicit():
    allow = ["media.corp", ".lan", "192.168.7.0/24"]
    check_reachable("http://media.corp/a.png", base_url=DASHSCOPE, allow_hosts=allow)
    check_reachable("http://nas.lan/a.png", base_url=DASHSCOPE, allow_hosts=allow)
    check_reachable("http://192.168.7.20/a.png", base_url=DASHSCOPE, allow_hosts=allow)
    with pytest.raises(MediaNotFetchableError):
        check_reachable("http://192.168.8.20/a.png", base_url=DASHSCOPE, allow_hosts=allow)


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("https://a/b", "https"),
        ("HTTP://a/b", "http"),
        ("data:;base64,AA", "data"),
        ("oss://dashscope-instant/x", "oss"),
    ],
)
def test_schemes(url, scheme):
    assert check_scheme(url, label="x") == scheme


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://a/b", "/tmp/a.png", "s3://b/k"])
def test_other_schemes_refused(url):
    with pytest.raises(UnsupportedMediaError):
        check_scheme(url, label=url)


def _v4_date(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def test_parse_v1():
    signed = parse_signed_url(
        "https://b.oss-cn-x.aliyuncs.com/k?OSSAccessKeyId=a&Expires=1700000000&Signature=s%2B"
    )
    assert signed is not None
    assert signed.version == "oss-v1"
    assert signed.expires_at == 1700000000


def test_parse_v4():
    start = int(time.time())
    url = (
        "https://b.oss-cn-x.aliyuncs.com/k?x-oss-signature-version=OSS4-HMAC-SHA256"
        f"&x-oss-date={_v4_date(start)}&x-oss-expires=600&x-oss-credential=a%2F20250101%2Fcn-x%2Foss%2Faliyun_v4_request"
        "&x-oss-signature=abc"
    )
    signed = parse_signed_url(url)
    assert signed is not None
    assert signed.version == "oss-v4"
    assert signed.expires_at == start + 600
    assert 590 < signed.remaining() <= 600


def test_parse_v2_and_s3():
    assert (
        parse_signed_url(
            "https://h/k?x-oss-signature-version=OSS2&x-oss-expires=1700000000&x-oss-signature=s"
        ).expires_at
        == 1700000000
    )
    s3 = parse_signed_url(
        f"https://h/k?X-Amz-Date={_v4_date(1700000000)}&X-Amz-Expires=60&X-Amz-Signature=s"
    )
    assert s3 is not None
    assert s3.version == "s3-v4"
    assert s3.expires_at == 1700000060


def test_unsigned_and_garbled():
    assert parse_signed_url("https://h/k") is None
    assert parse_signed_url("https://h/k?width=100") is None
    garbled = parse_signed_url("https://h/k?OSSAccessKeyId=a&Expires=soon&Signature=s")
    assert garbled is not None
    assert garbled.expires_at == 0.0


def test_is_oss_host():
    assert is_oss_host("bkt.oss-cn-beijing.aliyuncs.com")
    assert is_oss_host("bkt.cn-beijing.oss.aliyuncs.com")
    assert not is_oss_host("dashscope.aliyuncs.com")
    assert not is_oss_host("example.com")


def test_redact_url():
    assert redact_url("https://h/k.wav?Signature=secret#x") == "https://h/k.wav"
