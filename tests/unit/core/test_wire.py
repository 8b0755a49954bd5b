"""Request bodies in the exact shapes of reference §3 (dashscope) and the vLLM dialect."""

import pytest

from qwen_omni import Message, RequestParams, RequestValidationError, audio, image, text, video
from qwen_omni._wire import build_body, message_to_wire, part_to_wire
from qwen_omni.content import Audio, Image, Video, VideoFrames

PNG_URI = "data:image/png;base64,iVBORw0KGgo="


def test_image_part_with_pixel_knobs_at_top_level():
    part = Image(url=PNG_URI, min_pixels=640 * 480, max_pixels=1280 * 720)
    assert part_to_wire(part) == {
        "type": "image_url",
        "image_url": {"url": PNG_URI},
        "min_pixels": 307200,
        "max_pixels": 921600,
    }


def test_audio_part_keeps_data_uri_and_format_for_dashscope():
    part = Audio(url="data:;base64,AAAA", format="wav")
    assert part_to_wire(part) == {
        "type": "input_audio",
        "input_audio": {"data": "data:;base64,AAAA", "format": "wav"},
    }


def test_audio_part_is_raw_base64_for_vllm():
    part = Audio(url="data:;base64,AAAA", format="wav")
    assert part_to_wire(part, "vllm") == {
        "type": "input_audio",
        "input_audio": {"data": "AAAA", "format": "wav"},
    }
    url_part = Audio(url="https://example.com/a.mp3", format="mp3")
    assert part_to_wire(url_part, "vllm") == {
        "type": "audio_url",
        "audio_url": {"url": "https://example.com/a.mp3"},
    }


def test_video_file_part_with_fps_and_vllm_mime():
    part = Video(url="data:;base64,AAAA", fps=2.0, max_pixels=655360)
    assert part_to_wire(part) == {
        "type": "video_url",
        "video_url": {"url": "data:;base64,AAAA"},
        "fps": 2.0,
        "max_pixels": 655360,
    }
    assert part_to_wire(part, "vllm") == {
        "type": "video_url",
        "video_url": {"url": "data:video/mp4;base64,AAAA"},
    }


def test_frame_list_video():
    frames = VideoFrames(
        frames=(Image(url="https://x/1.jpg"), Image(url="https://x/2.jpg")), fps=2
    )
    assert part_to_wire(frames) == {
        "type": "video",
        "video": ["https://x/1.jpg", "https://x/2.jpg"],
        "fps": 2,
    }
    with pytest.raises(RequestValidationError, match="vLLM"):
        part_to_wire(frames, "vllm")


def test_undelivered_local_media_never_reaches_the_wire(tmp_path):
    f = tmp_path / "a.png"
    f.write_bytes(b"x")
    with pytest.raises(RequestValidationError, match="not delivered"):
        part_to_wire(image(f))


def test_builders_classify_sources(tmp_path):
    assert image("https://x/a.png").url == "https://x/a.png"
    assert image("oss://dashscope-instant/a.png").url.startswith("oss://")
    assert image(str(tmp_path / "a.png")).path == tmp_path / "a.png"
    assert image(f"file://{tmp_path}/a.png").path == tmp_path / "a.png"
    assert image(b"\x89PNG").data == b"\x89PNG"
    assert video(tmp_path / "v.mp4").path == tmp_path / "v.mp4"
    assert audio("data:;base64,AA").url == "data:;base64,AA"
    with pytest.raises(TypeError):
        image(123)  # type: ignore[arg-type]


def test_messages_roles_and_tool_calls():
    assistant = Message(
        role="assistant",
        content="",
        tool_calls=[{"id": "call_1", "name": "f", "arguments": '{"a": 1}'}],
    )
    assert message_to_wire(assistant) == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
        ],
    }
    tool = Message(role="tool", content="42", tool_call_id="call_1")
    assert message_to_wire(tool) == {"role": "tool", "content": "42", "tool_call_id": "call_1"}
    user = Message(role="user", content=[text("hi")])
    assert message_to_wire(user) == {"role": "user", "content": "hi"}


def test_body_always_streams_with_usage_and_maps_params():
    params = RequestParams(
        modalities=("text", "audio"),
        temperature=0.2,
        top_k=20,
        enable_thinking=False,
        tools=({"type": "function", "function": {"name": "f", "parameters": {}}},),
        tool_choice="auto",
        response_format={"type": "json_object"},
        stop=("END",),
        extra_body={"vl_high_resolution_images": True, "stream": False},
    )
    body = build_body(
        "qwen3-omni-flash", [Message(role="user", content="hi")], params, voice="Cherry"
    )
    assert body["stream"] is True  # extra_body cannot turn streaming off
    assert body["stream_options"] == {"include_usage": True}
    assert body["modalities"] == ["text", "audio"]
    assert body["audio"] == {"voice": "Cherry", "format": "wav"}
    assert body["top_k"] == 20 and body["enable_thinking"] is False
    assert body["stop"] == ["END"]
    assert body["vl_high_resolution_images"] is True
    assert "seed" not in body and "max_tokens" not in body


def test_unknown_parameter_is_rejected():
    with pytest.raises(ValueError, match="temprature"):
        RequestParams(temprature=0.1)  # type: ignore[call-arg]
