"""One classifier of private addresses (issue 12/13): every spelling, every user agrees."""

from __future__ import annotations

import pytest

from qwen_omni.addresses import classify_address, normalize_host, parse_ip_literal
from qwen_omni.config import resolve_settings
from qwen_omni.delivery.urls import check_reachable, classify_host
from qwen_omni.errors import MediaNotFetchableError
from qwen_omni.tasks.policy import AccessPolicy, AccessRefused

# (host as written in a URL, expected class) — hand-derived from the RFCs named.
HOSTS = [
    ("127.0.0.1", "loopback"),
    ("127.1", "loopback"),  # inet_aton short form
    ("0177.0.0.1", "loopback"),  # octal
    ("0x7f.0.0.1", "loopback"),  # hex
    ("0x7f.1", "loopback"),
    ("2130706433", "loopback"),  # decimal integer
    ("0x7f000001", "loopback"),
    ("017700000001", "loopback"),  # octal integer
    ("0", "loopback"),  # 0.0.0.0
    ("0.0.0.0", "loopback"),
    ("[::1]", "loopback"),
    ("[::]", "loopback"),
    ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped
    ("[::ffff:7f00:1]", "loopback"),
    ("[::127.0.0.1]", "loopback"),  # IPv4-compatible
    ("[2002:7f00:1::]", "loopback"),  # 6to4 of 127.0.0.1
    ("[64:ff9b::7f00:1]", "loopback"),  # NAT64 of 127.0.0.1
    ("169.254.169.254", "metadata"),
    ("0xa9fea9fe", "metadata"),
    ("2852039166", "metadata"),
    ("[::ffff:169.254.169.254]", "metadata"),
    ("[2002:a9fe:a9fe::]", "metadata"),  # 6to4 of the metadata IP
    ("[64:ff9b::a9fe:a9fe]", "metadata"),  # NAT64 of the metadata IP
    ("[2001:0:4136:e378:8000:63bf:5601:5601]", "metadata"),  # Teredo, client 169.254.169.254
    ("100.100.100.200", "metadata"),
    ("[fd00:ec2::254]", "metadata"),
    ("10.0.0.1", "private"),
    ("012.0.0.1", "private"),  # octal 10.0.0.1
    ("192.168.1.1", "private"),
    ("172.16.0.1", "private"),
    ("100.64.0.1", "private"),  # carrier-grade NAT
    ("[::ffff:10.0.0.1]", "private"),
    ("[2002:c0a8:101::1]", "private"),  # 6to4 of 192.168.1.1
    ("[fc00::1]", "private"),
    ("[fe80::1]", "link_local"),
    ("169.254.1.1", "link_local"),
    ("[64:ff9b:1::1]", "reserved"),  # local-use NAT64: never public
    ("224.0.0.1", "reserved"),
    ("240.0.0.1", "private"),  # Python lists 240.0.0.0/4 as private
    ("８.８.８.８", "public"),  # full-width digits: IDNA maps them
    ("１２７．０．０．１", "loopback"),
    ("8.8.8.8", "public"),
    ("[2002:808:808::1]", "public"),  # 6to4 of a public address
    ("[64:ff9b::808:808]", "public"),  # NAT64 of a public address
    ("[2606:4700:4700::1111]", "public"),
]

PRIVATE = [h for h, c in HOSTS if c != "public"]


@pytest.mark.parametrize(("host", "expected"), HOSTS)
def test_classifier(host, expected):
    addr = parse_ip_literal(host)
    assert addr is not None
    assert classify_address(addr) == expected


@pytest.mark.parametrize(("host", "expected"), HOSTS)
def test_client_url_check_agrees(host, expected):
    cls = classify_host(host.strip("[]") if host.startswith("[") else host)
    assert cls == expected
    url = f"http://{host}/a.png"
    if expected == "public":
        check_reachable(url, base_url="https://dashscope.aliyuncs.com/compatible-mode/v1")
    else:
        with pytest.raises(MediaNotFetchableError):
            check_reachable(url, base_url="https://dashscope.aliyuncs.com/compatible-mode/v1")


@pytest.mark.parametrize(("host", "expected"), HOSTS)
def test_agent_policy_agrees(host, expected):
    policy = AccessPolicy(resolve_hosts=False)
    url = f"https://{host}/a.png"
    if expected == "public":
        assert policy.check_url(url) == url
    else:
        with pytest.raises(AccessRefused) as info:
            policy.check_url(url)
        assert info.value.reason == "private_address"


@pytest.mark.parametrize(
    "host", ["127.1", "0177.0.0.1", "0x7f.0.0.1", "2130706433", "[::ffff:127.0.0.1]"]
)
def test_settings_is_local_reads_every_loopback_spelling(host):
    assert resolve_settings(base_url=f"http://{host}:8000/v1", api_key="k").is_local


@pytest.mark.parametrize("host", ["a%2eb", "a b", "a\x00b", "a/b", ""])
def test_hosts_that_are_not_names_are_refused(host):
    with pytest.raises(ValueError):
        normalize_host(host)
