"""Catalog facts from the reference (issue 17): qwen3.8-omni-flash's documented limits (and no
borrowed ones), the open-weight Qwen3-Omni ids for plain vLLM, qwen2.5-omni-7b in Singapore."""

from __future__ import annotations

import pytest

from qwen_omni import OmniClient, audio, image
from qwen_omni.catalog import get_model
from qwen_omni.errors import RequestValidationError


def test_qwen38_omni_flash_has_its_documented_limits_and_no_borrowed_ones():
    spec = get_model("qwen3.8-omni-flash")
    # Q38: 1M context, 991,808 / 983,616 input, 131,072 output, text out, tools, web search
    assert (spec.context_window, spec.max_output_tokens) == (1_000_000, 131_072)
    assert spec.max_input(thinking=False) == 991_808
    assert spec.max_input(thinking=True) == 983_616
    assert spec.thinking == "default_on" and not spec.audio_output
    assert spec.tools and spec.web_search
    assert set(spec.regions) == {"beijing", "singapore", "hongkong", "tokyo", "frankfurt", "us"}
    # media limits are not documented for it: none of Qwen3.5-Omni's (1 h video, 3 h audio,
    # 512 videos…) is applied as a rule
    assert spec.video_max_seconds is None and spec.audio_max_seconds is None
    assert spec.max_video_files is None and spec.video_url_max_bytes is None
    assert spec.confirmed and not spec.tokens_confirmed


def test_qwen38_omni_flash_refuses_speech_and_flags_its_estimate():
    client = OmniClient(api_key="k", model="qwen3.8-omni-flash")
    with pytest.raises(RequestValidationError, match="text only"):
        client.estimate("hi", modalities=["text", "audio"], enable_thinking=False)
    est = client.estimate("hello there")
    assert est.cost is None
    assert "UNCONFIRMED" in est.summary() and "no documented prices" in est.summary()


@pytest.mark.parametrize("variant", ["Instruct", "Thinking", "Captioner"])
def test_open_weight_qwen3_omni_on_vllm_answers_in_text_only(variant):
    name = f"Qwen/Qwen3-Omni-30B-A3B-{variant}"
    spec = get_model(name)
    assert spec.known and not spec.audio_output
    client = OmniClient(base_url="http://127.0.0.1:9/v1", dialect="vllm", model=name)
    with pytest.raises(RequestValidationError, match="text only"):
        client.estimate("say hi", modalities=["text", "audio"])


def test_the_captioner_takes_audio_only():
    client = OmniClient(
        base_url="http://127.0.0.1:9/v1", dialect="vllm", model="Qwen/Qwen3-Omni-30B-A3B-Captioner"
    )
    with pytest.raises(RequestValidationError, match="audio only") as info:
        client.estimate([image("https://example.com/a.png")])
    assert info.value.rule == "input_modalities"
    assert client.estimate([audio("https://example.com/a.wav")]).unmeasured


def test_qwen25_omni_7b_singapore_prices():
    # per 1M tokens: text in, audio in, image/video in, text out (text in), text out
    # (multimodal in), audio out — the price page's figures; not in the reference: unconfirmed
    p = get_model("qwen2.5-omni-7b").price("singapore")
    assert p is not None
    assert (
        p.input_text,
        p.input_audio,
        p.input_image_video,
        p.output_text,
        p.output_text_multimodal,
        p.output_audio,
    ) == (0.734, 49.613, 2.055, 2.936, 6.165, 99.153)
    assert not p.confirmed
    # Beijing: the reference's per-1K prices ×1000 (§6.4)
    b = get_model("qwen2.5-omni-7b").price("beijing")
    assert (b.input_text, b.input_audio, b.output_audio) == (0.6, 38.0, 76.0) and b.confirmed
