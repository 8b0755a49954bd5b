"""``QwenOmni`` end to end against the emulator: blocks on the wire, streaming, tools, audio."""

from __future__ import annotations

import io
import wave

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    VideoBlock,
)
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from qwen_omni.errors import AuthenticationError, RequestValidationError
from qwen_omni_emulator import Reply, ToolCall

CDN = "https://cdn.example.com"


def _ask(block):
    return [ChatMessage(role="user", blocks=[block, TextBlock(text="What is this?")])]


def _sent_part(qwen_omni_emulator):
    """The media part of the last chat request, as it went over the wire."""
    body = qwen_omni_emulator.requests.chat()[-1].body
    return body["messages"][-1]["content"][0]


def _make_block(kind, source, media, qwen_omni_emulator):
    path = media[kind]
    if source == "path":
        kwargs = {"path": path}
    elif source == "bytes":
        kwargs = {kind: path.read_bytes()}
    else:
        kwargs = {"url": qwen_omni_emulator.host_media(f"{CDN}/{path.name}", path.read_bytes())}
    if kind == "video":
        return VideoBlock(**kwargs, fps=2)
    if kind == "audio":
        return AudioBlock(**kwargs)
    return ImageBlock(**kwargs)


WIRE_TYPE = {"video": "video_url", "audio": "input_audio", "image": "image_url"}
PERCEIVED = {
    "video": "video: 3.00 s mp4 160x120",
    "audio": "audio: 2.00 s wav",
    "image": "image: 64x48 png",
}


@pytest.mark.parametrize("source", ["path", "bytes", "url"])
@pytest.mark.parametrize("kind", ["video", "audio", "image"])
def test_each_block_from_each_source_reaches_the_model(
    kind, source, llm, media, qwen_omni_emulator
):
    block = _make_block(kind, source, media, qwen_omni_emulator)
    answer = llm.chat(_ask(block)).message.content

    # The emulator decoded the medium itself: the answer reports what it perceived.
    assert PERCEIVED[kind] in answer
    part = _sent_part(qwen_omni_emulator)
    assert part["type"] == WIRE_TYPE[kind]
    if source == "url":
        sent_url = (part.get("video_url") or part.get("image_url") or {}).get("url") or part[
            "input_audio"
        ]["data"]
        assert sent_url == f"{CDN}/{media[kind].name}"  # URLs pass through untouched
    if kind == "video":
        assert part["fps"] == 2
    if kind == "audio":
        assert part["input_audio"]["format"] == "wav"


def test_one_modality_rule_refuses_before_sending(llm, media, qwen_omni_emulator):
    mixed = ChatMessage(
        role="user",
        blocks=[
            ImageBlock(path=media["image"]),
            AudioBlock(path=media["audio"]),
            TextBlock(text="?"),
        ],
    )
    with pytest.raises(RequestValidationError, match="ONE other modality"):
        llm.chat([mixed])
    assert qwen_omni_emulator.requests.chat() == []


def test_two_turns_with_different_modalities(llm, media, qwen_omni_emulator):
    history = [
        ChatMessage(role="user", blocks=[ImageBlock(path=media["image"]), TextBlock(text="a?")]),
        ChatMessage(role="assistant", content="An image."),
        ChatMessage(role="user", blocks=[AudioBlock(path=media["audio"]), TextBlock(text="b?")]),
    ]
    answer = llm.chat(history).message.content
    assert "2 media item(s)" in answer
    kinds = [p["kind"] for p in qwen_omni_emulator.requests.chat()[-1].perceived]
    assert kinds == ["image", "audio"]


def test_document_block_is_refused(llm, qwen_omni_emulator):
    with pytest.raises(RequestValidationError, match="not documents"):
        llm.chat([ChatMessage(role="user", blocks=[DocumentBlock(data=b"%PDF-1.4\n")])])
    assert qwen_omni_emulator.requests.chat() == []


def test_wrong_key_is_an_authentication_error(llm_factory):
    with pytest.raises(AuthenticationError):
        llm_factory(api_key="sk-wrong").chat([ChatMessage(role="user", content="hi")])


# --- streaming --------------------------------------------------------------------------------


def test_stream_chat_delivers_the_service_deltas(llm, qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.stream(["Once", " upon", " a", " time"]))
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="story")]))
    assert [c.delta for c in chunks] == ["Once", " upon", " a", " time", ""]
    assert chunks[-2].message.content == "Once upon a time"
    assert chunks[-1].raw["usage"] == qwen_omni_emulator.requests.chat()[-1].usage
    assert qwen_omni_emulator.requests.chat()[-1].body["stream"] is True


async def test_astream_chat_is_truly_streamed(llm, qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.stream(["a", "b", "c"], chunk_delay=0.05))
    gen = await llm.astream_chat([ChatMessage(role="user", content="abc")])
    import time

    arrivals = []
    async for chunk in gen:
        arrivals.append((time.perf_counter(), chunk.delta))
    assert [d for _, d in arrivals] == ["a", "b", "c", ""]
    # The pieces arrived spread over time, not all at once at the end.
    assert arrivals[2][0] - arrivals[0][0] >= 0.08


async def test_async_complete_family(llm, qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("Paris"), Reply.stream(["Pa", "ris"]))
    assert (await llm.acomplete("Capital of France?")).text == "Paris"
    gen = await llm.astream_complete("again")
    assert [c.text async for c in gen] == ["Pa", "Paris", "Paris"]


def test_complete_and_stream_complete(llm, qwen_omni_emulator):
    qwen_omni_emulator.script(Reply.text("Paris"), Reply.stream(["Pa", "ris"]))
    assert llm.complete("Capital of France?").text == "Paris"
    assert [c.delta for c in llm.stream_complete("again")] == ["Pa", "ris", ""]


# --- tools ------------------------------------------------------------------------------------


def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"It is sunny in {city}."


def get_time(city: str) -> str:
    """Get the local time of a city."""
    return f"It is noon in {city}."


def test_the_model_calls_an_offered_tool(llm, qwen_omni_emulator):
    tool = FunctionTool.from_defaults(get_weather)
    resp = llm.chat_with_tools([tool], user_msg="What is the weather in 'Paris'?")
    (call,) = llm.get_tool_calls_from_response(resp)
    assert call.tool_name == "get_weather"
    assert isinstance(call.tool_kwargs["city"], str)
    body = qwen_omni_emulator.requests.chat()[-1].body
    assert body["tools"][0]["function"]["name"] == "get_weather"
    assert body["tool_choice"] == "auto"


def test_tool_required_forces_the_single_tool(llm, qwen_omni_emulator):
    tool = FunctionTool.from_defaults(get_weather)
    resp = llm.chat_with_tools([tool], user_msg="hello there", tool_required=True)
    assert [c.tool_name for c in llm.get_tool_calls_from_response(resp)] == ["get_weather"]
    assert qwen_omni_emulator.requests.chat()[-1].body["tool_choice"] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }


def test_parallel_tool_calls(llm, qwen_omni_emulator):
    qwen_omni_emulator.script(
        Reply.parallel_tool_calls(
            ToolCall.of("get_weather", {"city": "Paris"}, id="c1"),
            ToolCall.of("get_time", {"city": "Rome"}, id="c2"),
        )
    )
    tools = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]
    out = llm.predict_and_call(tools, user_msg="weather and time", allow_parallel_tool_calls=True)
    assert [s.content for s in out.sources] == ["It is sunny in Paris.", "It is noon in Rome."]
    assert qwen_omni_emulator.requests.chat()[-1].body["parallel_tool_calls"] is True


def test_tool_results_go_back_and_the_model_answers(llm, qwen_omni_emulator):
    tool = FunctionTool.from_defaults(get_weather)
    first = llm.chat_with_tools([tool], user_msg="What is the weather in 'Paris'?")
    (call,) = llm.get_tool_calls_from_response(first)
    history = [
        ChatMessage(role="user", content="What is the weather in 'Paris'?"),
        first.message,
        ChatMessage(
            role="tool",
            content=get_weather(**call.tool_kwargs),
            additional_kwargs={"tool_call_id": call.tool_id},
        ),
    ]
    answer = llm.chat_with_tools([tool], chat_history=history).message.content
    assert "It is sunny in" in answer
    wire = qwen_omni_emulator.requests.chat()[-1].body["messages"]
    assert wire[1]["tool_calls"][0]["id"] == call.tool_id
    assert wire[2] == {
        "role": "tool",
        "content": get_weather(**call.tool_kwargs),
        "tool_call_id": call.tool_id,
    }


# --- audio out and thinking ---------------------------------------------------------------------


def test_spoken_reply_as_audio_block(llm_factory, qwen_omni_emulator):
    llm = llm_factory(modalities=["text", "audio"], voice="Ethan")
    resp = llm.chat([ChatMessage(role="user", content="Say hello")])
    (audio,) = [b for b in resp.message.blocks if isinstance(b, AudioBlock)]
    with wave.open(io.BytesIO(audio.resolve_audio().read())) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24_000, 1, 2)
        assert wav.getnframes() > 0
    assert resp.message.content  # the transcript
    body = qwen_omni_emulator.requests.chat()[-1].body
    assert body["modalities"] == ["text", "audio"]
    assert body["audio"] == {"voice": "Ethan", "format": "wav"}
    assert resp.raw["usage"]["completion_tokens_details"]["audio_tokens"] > 0


def test_streamed_audio_deltas_add_up_to_the_block(llm_factory):
    llm = llm_factory(modalities=["text", "audio"])
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="Say hello")]))
    pcm = b"".join(c.additional_kwargs.get("audio_delta", b"") for c in chunks)
    (audio,) = [b for b in chunks[-1].message.blocks if isinstance(b, AudioBlock)]
    assert pcm
    assert audio.resolve_audio().read().endswith(pcm)


def test_thinking_streams_reasoning(llm_factory):
    llm = llm_factory(enable_thinking=True)
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="think about it")]))
    assert any(c.additional_kwargs.get("thinking_delta") for c in chunks)
    assert chunks[-1].message.blocks[0].block_type == "thinking"


# --- structured output --------------------------------------------------------------------------


class Clip(BaseModel):
    """What a clip shows."""

    title: str
    seconds: float


def test_structured_predict(llm, qwen_omni_emulator):
    from llama_index.core.prompts import PromptTemplate

    clip = llm.structured_predict(Clip, PromptTemplate("Describe {name}"), name="'intro.mp4'")
    assert isinstance(clip, Clip)
    assert qwen_omni_emulator.requests.chat()[-1].body["tool_choice"]["function"]["name"] == "Clip"


async def test_astructured_predict(llm):
    from llama_index.core.prompts import PromptTemplate

    assert isinstance(await llm.astructured_predict(Clip, PromptTemplate("Describe it")), Clip)


def test_structured_llm_over_a_video(llm, media, qwen_omni_emulator):
    sllm = llm.as_structured_llm(Clip)
    resp = sllm.chat(_ask(VideoBlock(path=media["video"])))
    assert isinstance(resp.raw, Clip)
    assert qwen_omni_emulator.requests.chat()[-1].perceived[0]["kind"] == "video"


def test_multimodal_completion_program(llm, media, qwen_omni_emulator):
    from llama_index.core.program.multi_modal_llm_program import MultiModalLLMCompletionProgram

    qwen_omni_emulator.script(Reply.json({"title": "gradient", "seconds": 0}))
    program = MultiModalLLMCompletionProgram.from_defaults(
        output_cls=Clip,
        prompt_template_str="Name this picture as JSON.",
        multi_modal_llm=llm,
        image_documents=[ImageBlock(path=media["image"])],
    )
    assert program() == Clip(title="gradient", seconds=0)
    assert qwen_omni_emulator.requests.chat()[-1].perceived[0]["kind"] == "image"


def test_multimodal_query_engine(llm, media, qwen_omni_emulator):
    from llama_index.core import VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.schema import ImageNode

    nodes = [ImageNode(text="A product photo.", image_path=str(media["image"]))]
    index = VectorStoreIndex(nodes, embed_model=MockEmbedding(embed_dim=8))
    engine = RetrieverQueryEngine.from_args(
        retriever=index.as_retriever(similarity_top_k=1), llm=llm, multimodal=True
    )
    answer = engine.query("What does the photo show?")
    assert "image: 64x48 png" in str(answer)
    assert qwen_omni_emulator.requests.chat()[-1].perceived[0]["kind"] == "image"
