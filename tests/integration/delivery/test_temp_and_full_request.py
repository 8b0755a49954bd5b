"""The DashScope temporary upload against the emulator (getPolicy on the model endpoint, form
POST to the OSS server), and full chat requests whose media the emulator fetched: through a
signed OSS URL, and through ``oss://`` with the resolve header."""

from __future__ import annotations

import io
import os

import pytest

from qwen_omni import content
from qwen_omni.delivery import (
    OSS_RESOLVE_HEADER,
    DashScopeTempStore,
    DeliveryContext,
    MediaDelivery,
    OssStore,
)
from qwen_omni.errors import MediaTooLargeError

pytestmark = pytest.mark.integration

MODEL = "qwen3-omni-flash"


def png_bytes(seed: int = 0) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (64, 48), (seed % 256, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def ctx(emu, **kw) -> DeliveryContext:
    args = {"model": MODEL, "base_url": emu.base_url, "api_key": emu.api_key, "region": None}
    args.update(kw)
    return DeliveryContext(**args)


def uploads_calls(emu) -> int:
    return sum(1 for r in emu.requests if r.path.endswith("/uploads"))


def test_temp_upload_resolves(qwen_omni_emulator, tmp_path):
    path = tmp_path / "cat.png"
    data = png_bytes(1)
    path.write_bytes(data)
    out = MediaDelivery("dashscope_temp", use_env=False).deliver(
        content.image(path), ctx(qwen_omni_emulator)
    )
    assert out.store == "dashscope_temp"
    assert out.oss_resolve
    assert out.url.startswith("oss://dashscope-instant/")
    assert out.url.endswith("/cat.png")
    assert qwen_omni_emulator.oss.resolve_oss_url(out.url, model=MODEL) == data
    with pytest.raises(PermissionError):
        qwen_omni_emulator.oss.resolve_oss_url(out.url, model="qwen3.5-omni-plus")


def test_temp_policy_reuse_and_unique_keys(qwen_omni_emulator, tmp_path):
    temp = DashScopeTempStore()
    delivery = MediaDelivery("dashscope_temp", temp=temp, use_env=False)
    urls = []
    for i in range(2):
        folder = tmp_path / str(i)
        folder.mkdir()
        (folder / "same-name.png").write_bytes(png_bytes(10 + i))
        urls.append(
            delivery.deliver(content.image(folder / "same-name.png"), ctx(qwen_omni_emulator)).url
        )
    assert urls[0] != urls[1]
    assert [qwen_omni_emulator.oss.resolve_oss_url(u, model=MODEL) for u in urls] == [
        png_bytes(10),
        png_bytes(11),
    ]
    assert uploads_calls(qwen_omni_emulator) == 1
    assert temp.policy_requests == 1


def test_temp_policy_expired_on_the_server_is_renewed(qwen_omni_emulator, tmp_path):
    temp = DashScopeTempStore()
    delivery = MediaDelivery("dashscope_temp", temp=temp, use_env=False)
    delivery.deliver(content.image(png_bytes(20)), ctx(qwen_omni_emulator))
    qwen_omni_emulator.oss.time_offset = 301  # the server now sees the cached policy as expired
    try:
        out = delivery.deliver(content.image(png_bytes(21)), ctx(qwen_omni_emulator))
    finally:
        qwen_omni_emulator.oss.time_offset = 0
    assert qwen_omni_emulator.oss.resolve_oss_url(out.url, model=MODEL) == png_bytes(21)
    assert temp.policy_requests == 2


def test_temp_file_size_cap_from_policy(qwen_omni_emulator):
    qwen_omni_emulator.oss.temp_max_file_size_mb = 1
    try:
        with pytest.raises(MediaTooLargeError, match="temporary upload accepts at most 1,048,576"):
            MediaDelivery("dashscope_temp", use_env=False).deliver(
                content.video(os.urandom(1024 * 1024 + 1)), ctx(qwen_omni_emulator)
            )
    finally:
        qwen_omni_emulator.oss.temp_max_file_size_mb = 100


async def test_temp_upload_async(qwen_omni_emulator):
    out = await MediaDelivery("dashscope_temp", use_env=False).adeliver(
        content.image(png_bytes(30)), ctx(qwen_omni_emulator)
    )
    assert qwen_omni_emulator.oss.resolve_oss_url(out.url, model=MODEL) == png_bytes(30)


def test_auto_uses_temp_when_no_oss(qwen_omni_emulator, tmp_path):
    temp = DashScopeTempStore()
    delivery = MediaDelivery(temp=temp, inline_max_bytes=100, use_env=False)
    assert (
        delivery.deliver(content.image(png_bytes(40)), ctx(qwen_omni_emulator)).store
        == "dashscope_temp"
    )


def _chat(emu, url: str, *, kind: str = "image", headers: dict[str, str] | None = None) -> str:
    client = emu.client()
    part = (
        {"type": "image_url", "image_url": {"url": url}}
        if kind == "image"
        else {"type": "video_url", "video_url": {"url": url}}
    )
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": [part, {"type": "text", "text": "What is this?"}]}],
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=headers or {},
    )
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_full_request_media_fetched_through_signed_oss_url(qwen_omni_emulator):
    qwen_omni_emulator.oss.create_bucket("media")
    store = OssStore(
        bucket="media",
        endpoint=qwen_omni_emulator.oss_endpoint,
        region=qwen_omni_emulator.oss.region,
        access_key_id="emu-oss-ak",
        access_key_secret="emu-oss-sk",
    )
    delivery = MediaDelivery("oss", oss=store, use_env=False)
    data = png_bytes(50)
    out = delivery.deliver(content.image(data), ctx(qwen_omni_emulator))
    assert "x-oss-signature=" in out.url
    assert not out.oss_resolve
    key = out.url.split("?", 1)[0].split("/media/", 1)[1]
    qwen_omni_emulator.oss.requests.clear()
    _chat(qwen_omni_emulator, out.url)
    chat = qwen_omni_emulator.requests.chat()[-1]
    assert chat.status == 200
    assert chat.perceived[0]["via"] == "http"
    assert chat.perceived[0]["kind"] == "image"
    fetches = [r for r in qwen_omni_emulator.oss.requests if r.method == "GET" and r.key == key]
    assert len(fetches) == 1
    assert fetches[0].status == 200
    assert fetches[0].auth == "v4-query"


def test_full_request_with_temp_upload_needs_the_header(qwen_omni_emulator):
    out = MediaDelivery("dashscope_temp", use_env=False).deliver(
        content.image(png_bytes(60)), ctx(qwen_omni_emulator)
    )
    name, value = OSS_RESOLVE_HEADER
    _chat(qwen_omni_emulator, out.url, headers={name: value})
    chat = qwen_omni_emulator.requests.chat()[-1]
    assert chat.status == 200
    assert chat.perceived[0]["via"] == "oss"
    import openai

    with pytest.raises(openai.BadRequestError):
        _chat(qwen_omni_emulator, out.url)  # without the header the service cannot read oss:// URLs
