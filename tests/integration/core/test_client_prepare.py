"""Local media preparation in the client: auto shrinks what cannot go inline; always and never."""

import pytest

from qwen_omni import MediaTooLargeError, OmniClient, image, video

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def big_png(tmp_path_factory):
    """A valid 1800×1500 PNG of noise (~8 MB): too large to inline as it is."""
    import numpy as np
    from PIL import Image

    path = tmp_path_factory.mktemp("prep") / "noise.png"
    pixels = np.random.default_rng(3).integers(0, 256, (1500, 1800, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, compress_level=1)
    assert path.stat().st_size * 4 / 3 > 10_485_760
    return path


def client(qwen_omni_emulator, **kw):
    return OmniClient(
        base_url=qwen_omni_emulator.base_url, api_key=qwen_omni_emulator.api_key, **kw
    )


def test_auto_prepares_media_too_large_to_inline(qwen_omni_emulator, big_png):
    with client(qwen_omni_emulator) as c:
        r = c.complete([image(big_png), "What is it?"])
    seen = qwen_omni_emulator.requests.last.perceived[0]
    assert seen["width"] * seen["height"] <= 1280 * 720  # downscaled to the pixel budget
    assert seen["width"] / seen["height"] == pytest.approx(1800 / 1500, rel=0.02)
    assert r.usage.input_image_tokens > 0


def test_never_sends_as_given_and_explains_the_cap(qwen_omni_emulator, big_png):
    with client(qwen_omni_emulator, prepare="never", delivery="inline") as c:
        with pytest.raises(MediaTooLargeError, match="10,485,760"):
            c.complete([image(big_png), "What is it?"])
    assert qwen_omni_emulator.requests.chat() == []


def test_small_media_goes_as_it_is_unless_always(qwen_omni_emulator, tmp_path):
    from qwen_omni.media import make_video

    clip = make_video(tmp_path / "c.mp4", seconds=2, width=320, height=240, fps=24)
    with client(qwen_omni_emulator) as c:
        c.complete([video(clip), "?"])
    assert qwen_omni_emulator.requests.last.perceived[0]["fps"] == pytest.approx(24)
    with client(qwen_omni_emulator, prepare="always") as c:
        c.complete([video(clip), "?"])
    assert qwen_omni_emulator.requests.last.perceived[0]["fps"] in (
        pytest.approx(4),
        pytest.approx(8),
    )


def test_prepare_setting_is_validated():
    from qwen_omni import ConfigurationError

    with pytest.raises(ConfigurationError, match="prepare"):
        OmniClient(api_key="k", prepare="sometimes")
