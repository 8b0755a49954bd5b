"""LangChain messages and content blocks → core messages and parts."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models._utils import _normalize_messages
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_qwen_omni._messages import block_to_part, to_core_message, to_core_messages
from qwen_omni.content import Audio, Image, Text, Video, VideoFrames

B64 = "UklGRiQAAABXQVZF"  # any base64 text: nothing is decoded here


def _user_parts(content: list) -> tuple:
    [message] = to_core_messages(_normalize_messages([HumanMessage(content=content)]))
    assert message.role == "user"
    return message.parts


def test_v1_url_blocks_become_url_parts() -> None:
    parts = _user_parts(
        [
            {"type": "image", "url": "https://example.com/a.png"},
            {"type": "audio", "url": "https://example.com/a.mp3"},
            {"type": "video", "url": "https://example.com/a.mp4"},
            {"type": "text", "text": "describe"},
        ]
    )
    assert [type(p) for p in parts] == [Image, Audio, Video, Text]
    assert [getattr(p, "url", None) for p in parts[:3]] == [
        "https://example.com/a.png",
        "https://example.com/a.mp3",
        "https://example.com/a.mp4",
    ]


def test_v1_base64_blocks_become_data_uris_with_their_mime_type() -> None:
    image, audio = _user_parts(
        [
            {"type": "image", "base64": B64, "mime_type": "image/png"},
            {"type": "audio", "base64": B64, "mime_type": "audio/wav"},
        ]
    )
    assert isinstance(image, Image)
    assert image.url == f"data:image/png;base64,{B64}"
    assert isinstance(audio, Audio)
    # Audio goes in DashScope's documented form; the format travels as the MIME type.
    assert audio.url == f"data:;base64,{B64}"
    assert audio.mime_type == "audio/wav"


def test_local_path_extension_and_file_urls_become_path_parts(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00")
    video, image = _user_parts(
        [
            {"type": "video", "path": str(clip), "extras": {"fps": 1.0}},
            {"type": "image", "url": f"file://{tmp_path}/p.png"},
        ]
    )
    assert isinstance(video, Video)
    assert video.path == clip
    assert video.url is None
    assert video.fps == 1.0
    assert isinstance(image, Image)
    assert image.path == tmp_path / "p.png"


def test_file_blocks_are_routed_by_mime_type_and_documents_are_refused() -> None:
    (video,) = _user_parts(
        [{"type": "file", "url": "https://example.com/v.mp4", "mime_type": "video/mp4"}]
    )
    assert isinstance(video, Video)
    with pytest.raises(ValueError, match="PDFs and documents are not supported"):
        _user_parts([{"type": "file", "base64": B64, "mime_type": "application/pdf"}])


def test_file_id_is_refused_with_the_alternatives() -> None:
    with pytest.raises(ValueError, match="no file store"):
        block_to_part({"type": "image", "file_id": "file-123"})


def test_v0_source_type_blocks() -> None:
    image, audio = (
        block_to_part({"type": "image", "source_type": "url", "url": "https://example.com/a.jpg"}),
        block_to_part(
            {"type": "audio", "source_type": "base64", "data": B64, "mime_type": "audio/mp3"}
        ),
    )
    assert isinstance(image, Image)
    assert image.url == "https://example.com/a.jpg"
    assert isinstance(audio, Audio)
    assert audio.url == f"data:;base64,{B64}"
    assert audio.mime_type == "audio/mp3"
    # And after LangChain's own v0 → v1 normalisation:
    (normalized,) = _user_parts(
        [{"type": "audio", "source_type": "base64", "data": B64, "mime_type": "audio/mp3"}]
    )
    assert isinstance(normalized, Audio)
    assert normalized.url == f"data:;base64,{B64}"
    assert normalized.mime_type == "audio/mp3"


def test_openai_and_dashscope_shapes() -> None:
    image, audio_b64, audio_url, video, frames = _user_parts(
        [
            {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{B64}"}},
            {"type": "input_audio", "input_audio": {"data": B64, "format": "wav"}},
            {
                "type": "input_audio",
                "input_audio": {"data": "https://x.org/a.mp3", "format": "mp3"},
            },
            {"type": "video_url", "video_url": {"url": "https://x.org/v.mp4"}, "fps": 2},
            {"type": "video", "video": ["https://x.org/1.jpg", "https://x.org/2.jpg"], "fps": 1},
        ]
    )
    assert isinstance(image, Image)
    assert image.url == f"data:image/jpeg;base64,{B64}"
    # LangChain turns input_audio into a v1 audio block with the data in "base64", even when
    # it is a URL: the URL must survive as a URL.
    assert isinstance(audio_b64, Audio)
    assert audio_b64.url == f"data:;base64,{B64}"
    assert audio_b64.mime_type == "audio/wav"
    assert isinstance(audio_url, Audio)
    assert audio_url.url == "https://x.org/a.mp3"
    assert isinstance(video, Video)
    assert (video.url, video.fps) == ("https://x.org/v.mp4", 2)
    assert isinstance(frames, VideoFrames)
    assert [f.url for f in frames.frames] == ["https://x.org/1.jpg", "https://x.org/2.jpg"]
    assert frames.fps == 1


def test_raw_input_audio_block_without_normalisation() -> None:
    part = block_to_part({"type": "input_audio", "input_audio": {"data": B64, "format": "mp3"}})
    assert isinstance(part, Audio)
    assert part.url == f"data:;base64,{B64}"
    assert part.format == "mp3"


def test_image_knobs_come_from_extras_or_siblings() -> None:
    a = block_to_part(
        {"type": "image", "url": "https://x.org/a.png", "extras": {"max_pixels": 1000}}
    )
    b = block_to_part(
        {"type": "image_url", "image_url": {"url": "https://x.org/a.png"}, "min_pixels": 9}
    )
    assert isinstance(a, Image)
    assert a.max_pixels == 1000
    assert isinstance(b, Image)
    assert b.min_pixels == 9


def test_unknown_blocks_are_refused_with_the_supported_list() -> None:
    with pytest.raises(ValueError, match="unsupported content block type 'document'"):
        block_to_part({"type": "document", "text": "x"})


def test_conversation_roles_tool_calls_and_names() -> None:
    messages = to_core_messages(
        [
            SystemMessage("be brief"),
            HumanMessage("hi", name="ann"),
            AIMessage(
                [
                    {"type": "text", "text": "let me check"},
                    {"type": "tool_use", "id": "abc", "name": "adder", "input": {"a": 1}},
                ],
                tool_calls=[{"name": "adder", "args": {"a": 1, "b": "二"}, "id": "abc"}],
            ),
            ToolMessage('{"result": 3}', tool_call_id="abc", name="adder"),
            ChatMessage(role="assistant", content="done"),
        ]
    )
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert messages[1].name == "ann"
    ai = messages[2]
    assert ai.text == "let me check"
    (call,) = ai.tool_calls
    assert (call.id, call.name) == ("abc", "adder")
    assert call.parsed_arguments() == {"a": 1, "b": "二"}
    assert '"二"' in call.arguments  # unicode is kept, not escaped
    assert messages[3].tool_call_id == "abc"
    assert messages[3].text == '{"result": 3}'


def test_tool_message_list_content_is_sent_as_text() -> None:
    message = to_core_message(
        ToolMessage(
            [{"type": "text", "text": "ok"}, {"type": "json", "json": {"n": 1}}],
            tool_call_id="t1",
        )
    )
    assert message.role == "tool"
    assert message.text.splitlines()[0] == "ok"
    assert '"n": 1' in message.text


def test_assistant_audio_is_not_sent_back() -> None:
    message = to_core_message(
        AIMessage(
            [
                {"type": "text", "text": "bonjour", "index": 0},
                {"type": "audio", "base64": B64, "mime_type": "audio/wav", "index": 1},
            ]
        )
    )
    assert message.content == "bonjour"
