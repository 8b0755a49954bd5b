"""Block conversions (LlamaIndex → core parts) and event assembly (core → ChatResponse)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    CitableBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from llama_index.llms.qwen_omni.utils import (
    ChatStreamAssembler,
    block_to_part,
    force_single_tool_call,
    to_omni_messages,
    tool_calls_from_message,
)
from qwen_omni import content as core
from qwen_omni._stream import ResponseBuilder
from qwen_omni.errors import RequestValidationError
from qwen_omni.response import AudioDelta, Finish, ReasoningDelta, Started, TextDelta, ToolCallDelta

# --- each block, each source ----------------------------------------------------------------


def test_text_block():
    assert block_to_part(TextBlock(text="hi")) == core.Text(text="hi")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://cdn.example.com/cat.png", "https://cdn.example.com/cat.png"),
        ("oss://bucket/cat.png", "oss://bucket/cat.png"),
        ("data:image/png;base64,iVBORw0KGgo=", "data:image/png;base64,iVBORw0KGgo="),
    ],
)
def test_image_url_passes_through(url, expected):
    part = block_to_part(ImageBlock(url=url))
    assert isinstance(part, core.Image)
    assert part.url == expected
    assert part.path is None
    assert part.data is None


def test_image_path_goes_to_core_as_path(media_files):
    part = block_to_part(ImageBlock(path=media_files["image"]))
    assert isinstance(part, core.Image)
    assert part.path == media_files["image"]
    assert part.mime_type == "image/png"


def test_image_bytes_are_raw_not_base64(sx):
    # LlamaIndex stores the bytes base64-encoded; the core must get the original bytes.
    block = ImageBlock(image=sx.PNG)
    assert block.image != sx.PNG
    part = block_to_part(block)
    assert part.data == sx.PNG
    assert part.mime_type == "image/png"


def test_image_from_file_object(sx):
    part = block_to_part(ImageBlock(image=io.BytesIO(sx.PNG)))
    assert part.data == sx.PNG


def test_file_url_becomes_a_local_path(media_files):
    part = block_to_part(ImageBlock(url=media_files["image"].as_uri()))
    assert part.path == media_files["image"]
    assert part.url is None


@pytest.mark.parametrize("source", ["url", "path", "bytes"])
def test_audio_block_each_source(source, media_files, sx):
    if source == "url":
        block = AudioBlock(url="https://cdn.example.com/call.mp3")
    elif source == "path":
        block = AudioBlock(path=media_files["audio"])
    else:
        block = AudioBlock(audio=sx.WAV)
    part = block_to_part(block)
    assert isinstance(part, core.Audio)
    if source == "url":
        assert part.url == "https://cdn.example.com/call.mp3"
        assert part.format == "mp3"
    elif source == "path":
        assert part.path == media_files["audio"]
        assert part.format == "wav"
    else:
        assert part.data == sx.WAV
        assert part.format == "wav"


@pytest.mark.parametrize("source", ["url", "path", "bytes"])
def test_video_block_each_source_keeps_fps(source, media_files, sx):
    if source == "url":
        block = VideoBlock(url="https://cdn.example.com/v.mp4", fps=2)
    elif source == "path":
        block = VideoBlock(path=media_files["video"], fps=2)
    else:
        block = VideoBlock(video=sx.MP4, fps=2)
    part = block_to_part(block)
    assert isinstance(part, core.Video)
    assert part.fps == 2.0
    assert part.mime_type == "video/mp4"
    if source == "url":
        assert part.url == "https://cdn.example.com/v.mp4"
    elif source == "path":
        assert part.path == media_files["video"]
    else:
        assert part.data == sx.MP4


def test_video_without_fps_leaves_it_to_the_service():
    assert block_to_part(VideoBlock(url="https://x.example/v.mp4")).fps is None


def test_empty_media_block_is_a_clear_error():
    with pytest.raises(RequestValidationError, match="empty image block"):
        block_to_part(ImageBlock())


def test_document_block_is_refused_with_the_fix():
    with pytest.raises(RequestValidationError, match="not documents") as info:
        block_to_part(DocumentBlock(data=b"%PDF-1.4 ...", title="report.pdf"))
    assert info.value.rule == "unsupported_block"
    assert "report.pdf" in str(info.value)
    assert "TextBlocks" in str(info.value)


def test_thinking_and_cache_blocks_are_not_sent():
    assert block_to_part(ThinkingBlock(content="hmm")) is None
    assert block_to_part(CachePoint(cache_control=CacheControl(type="ephemeral"))) is None


def test_citable_block_is_flattened():
    msg = ChatMessage(
        role="user",
        blocks=[
            CitableBlock(
                title="t",
                source="s",
                content=[TextBlock(text="cited"), ImageBlock(url="https://x.example/a.png")],
            ),
            TextBlock(text="question"),
        ],
    )
    (out,) = to_omni_messages([msg])
    assert [type(p).__name__ for p in out.parts] == ["Text", "Image", "Text"]


# --- messages -----------------------------------------------------------------------------------


def test_roles_and_text():
    out = to_omni_messages(
        [
            ChatMessage(role="system", content="be brief"),
            ChatMessage(role="developer", content="and kind"),
            ChatMessage(role="user", content="hi"),
            ChatMessage(role="assistant", content="hello"),
        ]
    )
    assert [m.role for m in out] == ["system", "system", "user", "assistant"]
    assert [m.text for m in out] == ["be brief", "and kind", "hi", "hello"]


def test_user_message_keeps_block_order(media_files):
    msg = ChatMessage(
        role="user",
        blocks=[VideoBlock(path=media_files["video"], fps=1), TextBlock(text="what happens?")],
    )
    (out,) = to_omni_messages([msg])
    assert isinstance(out.parts[0], core.Video)
    assert out.parts[0].fps == 1.0
    assert out.parts[1] == core.Text(text="what happens?")


def test_media_outside_user_messages_is_refused():
    with pytest.raises(RequestValidationError, match="only user messages") as info:
        to_omni_messages(
            [ChatMessage(role="system", blocks=[ImageBlock(url="https://x.example/a.png")])]
        )
    assert info.value.rule == "media_in_user_messages_only"


def test_assistant_tool_calls_and_tool_results_round_trip():
    history = [
        ChatMessage(role="user", content="weather?"),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="need the tool"),
                ToolCallBlock(tool_call_id="c1", tool_name="weather", tool_kwargs={"city": "Hz"}),
                ToolCallBlock(tool_call_id="c2", tool_name="time", tool_kwargs='{"tz": "UTC"}'),
            ],
        ),
        ChatMessage(role="tool", content="sunny", additional_kwargs={"tool_call_id": "c1"}),
        ChatMessage(role="tool", content="12:00", additional_kwargs={"tool_call_id": "c2"}),
    ]
    out = to_omni_messages(history)
    assistant = out[1]
    assert assistant.text == ""
    assert [(c.id, c.name, json.loads(c.arguments)) for c in assistant.tool_calls] == [
        ("c1", "weather", {"city": "Hz"}),
        ("c2", "time", {"tz": "UTC"}),
    ]
    assert [(m.role, m.tool_call_id, m.text) for m in out[2:]] == [
        ("tool", "c1", "sunny"),
        ("tool", "c2", "12:00"),
    ]


def test_legacy_openai_tool_calls_in_additional_kwargs():
    msg = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [
                {"id": "x", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ]
        },
    )
    (out,) = to_omni_messages([msg])
    assert out.tool_calls == (core.ToolCall(id="x", name="f", arguments="{}"),)


def test_media_returned_by_a_tool_follows_as_user_messages():
    history = [
        ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c1", tool_name="snap")]),
        ChatMessage(
            role="tool",
            blocks=[TextBlock(text="here"), ImageBlock(url="https://x.example/a.png")],
            additional_kwargs={"tool_call_id": "c1"},
        ),
        ChatMessage(role="user", content="describe it"),
    ]
    out = to_omni_messages(history)
    assert [m.role for m in out] == ["assistant", "tool", "user", "user"]
    assert out[1].text == "here"
    media_msg = out[2]
    assert "c1" in media_msg.parts[0].text
    assert isinstance(media_msg.parts[1], core.Image)


def test_spoken_reply_in_history_keeps_only_its_text(sx):
    msg = ChatMessage(role="assistant", blocks=[TextBlock(text="hi"), AudioBlock(audio=sx.WAV)])
    (out,) = to_omni_messages([msg])
    assert out.content == "hi"


def test_tool_selections_tolerate_partial_json():
    msg = ChatMessage(
        role="assistant",
        blocks=[
            ToolCallBlock(tool_call_id="a", tool_name="f", tool_kwargs='{"x": 1, "y": [1, 2'),
            ToolCallBlock(tool_call_id="b", tool_name="g", tool_kwargs={"z": True}),
            ToolCallBlock(tool_call_id="c", tool_name="h", tool_kwargs=""),
        ],
    )
    calls = tool_calls_from_message(msg)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("a", "f", {"x": 1, "y": [1, 2]}),
        ("b", "g", {"z": True}),
        ("c", "h", {}),
    ]


def test_force_single_tool_call_keeps_the_first():
    from llama_index.core.base.llms.types import ChatResponse

    resp = ChatResponse(
        message=ChatMessage(
            role="assistant",
            blocks=[
                TextBlock(text="t"),
                ToolCallBlock(tool_call_id="1", tool_name="a"),
                ToolCallBlock(tool_call_id="2", tool_name="b"),
            ],
        )
    )
    force_single_tool_call(resp)
    assert [getattr(b, "tool_call_id", None) for b in resp.message.blocks] == [None, "1"]


# --- events → chunks ----------------------------------------------------------------------------


def _assemble(events):
    builder = ResponseBuilder()
    assembler = ChatStreamAssembler(builder.build, builder.partial_tool_calls)
    chunks = []
    for event in events:
        builder.add(event)
        chunk = assembler.on_event(event)
        if chunk is not None:
            chunks.append(chunk)
    chunks.append(assembler.finish())
    return chunks


def test_text_chunks_are_cumulative_with_deltas(sx):
    chunks = _assemble(sx.text("Hel", "lo", "!"))
    assert [c.delta for c in chunks] == ["Hel", "lo", "!", ""]
    assert [c.message.content for c in chunks] == ["Hel", "Hello", "Hello!", "Hello!"]
    final = chunks[-1]
    assert final.raw["usage"]["prompt_tokens"] == 11
    assert final.raw["finish_reason"] == "stop"
    assert final.raw["request_id"] == "req-1"
    assert final.additional_kwargs["completion_tokens"] == 7
    json.dumps(final.raw)  # JSON-friendly for agent events and tracing


def test_tool_call_fragments_become_tool_call_blocks(sx):
    chunks = _assemble(
        sx.tools(("c1", "analyze_video", ['{"video": "a.', 'mp4", "question"', ': "what?"}']))
    )
    partial = chunks[0].message.blocks[-1]
    assert isinstance(partial, ToolCallBlock)
    assert partial.tool_kwargs == '{"video": "a.'  # raw while incomplete
    final = chunks[-1].message.blocks[-1]
    assert final.tool_name == "analyze_video"
    assert final.tool_call_id == "c1"
    assert final.tool_kwargs == {"video": "a.mp4", "question": "what?"}
    # The OpenAI-shaped copy that LlamaIndex's streaming structured output reads.
    assert chunks[-1].message.additional_kwargs["tool_calls"] == [
        {
            "id": "c1",
            "type": "function",
            "function": {
                "name": "analyze_video",
                "arguments": '{"video": "a.mp4", "question": "what?"}',
            },
        }
    ]


def test_reasoning_goes_to_a_thinking_block_and_thinking_delta(sx):
    chunks = _assemble(sx.thinking(["let me ", "see"], "42"))
    assert [c.additional_kwargs.get("thinking_delta") for c in chunks[:2]] == ["let me ", "see"]
    final = chunks[-1].message
    assert isinstance(final.blocks[0], ThinkingBlock)
    assert final.blocks[0].content == "let me see"
    assert final.content == "42"


def test_spoken_reply_arrives_as_audio_block(sx):
    pcm = [b"\x01\x00" * 100, b"\x02\x00" * 50]
    chunks = _assemble(sx.audio("Hi there", pcm))
    deltas = [
        c.additional_kwargs.get("audio_delta")
        for c in chunks
        if "audio_delta" in c.additional_kwargs
    ]
    assert deltas == pcm
    final = chunks[-1].message
    audio = [b for b in final.blocks if isinstance(b, AudioBlock)]
    assert len(audio) == 1
    wav = audio[0].resolve_audio().read()
    assert wav[:4] == b"RIFF"
    assert wav[8:12] == b"WAVE"
    assert wav.endswith(b"".join(pcm))
    assert audio[0].format == "wav"
    assert final.content == "Hi there"
    assert chunks[-1].raw["audio_seconds"] == pytest.approx(300 / 48000)


def test_started_and_finish_add_no_chunks():
    events = [Started("i", "m", None), Finish("stop")]
    chunks = _assemble(events)
    assert len(chunks) == 1
    assert chunks[0].message.content is None


def test_empty_audio_delta_adds_no_chunk():
    builder = ResponseBuilder()
    assembler = ChatStreamAssembler(builder.build, builder.partial_tool_calls)
    assert assembler.on_event(AudioDelta(b"", "x", None)) is None
    assert assembler.on_event(ReasoningDelta("r")) is not None
    assert assembler.on_event(TextDelta("t")).delta == "t"
    assert assembler.on_event(ToolCallDelta(0, "id", "f", "{}")) is not None


def test_paths_reach_the_core_unread(tmp_path: Path):
    # A path that does not exist fails in LlamaIndex's own FilePath validation, before us.
    with pytest.raises(ValueError):
        ImageBlock(path=tmp_path / "missing.png")


@pytest.mark.parametrize("role", ["function", "tool", "chatbot", "model", "developer"])
def test_every_llamaindex_role_has_a_service_role(role):
    msg = ChatMessage(role=role, content="x", additional_kwargs={"tool_call_id": "c"})
    (out,) = to_omni_messages([msg])
    assert out.role == {"function": "tool", "tool": "tool", "developer": "system"}.get(
        role, "assistant"
    )


# --- pixel limits on ImageBlocks (issue 17) ------------------------------------------------------


@pytest.mark.parametrize(
    ("detail", "bounds"),
    [
        (None, {}),
        ("auto", {}),
        ("low", {"max_pixels": 640 * 480}),
        ("high", {"min_pixels": 640 * 480}),
        ("max_pixels=1003520", {"max_pixels": 1003520}),
        ("min_pixels=65536, max_pixels=1003520", {"min_pixels": 65536, "max_pixels": 1003520}),
    ],
)
def test_image_block_detail_carries_pixel_limits(detail, bounds):
    from llama_index.core.base.llms.types import ImageBlock

    from llama_index.llms.qwen_omni.utils import block_to_part

    part = block_to_part(ImageBlock(url="https://example.com/a.png", detail=detail))
    assert {k: getattr(part, k) for k in ("min_pixels", "max_pixels") if getattr(part, k)} == bounds


def test_image_block_detail_refuses_what_it_does_not_understand():
    from llama_index.core.base.llms.types import ImageBlock

    from llama_index.llms.qwen_omni.utils import block_to_part
    from qwen_omni.errors import RequestValidationError

    with pytest.raises(RequestValidationError, match="max_pixels=N"):
        block_to_part(ImageBlock(url="https://example.com/a.png", detail="ultra"))


def test_llm_image_budget_reaches_the_client():
    from llama_index.llms.qwen_omni import QwenOmni

    assert QwenOmni(api_key="k").client.image_budget is True
    assert QwenOmni(api_key="k", image_budget=False).client.image_budget is False
