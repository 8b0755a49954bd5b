"""Media is really received, probed and counted; fetch failures give the documented errors."""

from __future__ import annotations

import base64
import hashlib
import time

import httpx
import oss2
import pytest

from qwen_omni.catalog import get_model
from qwen_omni.media import tokens as tk
from qwen_omni_emulator import Emulator
from qwen_omni_emulator.bodies import ALGO_PREFIX, MSG

from .conftest import (
    MODEL,
    audio_part,
    error_of,
    image_part,
    raw_stream,
    user,
    video_part,
)

FLASH = get_model(MODEL)
TURBO = get_model("qwen-omni-turbo")


def test_image_data_uri_is_decoded_probed_and_counted(qwen_omni_emulator, png):
    stream = raw_stream(
        qwen_omni_emulator,
        {
            "messages": [user("what is this?", image_part(png.data_uri("image/png")))],
            "stream_options": {"include_usage": True},
        },
    )
    perceived = qwen_omni_emulator.requests.last.perceived
    assert len(perceived) == 1
    part = perceived[0]
    expected = tk.image_tokens(640, 480, FLASH.tokens)
    assert part["modality"] == "image"
    assert part["via"] == "data"
    assert (part["width"], part["height"], part["format"]) == (640, 480, "png")
    assert part["tokens"] == expected
    assert part["size_bytes"] == len(png.data)
    assert stream.usage["prompt_tokens_details"]["image_tokens"] == expected
    assert (
        stream.usage["prompt_tokens"]
        == expected + stream.usage["prompt_tokens_details"]["text_tokens"]
    )
    assert f"1. image: 640x480 png, seen as 640x480, {expected} tokens" in stream.text
    assert "You said: what is this?" in stream.text


def test_image_pixel_knobs_change_the_count(qwen_omni_emulator, png):
    raw_stream(
        qwen_omni_emulator,
        {"messages": [user(image_part(png.data_uri("image/png"), max_pixels=64 * 32 * 32))]},
    )
    part = qwen_omni_emulator.requests.last.perceived[0]
    assert part["tokens"] == tk.image_tokens(640, 480, FLASH.tokens, max_pixels=64 * 32 * 32)
    assert part["tokens"] < tk.image_tokens(640, 480, FLASH.tokens)


def test_turbo_counts_with_28_px_patches(qwen_omni_emulator, png):
    raw_stream(
        qwen_omni_emulator,
        {"model": "qwen-omni-turbo", "messages": [user(image_part(png.data_uri("image/png")))]},
    )
    assert qwen_omni_emulator.requests.last.perceived[0]["tokens"] == tk.image_tokens(
        640, 480, TURBO.tokens
    )


def test_video_file_duration_frames_and_audio_track(qwen_omni_emulator, mp4):
    stream = raw_stream(
        qwen_omni_emulator,
        {
            "messages": [user("describe", video_part(mp4.data_uri()))],
            "stream_options": {"include_usage": True},
        },
    )
    part = qwen_omni_emulator.requests.last.perceived[0]
    assert part["kind"] == "video"
    assert part["format"] == "mp4"
    assert part["duration_s"] == pytest.approx(4.0, abs=0.15)
    assert part["fps"] == pytest.approx(10.0)
    assert (part["width"], part["height"]) == (320, 240)
    assert part["has_audio"] is True
    frames = tk.video_sample_frames(part["duration_s"], FLASH.tokens, total_frames=40)
    assert part["frames"] == frames == 8
    assert part["tokens"] == tk.video_tokens(
        320, 240, part["duration_s"], FLASH.tokens, total_frames=40
    )
    assert part["audio_tokens"] > 0
    details = stream.usage["prompt_tokens_details"]
    # the audio track is billed as audio (§5)
    assert details["video_tokens"] == part["tokens"]
    assert details["audio_tokens"] == part["audio_tokens"]
    assert "audio track: yes, 8 frames sampled" in stream.text


def test_video_without_audio_track(qwen_omni_emulator, mp4_silent):
    stream = raw_stream(
        qwen_omni_emulator,
        {
            "messages": [user(video_part(mp4_silent.data_uri()))],
            "stream_options": {"include_usage": True},
        },
    )
    part = qwen_omni_emulator.requests.last.perceived[0]
    assert part["has_audio"] is False
    assert part["audio_tokens"] == 0
    assert "audio_tokens" not in stream.usage["prompt_tokens_details"]


def test_audio_input(qwen_omni_emulator, wav):
    raw_stream(qwen_omni_emulator, {"messages": [user(audio_part(wav.data_uri()))]})
    part = qwen_omni_emulator.requests.last.perceived[0]
    assert part["modality"] == "audio"
    assert part["format"] == "wav"
    assert part["duration_s"] == pytest.approx(2.0, abs=0.01)
    assert part["tokens"] == tk.audio_tokens(2.0, FLASH.tokens) == 25


def test_image_list_video(qwen_omni_emulator, jpeg_frames):
    frames = [f.data_uri("image/jpeg") for f in jpeg_frames]
    raw_stream(qwen_omni_emulator, {"messages": [user({"type": "video", "video": frames})]})
    part = qwen_omni_emulator.requests.last.perceived[0]
    assert part["kind"] == "frames"
    assert part["frames"] == 4
    assert part["tokens"] == tk.video_frames_tokens(4, 320, 240, FLASH.tokens)


def test_frame_count_outside_the_model_range(qwen_omni_emulator, jpeg_frames):
    # qwen-omni-turbo needs 4–80 frames
    frames = [f.data_uri("image/jpeg") for f in jpeg_frames[:3]]
    status, body = error_of(
        qwen_omni_emulator,
        {"model": "qwen-omni-turbo", "messages": [user({"type": "video", "video": frames})]},
    )
    assert status == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.frames_range(4, 80)


def test_video_longer_than_the_model_allows(qwen_omni_emulator, media_dir):
    from qwen_omni.media.synthetic import make_video

    path = make_video(media_dir / "long.mp4", seconds=41, width=64, height=48, fps=2, audio=False)
    uri = "data:;base64," + base64.b64encode(path.read_bytes()).decode()
    status, body = error_of(
        qwen_omni_emulator, {"model": "qwen-omni-turbo", "messages": [user(video_part(uri))]}
    )
    assert status == 400
    assert body["error"]["message"] == ALGO_PREFIX + (
        "The video modality input does not meet the requirements because: The video file is "
        "too long."
    )
    # the same file is fine for qwen3-omni-flash (150 s)
    assert raw_stream(qwen_omni_emulator, {"messages": [user(video_part(uri))]}).status == 200


def test_image_too_small(qwen_omni_emulator, media_dir):
    from qwen_omni.media.synthetic import make_image

    tiny = make_image(media_dir / "tiny.png", width=10, height=300).read_bytes()
    uri = "data:image/png;base64," + base64.b64encode(tiny).decode()
    status, body = error_of(qwen_omni_emulator, {"messages": [user(image_part(uri))]})
    assert status == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.IMAGE_SHAPE


@pytest.mark.parametrize(
    ("make_part", "message"),
    [
        (lambda u: image_part(u), MSG.IMAGE_DECODE),
        (lambda u: audio_part(u), MSG.AUDIO_FORMAT),
        (lambda u: video_part(u), MSG.MEDIA_FORMAT),
    ],
)
def test_corrupt_media_fails_the_data_inspection(qwen_omni_emulator, make_part, message):
    uri = "data:;base64," + base64.b64encode(b"not a media file at all").decode()
    status, body = error_of(qwen_omni_emulator, {"messages": [user(make_part(uri))]})
    assert status == 400
    assert body["error"]["message"] == ALGO_PREFIX + message


def test_wrong_modality_is_refused(qwen_omni_emulator, wav):
    status, body = error_of(qwen_omni_emulator, {"messages": [user(video_part(wav.data_uri()))]})
    assert status == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.MEDIA_FORMAT


# --- http(s) URLs ------------------------------------------------------------------------------


def test_hosted_media_is_fetched_by_url(qwen_omni_emulator, png):
    url = qwen_omni_emulator.host_media("https://cdn.example.com/cat.png", png.data)
    raw_stream(qwen_omni_emulator, {"messages": [user(image_part(url))]})
    part = qwen_omni_emulator.requests.last.perceived[0]
    assert part["via"] == "hosted"
    assert part["width"] == 640


@pytest.mark.parametrize(
    ("status", "message"),
    [(404, MSG.MEDIA_NOT_FOUND), (403, MSG.MEDIA_FORBIDDEN), (500, MSG.DOWNLOAD_FAILED)],
)
def test_origin_errors(qwen_omni_emulator, png, status, message):
    url = qwen_omni_emulator.host_media("https://cdn.example.com/x.png", png.data, status=status)
    code, body = error_of(qwen_omni_emulator, {"messages": [user(image_part(url))]})
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + message


def test_unknown_public_host_is_never_contacted(qwen_omni_emulator):
    code, body = error_of(
        qwen_omni_emulator, {"messages": [user(image_part("https://unknown.example.org/a.png"))]}
    )
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.DOWNLOAD_FAILED


def test_slow_origin_times_out(png):
    with Emulator(fetch_timeout_s=0.2) as emu:
        url = emu.host_media("https://slow.example.com/a.png", png.data, delay=5)
        started = time.monotonic()
        code, body = error_of(emu, {"messages": [user(image_part(url))]})
        elapsed = time.monotonic() - started
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + (
        "Download the media resource timed out during the data inspection process."
    )
    assert elapsed < 4  # the 5 s origin was abandoned at the 0.2 s timeout


def _signed_bucket(emu: Emulator, name: str = "media") -> oss2.Bucket:
    emu.oss.create_bucket(name)
    auth = oss2.Auth("emu-oss-ak", "emu-oss-sk")
    return oss2.Bucket(auth, emu.oss_endpoint, name)


def test_signed_oss_url_is_fetched_from_the_oss_server(qwen_omni_emulator, png):
    bucket = _signed_bucket(qwen_omni_emulator)
    bucket.put_object("pics/cat.png", png.data)
    url = bucket.sign_url("GET", "pics/cat.png", 60, slash_safe=True)
    raw_stream(qwen_omni_emulator, {"messages": [user(image_part(url))]})
    part = qwen_omni_emulator.requests.last.perceived[0]
    assert part["via"] == "http"
    assert part["sha256"] == hashlib.sha256(png.data).hexdigest()


def test_tampered_or_expired_signed_url_fails_like_the_service(qwen_omni_emulator, png):
    bucket = _signed_bucket(qwen_omni_emulator)
    bucket.put_object("pics/cat.png", png.data)
    url = bucket.sign_url("GET", "pics/cat.png", 60, slash_safe=True)
    tampered = url.replace("Signature=", "Signature=AAAA")
    code, body = error_of(qwen_omni_emulator, {"messages": [user(image_part(tampered))]})
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.MEDIA_FORBIDDEN

    qwen_omni_emulator.oss.time_offset = 3600
    try:
        code, body = error_of(qwen_omni_emulator, {"messages": [user(image_part(url))]})
    finally:
        qwen_omni_emulator.oss.time_offset = 0
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.MEDIA_FORBIDDEN


def test_missing_object_is_not_found(qwen_omni_emulator):
    bucket = _signed_bucket(qwen_omni_emulator)
    url = bucket.sign_url("GET", "nope.png", 60)
    code, body = error_of(qwen_omni_emulator, {"messages": [user(image_part(url))]})
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.MEDIA_NOT_FOUND


def test_real_oss_host_names_are_routed_to_the_oss_server(qwen_omni_emulator, png):
    bucket = _signed_bucket(qwen_omni_emulator, "routed")
    bucket.put_object("cat.png", png.data)
    public = oss2.Bucket(
        oss2.Auth("emu-oss-ak", "emu-oss-sk"), "https://oss-cn-beijing.aliyuncs.com", "routed"
    )
    url = public.sign_url("GET", "cat.png", 60)
    assert url.startswith("https://routed.oss-cn-beijing.aliyuncs.com/")
    qwen_omni_emulator.route_host("routed.oss-cn-beijing.aliyuncs.com")
    raw_stream(qwen_omni_emulator, {"messages": [user(image_part(url))]})
    assert qwen_omni_emulator.requests.last.perceived[0]["via"] == "http"


def test_slow_oss_server_times_out_over_real_sockets(png):
    with Emulator(fetch_timeout_s=0.2, oss_latency_s=0.8) as emu:
        bucket = _signed_bucket(emu)
        emu.oss.put_object("media", "cat.png", png.data)
        url = bucket.sign_url("GET", "cat.png", 60)
        code, body = error_of(emu, {"messages": [user(image_part(url))]})
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.DOWNLOAD_TIMEOUT


def test_url_file_over_the_model_cap_is_too_large(qwen_omni_emulator):
    # qwen-omni-turbo takes audio URLs up to 10 MB
    big = b"\0" * (10 * 1024 * 1024 + 1)
    url = qwen_omni_emulator.host_media("https://cdn.example.com/big.mp3", big)
    code, body = error_of(
        qwen_omni_emulator, {"model": "qwen-omni-turbo", "messages": [user(audio_part(url))]}
    )
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.FILE_TOO_LARGE


# --- DashScope temporary upload (oss://) -------------------------------------------------------


def _upload_temp(emu: Emulator, model: str, name: str, data: bytes) -> str:
    with httpx.Client(trust_env=False, timeout=30) as client:
        policy = client.get(
            f"{emu.api_base_url}/uploads",
            params={"action": "getPolicy", "model": model},
            headers={"Authorization": f"Bearer {emu.api_key}"},
        )
        assert policy.status_code == 200, policy.text
        data_ = policy.json()["data"]
        key = f"{data_['upload_dir']}/{name}"
        form = {
            "OSSAccessKeyId": data_["oss_access_key_id"],
            "Signature": data_["signature"],
            "policy": data_["policy"],
            "key": key,
            "x-oss-object-acl": data_["x_oss_object_acl"],
            "x-oss-forbid-overwrite": data_["x_oss_forbid_overwrite"],
            "success_action_status": "200",
        }
        uploaded = client.post(data_["upload_host"], data=form, files={"file": (name, data)})
        assert uploaded.status_code == 200, uploaded.text
    return f"oss://{key}"


def test_oss_url_resolves_only_with_the_resolve_header(qwen_omni_emulator, png):
    url = _upload_temp(qwen_omni_emulator, MODEL, "cat.png", png.data)
    body = {"messages": [user(image_part(url))]}

    code, error = error_of(qwen_omni_emulator, body)
    assert code == 400
    assert error["error"]["message"] == ALGO_PREFIX + MSG.INVALID_URL

    stream = raw_stream(
        qwen_omni_emulator, body, headers={"X-DashScope-OssResourceResolve": "enable"}
    )
    assert stream.status == 200
    part = qwen_omni_emulator.requests.last.perceived[0]
    assert part["via"] == "oss"
    assert part["width"] == 640


def test_oss_url_is_bound_to_its_model(qwen_omni_emulator, png):
    url = _upload_temp(qwen_omni_emulator, MODEL, "cat.png", png.data)
    code, body = error_of(
        qwen_omni_emulator,
        {"model": "qwen3.5-omni-plus", "messages": [user(image_part(url))]},
        headers={"X-DashScope-OssResourceResolve": "enable"},
    )
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.MEDIA_FORBIDDEN


def test_unknown_oss_url_is_not_found(qwen_omni_emulator):
    code, body = error_of(
        qwen_omni_emulator,
        {"messages": [user(image_part("oss://dashscope-instant/x/y/z.png"))]},
        headers={"X-DashScope-OssResourceResolve": "enable"},
    )
    assert code == 400
    assert body["error"]["message"] == ALGO_PREFIX + MSG.MEDIA_NOT_FOUND


def test_input_longer_than_the_model_accepts(qwen_omni_emulator, png):
    # 14 images upscaled to ~1280 tokens each exceed qwen3-omni-flash's 16,384 input tokens
    # in thinking mode
    uri = png.data_uri("image/png")
    big = 1280 * 32 * 32
    messages = [user("x")] + [user(image_part(uri, min_pixels=big)) for _ in range(14)]
    code, body = error_of(qwen_omni_emulator, {"messages": messages, "enable_thinking": True})
    assert code == 400
    assert body["error"]["message"] == "Range of input length should be [1, 16384]"
