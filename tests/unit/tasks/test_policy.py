"""The access policy against hostile agent arguments (no sockets: DNS is a fake resolver)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest

from qwen_omni.errors import MediaAccessDenied
from qwen_omni.tasks.policy import (
    AccessPolicy,
    AccessRefused,
    classify_address,
    parse_ip_literal,
)

PUBLIC_IP = "93.184.216.34"

#: name -> addresses, as a rebinding or hostile DNS would answer
FAKE_DNS = {
    "cdn.example.com": [PUBLIC_IP],
    "evil.example.com": ["127.0.0.1"],
    "meta.example.com": ["169.254.169.254"],
    "aliyun-meta.example.com": ["100.100.100.200"],
    "mixed.example.com": [PUBLIC_IP, "10.1.2.3"],
    "v6.example.com": ["::1"],
    "mapped.example.com": ["::ffff:192.168.0.10"],
    "internal.example.com": ["172.20.0.5"],
}


def fake_resolver(host: str) -> list[str]:
    if host in FAKE_DNS:
        return FAKE_DNS[host]
    raise OSError(f"[Errno -2] Name or service not known: {host}")


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    (root / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    (root / "sub").mkdir()
    (root / "sub" / "call.mp3").write_bytes(b"ID3" + b"\x00" * 64)
    (root / ".hidden.mp4").write_bytes(b"x")
    (root / ".config").mkdir()
    (root / ".config" / "clip.mp4").write_bytes(b"x")
    (root / ".env").write_text("DASHSCOPE_API_KEY=sk-secret")
    (root / "keys").mkdir()
    (root / "keys" / "server.pem").write_text("-----BEGIN PRIVATE KEY-----")
    (root / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----")
    (root / "big.mp4").write_bytes(b"\x00" * 4096)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.mp4").write_bytes(b"secret")
    (root / "link_out.mp4").symlink_to(outside / "secret.mp4")
    (root / "link_dir").symlink_to(outside, target_is_directory=True)
    (root / "link_dev").symlink_to("/dev/zero")
    (root / "link_in.mp4").symlink_to(root / "clip.mp4")
    os.mkfifo(root / "fifo.mp4")
    return root


@pytest.fixture
def policy(media_root: Path) -> AccessPolicy:
    return AccessPolicy(roots=(media_root,), max_bytes=1024, resolver=fake_resolver)


# (hostile argument, expected reason) — what an injected prompt might make an agent pass.
HOSTILE_PATHS = [
    ("/etc/passwd", "outside_roots"),
    ("../../etc/passwd", "outside_roots"),
    ("sub/../../outside/secret.mp4", "outside_roots"),
    ("/root/.ssh/id_rsa", "outside_roots"),
    ("~/.ssh/id_rsa", "outside_roots"),
    ("~root/.bashrc", "outside_roots"),
    ("file:///etc/passwd", "outside_roots"),
    ("file://evil.com/share/clip.mp4", "invalid"),
    ("link_out.mp4", "symlink_escape"),
    ("link_dir/secret.mp4", "symlink_escape"),
    ("link_dev", "symlink_escape"),
    (".hidden.mp4", "hidden"),
    (".config/clip.mp4", "hidden"),
    ("sub/../.hidden.mp4", "hidden"),
    (".env", "credential_file"),
    ("keys/server.pem", "credential_file"),
    ("id_rsa", "credential_file"),
    ("fifo.mp4", "not_regular_file"),
    ("sub", "not_regular_file"),
    (".", "not_regular_file"),
    ("big.mp4", "too_large"),
    ("missing.mp4", "not_found"),
    ("clip.mp4\x00.txt", "invalid"),
    ("", "invalid"),
    ("   ", "invalid"),
]

HOSTILE_URLS = [
    ("http://127.0.0.1/x.mp4", "private_address"),
    ("http://127.0.0.1:8080/admin", "private_address"),
    ("http://localhost/x.mp4", "private_address"),
    ("https://LOCALHOST./x.mp4", "private_address"),
    ("http://sub.localhost/x.mp4", "private_address"),
    ("http://[::1]/x.mp4", "private_address"),
    ("http://0.0.0.0/x.mp4", "private_address"),
    ("http://169.254.169.254/latest/meta-data/iam/", "private_address"),
    ("http://100.100.100.200/latest/meta-data/", "private_address"),
    ("http://[fd00:ec2::254]/latest/", "private_address"),
    ("http://metadata.google.internal/computeMetadata/v1/", "private_address"),
    ("http://metadata/computeMetadata/v1/", "private_address"),
    ("http://10.0.0.5/x.mp4", "private_address"),
    ("http://172.16.3.4/x.mp4", "private_address"),
    ("http://192.168.1.1/x.mp4", "private_address"),
    ("http://100.64.0.1/x.mp4", "private_address"),
    ("http://198.18.0.1/x.mp4", "private_address"),
    ("http://224.0.0.1/x.mp4", "private_address"),
    ("http://[fe80::1]/x.mp4", "private_address"),
    ("http://[fc00::1]/x.mp4", "private_address"),
    ("http://2130706433/x.mp4", "private_address"),
    ("http://0x7f000001/x.mp4", "private_address"),
    ("http://0177.0.0.1/x.mp4", "private_address"),
    ("http://127.1/x.mp4", "private_address"),
    ("http://0xa9.0xfe.0xa9.0xfe/", "private_address"),
    ("http://[::ffff:127.0.0.1]/x.mp4", "private_address"),
    ("http://[::ffff:169.254.169.254]/", "private_address"),
    ("http://[2002:7f00:1::]/x.mp4", "private_address"),
    ("http://[64:ff9b::a9fe:a9fe]/", "private_address"),
    ("http://intranet/x.mp4", "private_address"),
    ("http://media.corp/x.mp4", "private_address"),
    ("http://nas.local/x.mp4", "private_address"),
    ("http://evil.example.com/x.mp4", "private_address"),
    ("http://meta.example.com/latest/", "private_address"),
    ("http://aliyun-meta.example.com/latest/", "private_address"),
    ("http://mixed.example.com/x.mp4", "private_address"),
    ("http://v6.example.com/x.mp4", "private_address"),
    ("http://mapped.example.com/x.mp4", "private_address"),
    ("http://nxdomain.example.com/x.mp4", "unresolvable"),
    ("http://user:pass@cdn.example.com/x.mp4", "userinfo"),
    ("http://cdn.example.com@127.0.0.1/x.mp4", "userinfo"),
    ("http://cdn.example.com:99999/x.mp4", "invalid"),
    ("ftp://cdn.example.com/x.mp4", "scheme"),
    ("gopher://127.0.0.1:70/_GET", "scheme"),
    ("dict://127.0.0.1:11211/stats", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("data:video/mp4;base64,AAAAGGZ0eXBtcDQy", "scheme"),
    ("oss://bucket/key.mp4", "scheme"),
    ("jar:http://cdn.example.com/x.jar!/", "scheme"),
]


@pytest.mark.parametrize(("source", "reason"), HOSTILE_PATHS + HOSTILE_URLS)
def test_hostile_argument_is_refused_with_a_reason(policy, source, reason):
    with pytest.raises(AccessRefused) as info:
        policy.check(source)
    assert info.value.reason == reason, str(info.value)
    # a refusal is a MediaAccessDenied (and a PermissionError) with a message an agent can use
    assert isinstance(info.value, MediaAccessDenied)
    assert isinstance(info.value, PermissionError)
    assert len(str(info.value)) > 20


def test_the_hostile_table_is_large():
    assert len(HOSTILE_PATHS) + len(HOSTILE_URLS) >= 70


@pytest.mark.parametrize(
    "source",
    ["clip.mp4", "sub/call.mp3", "./clip.mp4", "sub/../clip.mp4", "link_in.mp4"],
)
def test_files_under_the_root_are_allowed(policy, media_root, source):
    checked = policy.check(source)
    assert checked.kind == "path"
    assert checked.path.is_file()
    assert media_root.resolve() in checked.path.parents


def test_absolute_path_under_the_root_and_file_url(policy, media_root):
    assert policy.check(str(media_root / "clip.mp4")).path == (media_root / "clip.mp4").resolve()
    checked = policy.check((media_root / "sub" / "call.mp3").as_uri())
    assert checked.path.name == "call.mp3"
    assert checked.size == 67


def test_public_url_is_allowed(policy):
    checked = policy.check("https://cdn.example.com/v.mp4?Expires=1&Signature=abc")
    assert checked.kind == "url"
    assert checked.value.endswith("Signature=abc")
    # the label an agent sees carries no signature
    assert "Signature" not in checked.label


def test_default_policy_allows_no_local_file(tmp_path):
    (tmp_path / "clip.mp4").write_bytes(b"x")
    with pytest.raises(AccessRefused) as info:
        AccessPolicy().check(str(tmp_path / "clip.mp4"))
    assert info.value.reason == "local_disabled"
    assert "--root" in str(info.value)


def test_allow_private_hosts_is_explicit_and_narrow(media_root):
    policy = AccessPolicy(
        roots=(media_root,),
        allow_private_hosts=("127.0.0.1", "10.0.0.0/8", "evil.example.com"),
        resolver=fake_resolver,
    )
    assert policy.check("http://127.0.0.1:9000/x.mp4").kind == "url"
    assert policy.check("http://10.9.8.7/x.mp4").kind == "url"
    assert policy.check("http://evil.example.com/x.mp4").kind == "url"
    for still_refused in (
        "http://192.168.1.1/x.mp4",
        "http://localhost/x.mp4",  # a name is not its address: list it if you mean it
        "http://169.254.169.254/",
        "http://internal.example.com/x.mp4",
    ):
        with pytest.raises(AccessRefused):
            policy.check(still_refused)


def test_metadata_needs_an_exact_entry_even_inside_an_allowed_block():
    broad = AccessPolicy(allow_private_hosts=("169.254.0.0/16", "100.64.0.0/10"))
    with pytest.raises(AccessRefused):
        broad.check("http://169.254.169.254/latest/")
    with pytest.raises(AccessRefused):
        broad.check("http://100.100.100.200/latest/")
    assert broad.check("http://169.254.10.10/x").kind == "url"
    exact = AccessPolicy(allow_private_hosts=("169.254.169.254",))
    assert exact.check("http://169.254.169.254/latest/").kind == "url"


def test_allowed_hosts_is_an_allow_list(media_root):
    policy = AccessPolicy(allowed_hosts=(".example.com",), resolver=fake_resolver)
    assert policy.check("https://cdn.example.com/x.mp4").kind == "url"
    with pytest.raises(AccessRefused) as info:
        AccessPolicy(allowed_hosts=("cdn.example.com",), resolver=fake_resolver).check(
            "https://other.example.org/x.mp4"
        )
    assert info.value.reason == "host_not_allowed"
    # the allow-list does not open private addresses
    with pytest.raises(AccessRefused) as info:
        policy.check("http://evil.example.com/x.mp4")
    assert info.value.reason == "private_address"


def test_extra_schemes_are_opt_in():
    policy = AccessPolicy(allowed_schemes=("https", "data"))
    assert policy.check("data:video/mp4;base64,AAAA").kind == "url"
    with pytest.raises(AccessRefused) as info:
        policy.check("http://cdn.example.com/x.mp4")
    assert info.value.reason == "scheme"


def test_redirect_targets_are_checked_again(policy):
    assert policy.check_redirect("https://cdn.example.com/a", "/b.mp4") == (
        "https://cdn.example.com/b.mp4"
    )
    for target in (
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "http://evil.example.com/",
        "//127.0.0.1/x",
    ):
        with pytest.raises(AccessRefused) as info:
            policy.check_redirect("https://cdn.example.com/a", target)
        assert info.value.reason == "redirect"


def test_hidden_files_can_be_allowed_but_credentials_never(media_root):
    policy = AccessPolicy(roots=(media_root,), allow_hidden=True)
    assert policy.check(".config/clip.mp4").kind == "path"
    with pytest.raises(AccessRefused) as info:
        policy.check(".env")
    assert info.value.reason == "credential_file"


def test_several_roots(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (b / "only_in_b.mp4").write_bytes(b"x")
    policy = AccessPolicy(roots=(a, b))
    assert policy.check("only_in_b.mp4").path.parent == b.resolve()
    with pytest.raises(AccessRefused) as info:
        policy.check("nowhere.mp4")
    assert info.value.reason == "not_found"


def test_from_env():
    env = {
        "QWEN_OMNI_TOOL_ROOTS": os.pathsep.join(["/srv/a", "/srv/b"]),
        "QWEN_OMNI_TOOL_MAX_BYTES": "1000",
        "QWEN_OMNI_TOOL_ALLOW_PRIVATE_HOSTS": "127.0.0.1, 10.0.0.0/8",
    }
    policy = AccessPolicy.from_env(env)
    assert policy.roots == (Path("/srv/a"), Path("/srv/b"))
    assert policy.max_bytes == 1000
    assert policy.allow_private_hosts == ("127.0.0.1", "10.0.0.0/8")
    assert AccessPolicy.from_env({}, max_bytes=5).max_bytes == 5
    assert "none (local files are disabled)" in AccessPolicy.from_env({}).describe()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("example.com", None),
        ("1e3", None),
        ("deadbeef", None),
    ],
)
def test_ip_literals_are_read_like_resolvers_do(text, expected):
    addr = parse_ip_literal(text)
    assert (str(addr) if addr else None) == expected


@pytest.mark.parametrize(
    ("addr", "klass"),
    [
        ("8.8.8.8", "public"),
        ("2606:4700::1111", "public"),
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("169.254.1.1", "link_local"),
        ("100.64.1.1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:c0a8:0101::", "private"),
        ("224.0.0.251", "reserved"),
    ],
)
def test_address_classes(addr, klass):
    assert classify_address(ipaddress.ip_address(addr)) == klass


def test_type_errors_are_programmer_errors(policy):
    with pytest.raises(TypeError):
        policy.check(b"clip.mp4")  # type: ignore[arg-type]


def test_data_uris_are_capped_when_allowed():
    policy = AccessPolicy(allowed_schemes=("data",), max_bytes=100)
    assert policy.check("data:image/png;base64," + "A" * 100).kind == "url"
    with pytest.raises(AccessRefused) as info:
        policy.check("data:image/png;base64," + "A" * 400)
    assert info.value.reason == "too_large"
