"""Core events → LangChain chunks: merging, spoken replies as WAV, usage, tool calls."""

from __future__ import annotations

import base64
import io
import struct
import wave
from functools import reduce

import pytest
from langchain_core.messages import AIMessageChunk

from langchain_qwen_omni._chunks import (
    ChunkAssembler,
    WavStreamEncoder,
    finalize_audio,
    get_audio,
    usage_to_metadata,
)
from qwen_omni.response import (
    AudioDelta,
    Finish,
    ReasoningDelta,
    Started,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageEvent,
)


def _pcm(samples: int, seed: int = 0) -> bytes:
    return b"".join(struct.pack("<h", (i * 37 + seed) % 30000 - 15000) for i in range(samples))


def _run(events: list, *, blocks: bool) -> list[AIMessageChunk]:
    assembler = ChunkAssembler(model="qwen3-omni-flash", blocks=blocks)
    chunks = [c.message for e in events if (c := assembler.on_event(e)) is not None]
    chunks.append(assembler.last().message)
    return chunks  # type: ignore[return-value]


def _merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    return reduce(lambda a, b: a + b, chunks)


# Odd sizes on purpose: pieces that are neither 3- nor 2-byte aligned.
PIECES = [
    _pcm(1, 1)[:1],
    _pcm(7, 2),
    _pcm(1000, 3)[:1999],
    _pcm(5, 4) + b"\x01",
    _pcm(3, 5) + b"\x02",
]
assert len(b"".join(PIECES)) % 2 == 0  # whole samples in all, odd pieces
PCM = b"".join(PIECES)


def _audio_events() -> list:
    return [
        Started("chatcmpl-9", "qwen3-omni-flash", "req-9"),
        TextDelta("Bon"),
        AudioDelta(PIECES[0], id="audio_1"),
        TextDelta("jour"),
        *[AudioDelta(p) for p in PIECES[1:]],
        Finish("stop"),
        UsageEvent(
            Usage.from_dict(
                {
                    "prompt_tokens": 20,
                    "completion_tokens": 30,
                    "total_tokens": 50,
                    "completion_tokens_details": {"audio_tokens": 25, "text_tokens": 5},
                    "prompt_tokens_details": {"text_tokens": 20},
                }
            )
        ),
    ]


def test_wav_stream_pieces_concatenate_to_the_base64_of_one_file() -> None:
    encoder = WavStreamEncoder()
    pieces = [encoder.feed(p) for p in PIECES] + [encoder.flush()]
    for piece in pieces[:-1]:
        # every piece but the last decodes alone, to whole PCM16 samples
        assert len(base64.b64decode(piece)) % 6 == 0
    wav = base64.b64decode("".join(pieces))
    assert wav[:4] == b"RIFF"
    assert wav[44:] == PCM
    assert encoder.pcm_bytes == len(PCM)


def test_streamed_audio_merges_into_one_playable_wav_block() -> None:
    chunks = _run(_audio_events(), blocks=True)
    merged = _merge(chunks)
    text_blocks = [b for b in merged.content if b["type"] == "text"]
    audio_blocks = [b for b in merged.content if b["type"] == "audio"]
    assert [b["text"] for b in text_blocks] == ["Bonjour"]
    assert len(audio_blocks) == 1
    (block,) = audio_blocks
    assert block["mime_type"] == "audio/wav"  # once, not concatenated
    assert block["id"] == "audio_1"
    assert merged.text == "Bonjour"
    # The merged stream is a streamed WAV (lengths unknown); Python's reader takes it whole.
    raw = base64.b64decode(block["base64"])
    with wave.open(io.BytesIO(raw)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24000, 1, 2)
        assert w.readframes(10**9) == PCM
    # get_audio gives exact lengths.
    exact = get_audio(merged)
    assert exact is not None
    with wave.open(io.BytesIO(exact)) as w:
        assert w.getnframes() == len(PCM) // 2
        assert w.readframes(w.getnframes()) == PCM


def test_each_streamed_audio_piece_is_playable_on_its_own() -> None:
    chunks = _run(_audio_events(), blocks=True)
    pcm = b""
    for chunk in chunks:
        for block in chunk.content:
            if isinstance(block, dict) and block["type"] == "audio":
                pcm += base64.b64decode(block["base64"])
    assert pcm[44:] == PCM


def test_finalize_audio_rewrites_the_header_for_invoke() -> None:
    merged = _merge(_run(_audio_events(), blocks=True))
    from langchain_core.messages import AIMessage

    message = finalize_audio(AIMessage(content=merged.content))
    (block,) = [b for b in message.content if b["type"] == "audio"]
    wav = base64.b64decode(block["base64"])
    assert struct.unpack("<I", wav[40:44])[0] == len(PCM)
    assert struct.unpack("<I", wav[4:8])[0] == 36 + len(PCM)


def test_usage_and_metadata_are_on_the_last_chunk_only() -> None:
    chunks = _run(_audio_events(), blocks=True)
    assert [c.usage_metadata is not None for c in chunks].count(True) == 1
    assert chunks[-1].chunk_position == "last"
    assert all(c.chunk_position is None for c in chunks[:-1])
    merged = _merge(chunks)
    assert merged.usage_metadata == {
        "input_tokens": 20,
        "output_tokens": 30,
        "total_tokens": 50,
        "output_token_details": {"audio": 25},
    }
    assert merged.response_metadata["model_name"] == "qwen3-omni-flash"
    assert merged.response_metadata["finish_reason"] == "stop"
    assert merged.response_metadata["request_id"] == "req-9"
    assert merged.response_metadata["model_provider"] == "qwen_omni"
    assert merged.id == "chatcmpl-9"


def test_text_only_streams_plain_strings() -> None:
    chunks = _run(
        [Started("c", "m", None), TextDelta("Hel"), TextDelta("lo"), Finish("stop")],
        blocks=False,
    )
    assert [c.content for c in chunks] == ["Hel", "lo", ""]
    merged = _merge(chunks)
    assert merged.content == "Hello"
    assert merged.usage_metadata is None  # the service sent no usage
    assert merged.response_metadata["model_name"] == "m"
    assert [b["type"] for b in merged.content_blocks] == ["text"]


def test_tool_call_fragments_merge_into_one_call_even_when_the_name_repeats() -> None:
    chunks = _run(
        [
            Started("c", "m", None),
            ToolCallDelta(0, "call_a", "magic_function", '{"inp'),
            ToolCallDelta(0, "call_a", "magic_function", 'ut": 3}'),
            ToolCallDelta(1, "call_b", "get_weather", '{"location": "杭州"}'),
            Finish("tool_calls"),
        ],
        blocks=False,
    )
    merged = _merge(chunks)
    assert merged.tool_calls == [
        {"name": "magic_function", "args": {"input": 3}, "id": "call_a", "type": "tool_call"},
        {"name": "get_weather", "args": {"location": "杭州"}, "id": "call_b", "type": "tool_call"},
    ]
    assert merged.response_metadata["finish_reason"] == "tool_calls"


def test_reasoning_goes_to_additional_kwargs_and_content_blocks() -> None:
    merged = _merge(
        _run(
            [
                Started("c", "m", None),
                ReasoningDelta("think "),
                ReasoningDelta("hard"),
                TextDelta("42"),
                Finish("stop"),
            ],
            blocks=False,
        )
    )
    assert merged.additional_kwargs["reasoning_content"] == "think hard"
    assert merged.content == "42"
    assert merged.content_blocks[0] == {"type": "reasoning", "reasoning": "think hard"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"prompt_tokens": 207, "completion_tokens": 103, "total_tokens": 310},
            {"input_tokens": 207, "output_tokens": 103, "total_tokens": 310},
        ),
        (
            {
                "prompt_tokens": 500,
                "completion_tokens": 300,
                "total_tokens": 800,
                "prompt_tokens_details": {
                    "text_tokens": 20,
                    "audio_tokens": 80,
                    "video_tokens": 300,
                    "image_tokens": 100,
                    "cached_tokens": 0,
                },
                "completion_tokens_details": {"reasoning_tokens": 195, "text_tokens": 105},
            },
            {
                "input_tokens": 500,
                "output_tokens": 300,
                "total_tokens": 800,
                "input_token_details": {"audio": 80, "cache_read": 0, "image": 100, "video": 300},
                "output_token_details": {"reasoning": 195},
            },
        ),
    ],
)
def test_usage_mapping(raw: dict, expected: dict) -> None:
    assert usage_to_metadata(Usage.from_dict(raw)) == expected


def test_get_audio_is_none_without_audio() -> None:
    assert get_audio(AIMessageChunk(content="hi")) is None
