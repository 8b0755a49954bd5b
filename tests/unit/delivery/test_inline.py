"""The inline store: data URI shapes per modality and the 10,485,760-byte encoded cap."""

import base64

import pytest

from qwen_omni import catalog, content
from qwen_omni.delivery import DeliveryContext, InlineStore, LocalMedia, MediaDelivery
from qwen_omni.delivery.inline import data_uri_prefix, encoded_size
from qwen_omni.errors import MediaTooLargeError, UnsupportedMediaError

from .test_formats import GIF, JPEG, PNG, WAV, WEBP

CTX = DeliveryContext(
    model="qwen3-omni-flash",
    base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
    api_key="sk-test",
    region="beijing",
)


def inline_only() -> MediaDelivery:
    return MediaDelivery("inline", use_env=False)


@pytest.mark.parametrize(
    ("data", "prefix"),
    [
        (PNG, "data:image/png;base64,"),
        (JPEG, "data:image/jpeg;base64,"),
        (WEBP, "data:image/webp;base64,"),
        (GIF, "data:image/gif;base64,"),
    ],
)
def test_image_data_uri_type_from_magic_bytes(data, prefix):
    out = inline_only().deliver(content.image(data), CTX)
    assert out.url.startswith(prefix)
    assert base64.b64decode(out.url[len(prefix) :]) == data
    assert (out.store, out.oss_resolve) == ("inline", False)


def test_image_magic_beats_file_name(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(JPEG)
    assert inline_only().deliver(content.image(path), CTX).url.startswith("data:image/jpeg;")


@pytest.mark.parametrize("make", [content.audio, content.video])
def test_audio_and_video_use_empty_mime(make):
    out = inline_only().deliver(make(WAV), CTX)
    assert out.url == "data:;base64," + base64.b64encode(WAV).decode()


def test_unrecognisable_image_is_refused():
    with pytest.raises(UnsupportedMediaError, match="not a recognizable image"):
        inline_only().deliver(content.image(b"hello world"), CTX)


def test_encoded_size_formula():
    assert encoded_size(0, "data:;base64,") == 13
    assert encoded_size(1, "") == 4
    assert encoded_size(3, "") == 4
    assert encoded_size(4, "") == 8


def test_cap_boundary_is_exact(tmp_path):
    prefix = data_uri_prefix("audio")
    cap = catalog.DATA_URI_MAX_BYTES
    # the largest raw size whose data URI is still <= cap
    raw = (cap - len(prefix)) // 4 * 3
    assert encoded_size(raw, prefix) <= cap < encoded_size(raw + 1, prefix)
    ok = tmp_path / "ok.wav"
    ok.write_bytes(WAV + b"\x00" * (raw - len(WAV)))
    out = inline_only().deliver(content.audio(ok), CTX)
    assert len(out.url) <= cap
    big = tmp_path / "big.wav"
    big.write_bytes(WAV + b"\x00" * (raw + 1 - len(WAV)))
    with pytest.raises(MediaTooLargeError) as info:
        inline_only().deliver(content.audio(big), CTX)
    message = str(info.value)
    assert str(big) in message
    assert f"{encoded_size(raw + 1, prefix):,}" in message
    assert "10,485,760" in message
    assert "OSS" in message
    assert "dashscope_temp" in message
    assert "shrink" in message
    assert info.value.limit == cap


def test_store_checks_size_before_reading(tmp_path):
    class Exploding(LocalMedia):
        def read_bytes(self) -> bytes:  # pragma: no cover - must not be called
            raise AssertionError("read a file that was too big")

    media = Exploding(
        kind="audio", label="x.wav", filename="x.wav", size=20_000_000, path=tmp_path / "x.wav"
    )
    with pytest.raises(MediaTooLargeError):
        InlineStore().put(media)


def test_data_uri_passes_through_when_it_fits():
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    out = inline_only().deliver(content.image(uri), CTX)
    assert (out.url, out.store, out.oss_resolve) == (uri, "inline", False)


def test_oversized_data_uri_is_refused_without_a_store():
    uri = "data:;base64," + "A" * catalog.DATA_URI_MAX_BYTES
    with pytest.raises(MediaTooLargeError, match="10,485,760"):
        MediaDelivery(use_env=False).deliver(
            content.audio(uri),
            CTX.__class__(model="m", base_url="http://127.0.0.1:1/v1", region=None),
        )


def test_data_uri_without_base64_is_refused():
    with pytest.raises(UnsupportedMediaError, match="base64"):
        inline_only().deliver(content.image("data:image/png,%89PNG"), CTX)


def test_custom_inline_cap():
    delivery = MediaDelivery("inline", inline_max_bytes=100, use_env=False)
    with pytest.raises(MediaTooLargeError, match="at most 100 bytes"):
        delivery.deliver(content.image(PNG + b"\x00" * 100), CTX)


async def test_adeliver_inline(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(PNG)
    out = await inline_only().adeliver(content.image(path), CTX)
    assert out.url.startswith("data:image/png;base64,")


def test_repr_hides_payload_and_query():
    out = inline_only().deliver(content.image(PNG), CTX)
    assert base64.b64encode(PNG).decode()[:10] not in repr(out)
