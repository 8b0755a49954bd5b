"""getPolicy on the model endpoint (§7) and the request log (secrets masked)."""

from __future__ import annotations

import json

import httpx

from qwen_omni_emulator import Emulator

from .conftest import MODEL, http, image_part, raw_stream, user


def _policy(emu: Emulator, key: str | None = None, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key or emu.api_key}"} if key != "" else {}
    return http().get(f"{emu.api_base_url}/uploads", params=params, headers=headers)


def test_get_policy_returns_the_documented_shape(qwen_omni_emulator):
    response = _policy(qwen_omni_emulator, action="getPolicy", model=MODEL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"request_id", "data"}
    data = body["data"]
    assert {
        "policy",
        "signature",
        "upload_dir",
        "upload_host",
        "expire_in_seconds",
        "max_file_size_mb",
        "capacity_limit_mb",
        "oss_access_key_id",
        "x_oss_object_acl",
        "x_oss_forbid_overwrite",
    } <= set(data)
    assert data["expire_in_seconds"] == 300
    assert data["upload_host"].startswith(qwen_omni_emulator.oss_endpoint)
    assert qwen_omni_emulator.requests.last.model == MODEL


def test_get_policy_needs_a_key_and_valid_parameters(qwen_omni_emulator):
    missing = _policy(qwen_omni_emulator, key="", action="getPolicy", model=MODEL)
    assert missing.status_code == 401
    assert missing.json()["code"] == "InvalidApiKey"
    assert missing.json()["message"] == "Invalid API-key provided."
    assert (
        _policy(qwen_omni_emulator, key="wrong", action="getPolicy", model=MODEL).status_code == 401
    )
    assert _policy(qwen_omni_emulator, action="other", model=MODEL).status_code == 400
    assert _policy(qwen_omni_emulator, action="getPolicy").status_code == 400
    unknown = _policy(qwen_omni_emulator, action="getPolicy", model="no-such-model")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "ModelNotFound"


def test_get_policy_rate_limit():
    with Emulator(upload_policy_qps=3) as emu:
        statuses = [_policy(emu, action="getPolicy", model=MODEL).status_code for _ in range(5)]
        other_model = _policy(emu, action="getPolicy", model="qwen3.5-omni-plus").status_code
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    assert other_model == 200


def test_the_log_records_what_arrived_with_the_key_masked(qwen_omni_emulator, png):
    raw_stream(
        qwen_omni_emulator,
        {"messages": [user("look", image_part(png.data_uri("image/png")))]},
        headers={"X-Trace": "t-1"},
    )
    record = qwen_omni_emulator.requests.last
    assert record.method == "POST"
    assert record.path == "/compatible-mode/v1/chat/completions"
    assert record.status == 200
    assert record.model == MODEL
    assert record.header("X-Trace") == "t-1"
    assert record.header("authorization") == "Bearer ***(7 chars)"
    assert record.body["messages"][0]["content"][0] == {"type": "text", "text": "look"}
    # long data URIs are elided in the log; the perceived part keeps their size and hash
    url = record.body["messages"][0]["content"][1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,<")
    assert url.endswith("chars elided>")
    assert record.perceived[0]["size_bytes"] == len(png.data)
    assert record.reply_text.startswith("I am the qwen-omni emulator")
    assert record.elapsed_s is not None
    assert record.elapsed_s > 0


def test_the_key_never_appears_in_the_log():
    secret = "sk-very-secret-key-1234567890"
    with Emulator(api_key=secret) as emu:
        raw_stream(emu, {"messages": [user("hi")]})
        raw_stream(emu, {"messages": [user("hi")]}, headers={"X-Api-Key": secret})
        _policy(emu, action="getPolicy", model=MODEL)
        http().post(
            f"{emu.base_url}/chat/completions",
            json={"model": MODEL, "messages": []},
            headers={"Authorization": f"Bearer {secret}-wrong"},
        )
        dump = json.dumps([vars(r) for r in emu.requests], default=str)
        assert len(emu.requests) == 4
    assert secret not in dump
    assert "very-secret" not in dump


def test_reset_clears_log_script_faults_and_responder(qwen_omni_emulator):
    from qwen_omni_emulator import Fault, Reply

    qwen_omni_emulator.script(Reply.text("a"))
    qwen_omni_emulator.fail_next(Fault.server_error())
    qwen_omni_emulator.responder = lambda request: None
    qwen_omni_emulator.host_media("https://cdn.example.com/x", b"x")
    raw_stream(qwen_omni_emulator, {"messages": [user("hi")]})
    qwen_omni_emulator.reset()
    assert len(qwen_omni_emulator.requests) == 0
    assert qwen_omni_emulator.pending_replies == 0
    assert qwen_omni_emulator.pending_faults == 0
    assert qwen_omni_emulator.responder is None


def test_log_chat_filter(qwen_omni_emulator):
    raw_stream(qwen_omni_emulator, {"messages": [user("hi")]})
    _policy(qwen_omni_emulator, action="getPolicy", model=MODEL)
    assert [r.path for r in qwen_omni_emulator.requests.chat()] == [
        "/compatible-mode/v1/chat/completions"
    ]
    assert len(qwen_omni_emulator.requests) == 2
