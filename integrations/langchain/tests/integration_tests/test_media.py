"""Media in (every accepted block shape) and speech out, against the emulator.

The emulator really receives, probes and counts each medium, so these tests check what
arrived, not only that a call returned.
"""

from __future__ import annotations

import base64
import hashlib
import io
import wave
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage

from langchain_qwen_omni import ChatQwenOmni, get_audio


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def _perceived(qwen_omni_emulator: Any) -> list[dict[str, Any]]:
    return qwen_omni_emulator.requests.chat()[-1].perceived


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ask(model: ChatQwenOmni, *blocks: dict[str, Any]) -> str:
    message = HumanMessage([*blocks, {"type": "text", "text": "What is this?"}])
    return model.invoke([message]).text


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(lambda m: {"type": "image", "path": str(m["image"])}, id="v1-path"),
        pytest.param(
            lambda m: {"type": "image", "base64": _b64(m["image"]), "mime_type": "image/png"},
            id="v1-base64",
        ),
        pytest.param(
            lambda m: {
                "type": "image_url",
                "image_url": {"url": f"data:image/png;base64,{_b64(m['image'])}"},
            },
            id="openai-image_url",
        ),
        pytest.param(
            lambda m: {
                "type": "image",
                "source_type": "base64",
                "data": _b64(m["image"]),
                "mime_type": "image/png",
            },
            id="v0-base64",
        ),
    ],
)
def test_image_blocks_arrive_intact(
    qwen_omni_emulator: Any, media: dict[str, Path], block: Any
) -> None:
    answer = _ask(ChatQwenOmni(), block(media))
    (seen,) = _perceived(qwen_omni_emulator)
    assert (seen["modality"], seen["format"]) == ("image", "png")
    assert (seen["width"], seen["height"]) == (64, 48)
    assert seen["sha256"] == _sha(media["image"])
    assert "1. image: 64x48 png" in answer


def test_image_url_block_is_fetched_by_the_service(
    qwen_omni_emulator: Any, media: dict[str, Path]
) -> None:
    url = qwen_omni_emulator.host_media(
        "https://cdn.example.com/picture.png", media["image"].read_bytes()
    )
    _ask(ChatQwenOmni(), {"type": "image", "url": url})
    (seen,) = _perceived(qwen_omni_emulator)
    assert seen["via"] == "hosted"
    assert seen["sha256"] == _sha(media["image"])


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(
            lambda m: {"type": "audio", "base64": _b64(m["audio"]), "mime_type": "audio/wav"},
            id="v1-base64",
        ),
        pytest.param(
            lambda m: {
                "type": "input_audio",
                "input_audio": {"data": _b64(m["audio"]), "format": "wav"},
            },
            id="openai-input_audio",
        ),
        pytest.param(lambda m: {"type": "audio", "path": str(m["audio"])}, id="v1-path"),
    ],
)
def test_audio_blocks_arrive_and_are_counted(
    qwen_omni_emulator: Any, media: dict[str, Path], block: Any
) -> None:
    result = ChatQwenOmni().invoke([HumanMessage([block(media), "Transcribe."])])
    (seen,) = _perceived(qwen_omni_emulator)
    assert (seen["modality"], seen["format"]) == ("audio", "wav")
    assert seen["duration_s"] == pytest.approx(2.0, abs=0.05)
    assert seen["sha256"] == _sha(media["audio"])
    assert result.usage_metadata is not None
    assert result.usage_metadata["input_token_details"]["audio"] == seen["tokens"] > 0


def test_local_video_is_delivered_and_its_tokens_reported(
    qwen_omni_emulator: Any, media: dict[str, Path]
) -> None:
    result = ChatQwenOmni().invoke(
        [HumanMessage([{"type": "video", "path": str(media["video"])}, "Describe the clip."])]
    )
    (seen,) = _perceived(qwen_omni_emulator)
    assert seen["modality"] == "video"
    assert seen["duration_s"] == pytest.approx(3.0, abs=0.2)
    assert seen["has_audio"] is True
    usage = result.usage_metadata
    assert usage is not None
    details = usage["input_token_details"]
    assert details["video"] == seen["tokens"] > 0  # type: ignore[typeddict-item]
    # The sound track of a video is billed as audio input.
    assert details["audio"] == seen["audio_tokens"] > 0
    assert usage["input_tokens"] >= details["video"] + details["audio"]  # type: ignore[typeddict-item]
    assert "video: 3.0" in result.text


def test_video_fps_extra_reaches_the_wire(qwen_omni_emulator: Any, media: dict[str, Path]) -> None:
    ChatQwenOmni().invoke(
        [
            HumanMessage(
                [{"type": "video", "path": str(media["video"]), "extras": {"fps": 1.0}}, "?"]
            )
        ]
    )
    body = qwen_omni_emulator.requests.chat()[-1].body
    (part,) = [p for p in body["messages"][0]["content"] if p["type"] == "video_url"]
    assert part["fps"] == 1.0


def test_one_modality_per_message_rule_is_explained_before_sending(
    qwen_omni_emulator: Any, media: dict[str, Path]
) -> None:
    message = HumanMessage(
        [
            {"type": "image", "path": str(media["image"])},
            {"type": "audio", "path": str(media["audio"])},
            "Compare.",
        ]
    )
    with pytest.raises(ValueError, match="ONE other modality"):
        ChatQwenOmni(model="qwen3-omni-flash").invoke([message])
    assert qwen_omni_emulator.requests.chat() == []
    # Qwen3.5-Omni takes any mix.
    ChatQwenOmni(model="qwen3.5-omni-plus").invoke([message])
    assert len(_perceived(qwen_omni_emulator)) == 2


def test_spoken_reply_invoke_is_an_exact_wav(qwen_omni_emulator: Any) -> None:
    result = ChatQwenOmni(modalities=["text", "audio"], voice="Ethan").invoke("Say hello.")
    body = qwen_omni_emulator.requests.chat()[-1].body
    assert body["modalities"] == ["text", "audio"]
    assert body["audio"] == {"voice": "Ethan", "format": "wav"}
    wav = base64.b64decode(next(b for b in result.content if b["type"] == "audio")["base64"])
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (24000, 2, 1)
        frames = w.getnframes()
        assert frames > 2400  # more than 0.1 s
        assert len(w.readframes(frames)) == frames * 2
    assert result.text  # the transcript
    usage = result.usage_metadata
    assert usage is not None
    assert usage["output_token_details"]["audio"] > 0


async def test_spoken_reply_streams_audio_as_it_arrives(qwen_omni_emulator: Any) -> None:
    model = ChatQwenOmni(modalities=["text", "audio"])
    chunks: list[AIMessageChunk] = [c async for c in model.astream("Tell me a short story.")]
    audio_chunks = [
        c for c in chunks if any(isinstance(b, dict) and b["type"] == "audio" for b in c.content)
    ]
    assert len(audio_chunks) > 1
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    wav = get_audio(merged)
    assert wav is not None
    with wave.open(io.BytesIO(wav)) as w:
        assert len(w.readframes(w.getnframes())) == w.getnframes() * 2 > 0
    # The emulator speaks deterministically: invoke assembles the very same WAV.
    final = await model.ainvoke("Tell me a short story.")
    assert merged.text == final.text
    assert get_audio(final) == wav
