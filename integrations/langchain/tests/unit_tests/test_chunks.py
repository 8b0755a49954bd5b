"""Core events → LangChain chunks: merging, spoken replies as WAV, usage, tool calls."""

from __future__ import annotations

import base64
import io
import struct
import wave
from functools import reduce

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, message_chunk_to_message
from langchain_core.outputs import ChatGenerationChunk

from langchain_qwen_omni._chunks import (
    CUT_OFF_MARK,
    ChunkAssembler,
    get_audio,
    message_from_response,
    usage_to_metadata,
)
from qwen_omni._stream import ResponseBuilder
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
    """The chunks ChatQwenOmni streams for these core events (the core builder supplies the
    whole tool calls of the last chunk, as OmniStream.tool_calls does)."""
    assembler = ChunkAssembler(model="qwen3-omni-flash", blocks=blocks)
    builder = ResponseBuilder()
    chunks = []
    for event in events:
        builder.add(event)
        if (c := assembler.on_event(event)) is not None:
            chunks.append(c.message)
    chunks.append(assembler.last(builder.tool_calls).message)
    return chunks  # type: ignore[return-value]


def _response(events: list):
    builder = ResponseBuilder()
    for event in events:
        builder.add(event)
    return builder.build()


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


def _audio_blocks(message: AIMessageChunk | AIMessage) -> list[dict]:
    return [b for b in message.content if isinstance(b, dict) and b["type"] == "audio"]


def test_streamed_audio_merges_by_appending_standard_wav_blocks() -> None:
    chunks = _run(_audio_events(), blocks=True)
    merged = _merge(chunks)
    text_blocks = [b for b in merged.content if b["type"] == "text"]
    assert "".join(b["text"] for b in text_blocks) == "Bonjour"
    assert all("index" not in b for b in text_blocks)
    assert merged.text == "Bonjour"
    audio = _audio_blocks(merged)
    # One block per audio chunk: merging appended them, it never concatenated base64.
    assert len(audio) == sum(1 for c in chunks if _audio_blocks(c))
    assert all(b["mime_type"] == "audio/wav" for b in audio)
    assert audio[0]["id"] == "audio_1"
    assert [b["index"] for b in audio] == [f"audio-{n}" for n in range(len(audio))]
    exact = get_audio(merged)
    assert exact is not None
    with wave.open(io.BytesIO(exact)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24000, 1, 2)
        assert w.getnframes() == len(PCM) // 2
        assert w.readframes(w.getnframes()) == PCM
    # The standard view and the final message keep them as audio blocks.
    assert [b["type"] for b in merged.content_blocks].count("audio") == len(audio)
    final = message_chunk_to_message(merged)
    assert get_audio(final) == exact


def test_each_streamed_audio_piece_is_a_wav_file_of_whole_samples() -> None:
    chunks = _run(_audio_events(), blocks=True)
    pcm = b""
    for chunk in chunks:
        for block in _audio_blocks(chunk):
            with wave.open(io.BytesIO(base64.b64decode(block["base64"]))) as w:
                frames = w.readframes(w.getnframes())
                assert len(frames) == w.getnframes() * 2 > 0
                pcm += frames
    assert pcm == PCM


def test_stream_events_v3_keeps_every_audio_piece() -> None:
    from langchain_core.language_models._compat_bridge import chunks_to_events
    from langchain_tests.utils.stream_lifecycle import assert_valid_event_stream

    chunks = _run(_audio_events(), blocks=True)
    events = list(chunks_to_events(iter(ChatGenerationChunk(message=c) for c in chunks)))
    assert_valid_event_stream(events)
    finished = [e["content"] for e in events if e["event"] == "content-block-finish"]
    audio = [b for b in finished if b["type"] == "audio"]
    assert len(audio) == len([c for c in chunks if _audio_blocks(c)])
    assert "".join(b["text"] for b in finished if b["type"] == "text") == "Bonjour"


def test_invoke_message_is_built_from_the_whole_response() -> None:
    message = message_from_response(
        _response(_audio_events()), model="qwen3-omni-flash", blocks=True
    )
    assert isinstance(message, AIMessage)
    (block,) = _audio_blocks(message)
    assert block["mime_type"] == "audio/wav"
    assert block["id"] == "audio_1"
    wav = base64.b64decode(block["base64"])
    assert struct.unpack("<I", wav[40:44])[0] == len(PCM)
    assert struct.unpack("<I", wav[4:8])[0] == 36 + len(PCM)
    assert wav[44:] == PCM
    assert message.text == "Bonjour"
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"] == {"audio": 25}
    assert message.response_metadata["request_id"] == "req-9"
    # The same answer streamed and merged holds the same audio and text.
    merged = _merge(_run(_audio_events(), blocks=True))
    assert get_audio(merged) == get_audio(message) == wav
    assert merged.usage_metadata == message.usage_metadata


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


TOOL_EVENTS = [
    Started("c", "m", None),
    ToolCallDelta(0, "call_a", "magic_function", '{"inp'),
    ToolCallDelta(0, "call_a", "magic_function", 'ut": 3}'),
    ToolCallDelta(1, "call_b", "get_weather", '{"location": "杭州"}'),
    Finish("tool_calls"),
]


def test_tool_call_fragments_merge_into_one_call_even_when_the_name_repeats() -> None:
    chunks = _run(TOOL_EVENTS, blocks=False)
    # Each call is announced as it starts (no arguments yet); the arguments come whole in the
    # last chunk: no growing fragment for LangChain to re-parse at each merge.
    announced = [t for c in chunks[:-1] for t in c.tool_call_chunks]
    assert [(t["name"], t["id"], t["args"]) for t in announced] == [
        ("magic_function", "call_a", ""),
        ("get_weather", "call_b", ""),
    ]
    merged = _merge(chunks)
    expected = [
        {"name": "magic_function", "args": {"input": 3}, "id": "call_a", "type": "tool_call"},
        {"name": "get_weather", "args": {"location": "杭州"}, "id": "call_b", "type": "tool_call"},
    ]
    assert merged.tool_calls == expected
    assert merged.response_metadata["finish_reason"] == "tool_calls"
    invoked = message_from_response(_response(TOOL_EVENTS), model="m", blocks=False)
    assert invoked.tool_calls == expected
    assert invoked.invalid_tool_calls == []


CUT = '{"to":"alice","amount":1000000'


@pytest.mark.parametrize(
    "events",
    [
        # max_tokens reached in the middle of the arguments
        [Started("c", "m", None), ToolCallDelta(0, "t1", "transfer", CUT), Finish("length")],
        # the stream ended mid-arguments (what a caller holding .partial sees)
        [Started("c", "m", None), ToolCallDelta(0, "t1", "transfer", CUT)],
        # complete JSON but not an object
        [Started("c", "m", None), ToolCallDelta(0, "t1", "transfer", "[1, 2]"), Finish("stop")],
    ],
    ids=["length", "ended", "not-an-object"],
)
def test_a_cut_off_tool_call_is_never_callable(events: list) -> None:
    merged = _merge(_run(events, blocks=False))
    assert merged.tool_calls == []
    (bad,) = merged.invalid_tool_calls
    assert bad["name"] == "transfer"
    assert bad["id"] == "t1"
    assert bad["args"] is not None
    assert bad["args"].startswith(CUT_OFF_MARK)
    assert message_chunk_to_message(merged).tool_calls == []  # type: ignore[attr-defined]
    invoked = message_from_response(_response(events), model="m", blocks=False)
    assert invoked.tool_calls == []
    (bad,) = invoked.invalid_tool_calls
    assert bad["args"] == events[1].arguments
    assert bad["error"]  # the core's reason, e.g. "... cut off ... raise max_tokens"


def test_two_calls_sharing_an_index_with_different_ids_stay_two() -> None:
    """A server that numbers parallel calls 0, 0 (ids differ): decoded by the core's own
    StreamDecoder, they stay two calls, never one named get_weatherget_time."""
    from qwen_omni._stream import StreamDecoder

    def chunk(delta: dict | None = None, finish: str | None = None) -> dict:
        choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
        return {"id": "chatcmpl-c", "model": "m", "choices": [choice]}

    def call(call_id: str, name: str, args: str) -> dict:
        fn = {"name": name, "arguments": args}
        return {"tool_calls": [{"index": 0, "id": call_id, "type": "function", "function": fn}]}

    decoder = StreamDecoder()
    events = [
        e
        for c in (
            chunk(call("call_1", "get_weather", '{"city": "Paris"}')),
            chunk(call("call_2", "get_time", '{"tz": "CET"}')),
            chunk(finish="tool_calls"),
        )
        for e in decoder.feed(c)
    ]
    merged = _merge(_run(events, blocks=False))
    assert [(c["name"], c["id"], c["args"]) for c in merged.tool_calls] == [
        ("get_weather", "call_1", {"city": "Paris"}),
        ("get_time", "call_2", {"tz": "CET"}),
    ]
    invoked = message_from_response(_response(events), model="m", blocks=False)
    assert [c["name"] for c in invoked.tool_calls] == ["get_weather", "get_time"]


def _merge_cost(events: list, *, blocks: bool) -> float:
    """CPU seconds to turn ``events`` into chunks and merge them the way LangChain's stream()
    and streaming invoke() do (every chunk in one add_ai_message_chunks call); best of 3."""
    import gc
    import time

    best = float("inf")
    gc.collect()
    gc.disable()  # a collection landing in one run only would be noise, not scaling
    try:
        for _ in range(3):
            t0 = time.process_time()
            chunks = _run(events, blocks=blocks)
            chunks[0] + chunks[1:]
            best = min(best, time.process_time() - t0)
            del chunks
    finally:
        gc.enable()
    return max(best, 1e-4)


def test_merging_audio_costs_linear_time_in_its_length() -> None:
    """Scaling smoke test: 10x the audio (10x the 0.1 s chunks) must cost < 20x to merge (it
    was quadratic: the growing base64 string was copied at every merge)."""
    piece = _pcm(2400)

    def events(n: int) -> list:
        out: list = [Started("c", "m", None)]
        for i in range(n):
            out += [TextDelta(f"w{i} "), AudioDelta(piece)]
        return [*out, Finish("stop")]

    small, large = _merge_cost(events(100), blocks=True), _merge_cost(events(1000), blocks=True)
    assert large < 20 * small, (small, large)


def test_merging_text_costs_linear_time_in_the_number_of_chunks() -> None:
    """Scaling smoke test: 10x the text deltas must cost < 20x to merge."""

    def events(n: int) -> list:
        return [Started("c", "m", None), *(TextDelta(f"w{i} ") for i in range(n)), Finish("stop")]

    small, large = _merge_cost(events(2000), blocks=False), _merge_cost(events(20000), blocks=False)
    assert large < 20 * small, (small, large)


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
