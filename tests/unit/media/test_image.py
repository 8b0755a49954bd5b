"""prepare_image: each step shown on generated pictures, and skipped when not needed."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from qwen_omni.errors import UnsupportedMediaError
from qwen_omni.media import make_image, prepare_image
from qwen_omni.media.image import image_target_size, image_work
from qwen_omni.media.probe import probe_image


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_target_size_keeps_ratio_and_budget():
    assert image_target_size(3840, 2160) == (1280, 720)
    assert image_target_size(1280, 720) == (1280, 720)  # fits: untouched
    assert image_target_size(300, 200) == (300, 200)  # never upscaled
    w, h = image_target_size(4000, 1000)
    assert w * h <= 1280 * 720
    assert w / h == pytest.approx(4.0, rel=0.01)
    # the floor wins over a smaller budget: never below 640×480
    w, h = image_target_size(4000, 3000, max_pixels=100_000)
    assert w * h == pytest.approx(640 * 480, rel=0.01)


def test_4k_photo_is_downscaled_to_720p_jpeg(image_4k):
    result = prepare_image(image_4k)
    assert result.changed
    assert result.data is not None
    img = _open(result.data)
    assert (img.format, img.size) == ("JPEG", (1280, 720))
    assert result.info.width == 1280
    assert result.size_bytes < image_4k.stat().st_size / 5
    assert any("downscale 3840×2160 → 1280×720" in s for s in result.steps)


def test_fitting_image_is_returned_byte_for_byte(tmp_path):
    path = make_image(tmp_path / "ok.jpg", width=800, height=600, format="jpeg")
    result = prepare_image(path)
    assert result.steps == ()
    assert not result.changed
    assert result.path == path
    assert result.read_bytes() == path.read_bytes()
    data = path.read_bytes()
    assert prepare_image(data).data == data


def test_exif_rotation_is_applied(tmp_path):
    # stored 400×300 with orientation 6 (rotate 90° clockwise to view): shown 300×400
    path = make_image(
        tmp_path / "phone.jpg", width=400, height=300, format="jpeg", exif_orientation=6
    )
    result = prepare_image(path)
    img = _open(result.data)
    assert img.size == (300, 400)
    assert img.getexif().get(0x0112, 1) == 1
    # the red marker stored at the top-left ends up at the top-right once turned clockwise
    r, g, b = img.convert("RGB").getpixel((img.width - 5, 5))
    assert r > 200
    assert g < 60
    assert b < 60
    assert result.steps[0] == "rotate (EXIF orientation 6)"


def test_alpha_is_flattened_onto_white(tmp_path):
    path = make_image(tmp_path / "logo.png", width=200, height=200, alpha=True, content="graphic")
    result = prepare_image(path)
    img = _open(result.data)
    assert img.mode == "RGB"
    assert img.getpixel((2, 2)) == (255, 255, 255)  # the transparent border became white
    assert "flatten alpha onto white" in result.steps
    assert not result.info.has_alpha


def test_encoding_follows_content(tmp_path):
    graphic = prepare_image(
        make_image(tmp_path / "chart.bmp", width=300, height=200, format="bmp", content="graphic")
    )
    photo = prepare_image(make_image(tmp_path / "photo.bmp", width=300, height=200, format="bmp"))
    assert graphic.info.format == "png"
    assert photo.info.format == "jpeg"
    assert _open(graphic.data).format == "PNG"
    # a photo that keeps its alpha goes to WebP (TIFF is not sent as-is)
    soft = prepare_image(
        make_image(tmp_path / "soft.tif", width=300, height=200, alpha=True, format="tiff"),
        keep_alpha=True,
    )
    assert soft.info.format == "webp"
    assert _open(soft.data).mode == "RGBA"


def test_forced_format(tmp_path):
    path = make_image(tmp_path / "p.png", width=300, height=200)
    result = prepare_image(path, format="webp")
    assert _open(result.data).format == "WEBP"
    assert image_work(probe_image(path), format="webp") == ["re-encode PNG as WEBP"]


@pytest.mark.parametrize(
    ("width", "height", "match"), [(10, 300, "larger than 10 px"), (2400, 11, "200:1")]
)
def test_unsendable_shapes(tmp_path, width, height, match):
    path = make_image(tmp_path / "bad.png", width=width, height=height)
    with pytest.raises(UnsupportedMediaError, match=match) as info:
        prepare_image(path)
    assert info.value.source == str(path)
