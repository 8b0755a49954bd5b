"""What the client sends and estimates, checked against numbers derived by hand from the
service's documentation (issue 17): the field guide's image budget, vl_high_resolution_images,
estimates of what is sent (after preparation) with the same checks as complete(), and a
missing key refused before any request."""

from __future__ import annotations

import os

import pytest

from qwen_omni import OmniClient, image, video
from qwen_omni.errors import ConfigurationError, MediaTooLongError, RequestValidationError

pytestmark = pytest.mark.integration


def _noise_png(path, width, height):
    from PIL import Image as PILImage

    PILImage.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(path)
    return path


def _sent_image_part(qwen_omni_emulator):
    body = qwen_omni_emulator.requests.chat()[-1].body
    return next(p for p in body["messages"][0]["content"] if p["type"] == "image_url")


def test_images_go_with_the_field_guide_budget_by_default(qwen_omni_emulator, tmp_path):
    from qwen_omni.media import make_image

    pic = make_image(tmp_path / "hd.jpg", width=1920, height=1080, format="jpeg")
    with OmniClient(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key
    ) as client:
        # 1920×1080 within max 921,600: β = 1.5 → 22·40 patches + 2 = 882 (hand-derived in
        # tests/unit/media/test_tokens_documented.py); without a budget 26·47 + 2 = 1,224
        assert client.estimate([image(pic), "?"]).tokens.image == 882
        client.complete([image(pic), "?"])
        part = _sent_image_part(qwen_omni_emulator)
        assert part["max_pixels"] == 1280 * 720 and part["min_pixels"] == 640 * 480
        # the caller's own bounds win
        client.complete([image(pic, max_pixels=256 * 1024), "?"])
        part = _sent_image_part(qwen_omni_emulator)
        assert part["max_pixels"] == 256 * 1024 and "min_pixels" not in part
    with OmniClient(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key, image_budget=False
    ) as plain:
        assert plain.estimate([image(pic), "?"]).tokens.image == 1_224
        plain.complete([image(pic), "?"])
        assert "max_pixels" not in _sent_image_part(qwen_omni_emulator)


def test_high_resolution_reaches_the_estimate_and_is_refused_where_unsupported(
    qwen_omni_emulator, tmp_path
):
    from qwen_omni.media import make_image

    pic = make_image(tmp_path / "big.jpg", width=4000, height=3000, format="jpeg")
    hires = {"extra_body": {"vl_high_resolution_images": True}}
    with OmniClient(
        base_url=qwen_omni_emulator.base_url,
        api_key=qwen_omni_emulator.api_key,
        model="qwen3.5-omni-plus",
    ) as client:
        # 4000×3000 → 4000×3008 = 125·94 = 11,750 + 2 (the documented cap 16,384·32² is not hit)
        assert client.estimate([image(pic), "?"], **hires).tokens.image == 11_752
        # max_pixels is ignored by the service in that mode, so no budget is sent either
        client.complete([image(pic), "?"], **hires)
        assert "max_pixels" not in _sent_image_part(qwen_omni_emulator)
        # Flash has no such switch: refused before anything is sent, by estimate and complete
        before = len(qwen_omni_emulator.requests.chat())
        for call in (client.estimate, client.complete):
            with pytest.raises(RequestValidationError, match="vl_high_resolution_images") as info:
                call([image(pic), "?"], model="qwen3-omni-flash", **hires)
            assert info.value.rule == "high_resolution_supported"
        assert len(qwen_omni_emulator.requests.chat()) == before


def test_estimate_checks_what_complete_checks(qwen_omni_emulator, tmp_path):
    from qwen_omni.media import make_video

    clip = make_video(tmp_path / "long.mp4", seconds=200, width=64, height=36, fps=2, audio=False)
    with OmniClient(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key
    ) as client:
        # qwen3-omni-flash takes at most 150 s of video (OMNI-35): no price for a refused clip
        with pytest.raises(MediaTooLongError):
            client.estimate([video(clip), "?"])
        with pytest.raises(MediaTooLongError):
            client.complete([video(clip), "?"])


def test_estimate_is_of_what_is_sent_after_preparation(qwen_omni_emulator, tmp_path):
    png = _noise_png(tmp_path / "noise.png", 2400, 2400)  # 17 MB: over the inline cap
    with OmniClient(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key, image_budget=False
    ) as client:
        est = client.estimate([image(png), "?"])
        # sent: prepared to the field guide's 921,600 px → 960×960 → 30·30 + 2 = 902
        assert est.tokens.image == 902
        # as given: 2400×2400 → cap 1,310,720 → β = 2.0963 → 35·35 + 2 = 1,227
        assert est.original is not None and est.original.tokens.image == 1_227
        assert "as given: ~" in est.summary() and "after preparation" in est.summary()
        # nothing to prepare: one estimate, no "original"
        small = _noise_png(tmp_path / "small.png", 320, 240)
        assert client.estimate([image(small), "?"]).original is None


def test_missing_key_is_refused_before_any_request_on_dashscope(monkeypatch):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("QWEN_OMNI_BASE_URL", raising=False)
    for region in ("beijing", "singapore"):
        client = OmniClient(region=region, max_retries=0, timeout=2)
        with pytest.raises(ConfigurationError, match="DASHSCOPE_API_KEY"):
            client.complete("hello")
    workspace = OmniClient(
        base_url="https://ws-1.cn-beijing.maas.aliyuncs.com/compatible-mode/v1", timeout=2
    )
    with pytest.raises(ConfigurationError, match="DASHSCOPE_API_KEY"):
        workspace.complete("hello")
    import asyncio

    from qwen_omni import AsyncOmniClient

    async def ask() -> None:
        async with AsyncOmniClient(region="singapore", timeout=2) as client:
            await client.complete("hello")

    with pytest.raises(ConfigurationError, match="DASHSCOPE_API_KEY"):
        asyncio.run(ask())


def test_missing_key_still_reaches_a_self_hosted_endpoint(qwen_omni_emulator, monkeypatch):
    from qwen_omni.errors import AuthenticationError

    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    # The emulator stands in for a self-hosted server here: the request is sent (and this
    # one answers 401 because it wants a key); no ConfigurationError is raised locally.
    with OmniClient(base_url=qwen_omni_emulator.base_url, max_retries=0) as client:
        with pytest.raises(AuthenticationError):
            client.complete("hello")
