"""The client end to end with each delivery: OSS signed URLs (deleted after use) and the
DashScope temporary upload (oss:// plus the resolve header), against the emulator."""

import pytest

from qwen_omni import OmniClient, image
from qwen_omni.delivery import MediaDelivery, OssStore

pytestmark = pytest.mark.integration


def png(seed: int) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (96, 64), (seed, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


def test_oss_delivery_signed_url_fetched_then_deleted(qwen_omni_emulator):
    qwen_omni_emulator.oss.create_bucket("media")
    store = OssStore(
        bucket="media",
        endpoint=qwen_omni_emulator.oss_endpoint,
        region=qwen_omni_emulator.oss.region,
        access_key_id="emu-oss-ak",
        access_key_secret="emu-oss-sk",
        delete_after_use=True,
    )
    delivery = MediaDelivery("oss", oss=store, use_env=False)
    with OmniClient(base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key,
                    delivery=delivery) as client:
        r = client.complete([image(png(7)), "What colour is it?"])
    assert r.usage.input_image_tokens > 0
    record = qwen_omni_emulator.requests.last
    sent = record.body["messages"][0]["content"][0]["image_url"]["url"]
    assert "x-oss-signature=" in sent and record.perceived[0]["via"] == "http"
    assert record.header("x-dashscope-ossresourceresolve") is None
    key = sent.split("?", 1)[0].split("/media/", 1)[1]
    assert qwen_omni_emulator.oss.get_object("media", key) is None  # released after the request


def test_temporary_upload_sends_the_resolve_header(qwen_omni_emulator):
    with OmniClient(base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key,
                    delivery="dashscope_temp") as client:
        r = client.complete([image(png(9)), "What is it?"])
    assert r.text
    record = qwen_omni_emulator.requests.last
    sent = record.body["messages"][0]["content"][0]["image_url"]["url"]
    assert sent.startswith("oss://")
    assert record.header("x-dashscope-ossresourceresolve") == "enable"
    assert record.perceived[0]["via"] == "oss"
