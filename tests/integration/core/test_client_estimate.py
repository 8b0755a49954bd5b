"""Costs before spending: OmniClient.estimate measures local media and sends nothing."""

import pytest

from qwen_omni import OmniClient, RequestValidationError, audio, image, video
from qwen_omni.catalog import get_model
from qwen_omni.media import audio_tokens, image_tokens

pytestmark = pytest.mark.integration


def test_estimate_counts_media_like_the_service_and_sends_nothing(qwen_omni_emulator, tmp_path):
    from qwen_omni.media import make_audio, make_image

    pic = make_image(tmp_path / "p.png", width=640, height=480)
    with OmniClient(**qwen_omni_emulator.connection) as client:
        est = client.estimate([image(pic), "What is it?"], max_tokens=200)
        assert qwen_omni_emulator.requests.chat() == []  # nothing sent
        spec = get_model("qwen3-omni-flash")
        assert est.tokens.image == image_tokens(640, 480, spec.tokens)
        assert est.tokens.text > 0 and est.output_tokens == 200
        prices = spec.price("beijing")
        expected = (
            est.tokens.text * prices.input_text
            + est.tokens.image * prices.input_image_video
            + 200 * prices.output_text_multimodal
        ) / 1e6
        assert est.cost.total == pytest.approx(expected)
        # and it agrees with what the service (emulator) then bills for the media
        r = client.complete([image(pic), "What is it?"])
        assert r.usage.input_image_tokens == est.tokens.image

        clip = make_audio(tmp_path / "a.wav", seconds=3)
        spoken = client.estimate([audio(clip), "Summarize"], modalities=["text", "audio"],
                                 output_tokens=50)
        assert spoken.tokens.audio == audio_tokens(3.0, spec.tokens)
        assert spoken.cost.breakdown["output_audio"] > 0
        assert spoken.cost.breakdown["output_text"] == 0  # a spoken reply's text is free


def test_estimate_lists_urls_it_did_not_measure_and_checks_rules():
    client = OmniClient(api_key="k")
    est = client.estimate([video("https://example.com/v.mp4"), "?"])
    assert est.tokens.video == 0 and est.unmeasured == ("https://example.com/v.mp4",)
    assert "not counted" in est.summary()
    with pytest.raises(RequestValidationError):
        client.estimate([video("https://x/a.mp4"), video("https://x/b.mp4"), "?"])
