"""The form POST upload with a policy (DashScope's temporary upload) and oss:// resolution."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration

MODEL = "qwen3-omni-flash"


def post(policy: dict, key: str, data: bytes, **overrides) -> httpx.Response:
    fields = {
        "OSSAccessKeyId": policy["oss_access_key_id"],
        "Signature": policy["signature"],
        "policy": policy["policy"],
        "key": key,
        "x-oss-object-acl": policy["x_oss_object_acl"],
        "x-oss-forbid-overwrite": policy["x_oss_forbid_overwrite"],
        "success_action_status": "200",
    }
    fields.update(overrides)
    return httpx.post(
        policy["upload_host"], data=fields, files={"file": ("a.wav", data, "audio/wav")}
    )


def test_policy_shape(oss_state, endpoint):
    policy = oss_state.issue_upload_policy(MODEL, api_key="sk-1", upload_host=endpoint)
    assert policy["expire_in_seconds"] == 300
    assert policy["upload_host"] == f"{endpoint}/{oss_state.temp_bucket}"
    assert policy["upload_dir"].startswith("dashscope-instant/")
    for field in (
        "policy",
        "signature",
        "max_file_size_mb",
        "capacity_limit_mb",
        "oss_access_key_id",
        "x_oss_object_acl",
        "x_oss_forbid_overwrite",
    ):
        assert field in policy


def test_upload_and_resolve(oss_state, endpoint):
    policy = oss_state.issue_upload_policy(MODEL, api_key="sk-1", upload_host=endpoint)
    key = policy["upload_dir"] + "/a.wav"
    response = post(policy, key, b"RIFFdata")
    assert response.status_code == 200
    assert response.content == b""
    assert oss_state.resolve_oss_url("oss://" + key, model=MODEL) == b"RIFFdata"
    assert oss_state.resolve_oss_url("oss://" + key, model=MODEL, api_key="sk-1") == b"RIFFdata"
    with pytest.raises(PermissionError):
        oss_state.resolve_oss_url("oss://" + key, model="qwen3.5-omni-plus")
    with pytest.raises(PermissionError):
        oss_state.resolve_oss_url("oss://" + key, model=MODEL, api_key="sk-other")
    with pytest.raises(KeyError):
        oss_state.resolve_oss_url("oss://" + policy["upload_dir"] + "/missing.wav", model=MODEL)
    # temporary files cannot be downloaded, even with the main key
    assert httpx.get(f"{endpoint}/{oss_state.temp_bucket}/{key}").status_code == 403
    oss_state.time_offset = 48 * 3600 + 1
    with pytest.raises(KeyError):
        oss_state.resolve_oss_url("oss://" + key, model=MODEL)


def test_policy_expired(oss_state, endpoint):
    policy = oss_state.issue_upload_policy(MODEL, api_key="sk-1", upload_host=endpoint)
    oss_state.time_offset = 301
    response = post(policy, policy["upload_dir"] + "/late.wav", b"x")
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert "Invalid according to Policy: Policy expired." in response.text


def test_wrong_signature(oss_state, endpoint):
    policy = oss_state.issue_upload_policy(MODEL, api_key="sk-1", upload_host=endpoint)
    response = post(
        policy, policy["upload_dir"] + "/x.wav", b"x", Signature="AAAA" + policy["signature"][4:]
    )
    assert response.status_code == 403
    assert "SignatureDoesNotMatch" in response.text


def test_key_outside_upload_dir(oss_state, endpoint):
    policy = oss_state.issue_upload_policy(MODEL, api_key="sk-1", upload_host=endpoint)
    response = post(policy, "dashscope-instant/elsewhere/x.wav", b"x")
    assert response.status_code == 403
    assert "Policy Condition failed" in response.text


def test_forbid_overwrite(oss_state, endpoint):
    policy = oss_state.issue_upload_policy(MODEL, api_key="sk-1", upload_host=endpoint)
    key = policy["upload_dir"] + "/same.wav"
    assert post(policy, key, b"one").status_code == 200
    response = post(policy, key, b"two")
    assert response.status_code == 409
    assert "FileAlreadyExists" in response.text
    assert oss_state.resolve_oss_url("oss://" + key, model=MODEL) == b"one"


def test_size_limit(oss_state, endpoint):
    oss_state.temp_max_file_size_mb = 1
    try:
        policy = oss_state.issue_upload_policy(MODEL, api_key="sk-1", upload_host=endpoint)
        response = post(policy, policy["upload_dir"] + "/big.wav", b"x" * (1024 * 1024 + 1))
        assert response.status_code == 400
        assert "EntityTooLarge" in response.text
    finally:
        oss_state.temp_max_file_size_mb = 100


def test_main_key_cannot_write_temp_bucket(oss_state, endpoint):
    import oss2

    b = oss2.Bucket(
        oss2.AuthV4("emu-oss-ak", "emu-oss-sk"),
        endpoint,
        oss_state.temp_bucket,
        region="cn-beijing",
    )
    with pytest.raises(oss2.exceptions.AccessDenied):
        b.put_object("dashscope-instant/x/y", b"x")
