"""Pure pieces of the decisions made once in the core: data-URI rules, tool media, the context
window (catalog and service), the planning window of unknown models, document ids."""

from __future__ import annotations

import base64

import pytest

from qwen_omni import BadRequestError, RequestValidationError, get_model, image
from qwen_omni.catalog import CONSERVATIVE_CONTEXT_WINDOW, planning_window
from qwen_omni.content import Message, Text
from qwen_omni.data_uri import build, decode, encoded_size, head_bytes, is_base64, mime_of, prefix
from qwen_omni.documents import MediaSegment, clock, source_name
from qwen_omni.errors import is_context_overflow
from qwen_omni.rules import check_request
from qwen_omni.tool_results import lift_tool_media

# --- data URIs (reference §3/§4.1) --------------------------------------------------------------


def test_prefixes_follow_the_reference() -> None:
    assert prefix("image", "image/jpeg") == "data:image/jpeg;base64,"
    assert prefix("image", "webp") == "data:image/webp;base64,"
    assert prefix("image") == "data:image/png;base64,"
    assert prefix("audio", "audio/wav") == "data:;base64,"  # audio/video: empty MIME type
    assert prefix("video") == "data:;base64,"


def test_encoded_size_by_hand() -> None:
    # 10 bytes → ceil(10/3) = 4 groups → 16 base64 chars, after the 13-char head
    assert encoded_size(10, "data:;base64,") == 13 + 16
    assert encoded_size(0, "data:;base64,") == 13
    assert encoded_size(3, "data:image/png;base64,") == len("data:image/png;base64,") + 4
    raw = b"x" * 7_864_320  # 7.5 MiB: exactly 10,485,760 base64 chars, over the cap with a head
    assert encoded_size(len(raw), "data:;base64,") == 10_485_760 + 13


def test_parse_and_decode() -> None:
    payload = base64.b64encode(b"\x89PNG\r\n\x1a\nrest").decode()
    url = build(payload, "image", "image/png")
    assert url.startswith("data:image/png;base64,")
    assert is_base64(url) and mime_of(url) == "image/png"
    assert decode(url) == b"\x89PNG\r\n\x1a\nrest"
    assert head_bytes(url, 8).startswith(b"\x89PNG\r\n\x1a\n")  # whole base64 groups
    assert not is_base64("data:text/plain,hello")
    assert head_bytes("data:text/plain,hello") == b""
    with pytest.raises(ValueError, match="not valid base64"):
        decode("data:;base64,a")


# --- tool media ---------------------------------------------------------------------------------


def test_media_in_tool_results_follows_the_run_of_results(tmp_path) -> None:
    png = image(b"\x89PNG fake")
    messages = [
        Message(role="user", content="go"),
        Message(role="assistant", content=""),
        Message(role="tool", content=(Text(text="shot"), png), tool_call_id="a"),
        Message(role="tool", content="plain", tool_call_id="b"),
        Message(role="assistant", content="done"),
    ]
    out = lift_tool_media(messages)
    assert [(m.role, m.text) for m in out] == [
        ("user", "go"),
        ("assistant", ""),
        ("tool", "shot"),
        ("tool", "plain"),
        ("user", "(media returned by tool call a)"),
        ("assistant", "done"),
    ]
    assert out[4].parts[1] is png
    assert lift_tool_media(out) == out  # idempotent


# --- context window -----------------------------------------------------------------------------


def test_text_over_the_window_is_refused_before_sending() -> None:
    from qwen_omni import RequestParams

    spec = get_model("qwen3-omni-flash")
    limit = spec.max_input(thinking=False)
    fits = Message(role="user", content="abcd" * limit)  # exactly the limit: 4 chars a token
    check_request(spec, [fits], RequestParams())
    over = Message(role="user", content="abcd" * limit + "e")
    with pytest.raises(RequestValidationError) as info:
        check_request(spec, [over], RequestParams())
    assert info.value.rule == "context_window" and info.value.limit == limit
    assert is_context_overflow(info.value)
    unknown = get_model("my-self-hosted-omni")  # the endpoint decides
    check_request(unknown, [over], RequestParams())


def test_the_services_context_overflow_is_recognised() -> None:
    assert is_context_overflow(BadRequestError("Range of input length should be [1, 98304]"))
    assert not is_context_overflow(BadRequestError("Range of max_tokens should be [1, 16384]"))
    assert not is_context_overflow(RequestValidationError("x", rule="max_tokens"))


def test_planning_window() -> None:
    flash = get_model("qwen3-omni-flash")
    assert planning_window(flash) == (flash.context_window, flash.max_input_tokens)
    assert planning_window(get_model("unknown-omni")) == (32_768, 32_768)
    assert get_model("qwen-omni-turbo").context_window == CONSERVATIVE_CONTEXT_WINDOW


# --- documents ----------------------------------------------------------------------------------


def test_document_ids_and_names() -> None:
    seg = MediaSegment(
        source="https://example.com/a/talk.mp4?sig=1",
        kind="video",
        index=1,
        count=3,
        start_s=30.0,
        end_s=60.5,
        description="d",
        model="m",
        mime_type="video/mp4",
    )
    assert seg.doc_id == "https://example.com/a/talk.mp4?sig=1#t=30.000,60.500"
    assert seg.time_range == "0:30–1:00.5"
    assert source_name(seg.source) == "talk.mp4"
    assert source_name("/srv/media/call.wav") == "call.wav"
    assert clock(3725) == "1:02:05"
