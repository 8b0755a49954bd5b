"""``QwenOmni`` against scripted core clients: contracts, streaming, tools, audio, structure."""

from __future__ import annotations

import asyncio
import inspect
import json
import time

import pytest
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index.llms.qwen_omni import QwenOmni
from qwen_omni import content as core
from qwen_omni.errors import RequestValidationError, StreamInterrupted


def test_class():
    names_of_base_classes = [b.__name__ for b in QwenOmni.__mro__]
    assert BaseLLM.__name__ in names_of_base_classes
    assert issubclass(QwenOmni, FunctionCallingLLM)


def test_public_api():
    import llama_index.llms.qwen_omni as pkg

    assert pkg.__all__ == ["QwenOmni"]
    assert QwenOmni.class_name() == "QwenOmni_LLM"


def test_async_methods_are_coroutines_returning_generators():
    # The callback wrapper picks its async path with iscoroutinefunction; the streaming ones
    # must be awaited to get an async generator, never be async generators themselves.
    for name in ("achat", "acomplete", "astream_chat", "astream_complete"):
        fn = getattr(QwenOmni, name)
        assert inspect.iscoroutinefunction(fn), name
        assert not inspect.isasyncgenfunction(fn), name


# --- secrets and metadata -----------------------------------------------------------------------


def test_api_key_is_never_shown():
    llm = QwenOmni(api_key="sk-very-secret-123", temperature=0.2)
    for text in (
        repr(llm),
        str(llm),
        llm.to_json(),
        json.dumps(llm.to_dict()),
        str(llm.to_payload()),
    ):
        assert "sk-very-secret-123" not in text
    assert "api_key" not in llm.to_dict()
    # ... but it is the one the client uses.
    assert llm.client.settings.api_key.get_secret_value() == "sk-very-secret-123"


def test_api_key_from_environment(monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-from-env")
    assert QwenOmni().client.settings.api_key.get_secret_value() == "sk-from-env"


@pytest.mark.parametrize(
    ("model", "context", "output", "tools"),
    [
        ("qwen3-omni-flash", 65_536, 16_384, True),
        ("qwen3.5-omni-plus", 262_144, 65_536, True),
        ("qwen-omni-turbo", 32_768, 2_048, False),
    ],
)
def test_metadata_from_the_catalog(model, context, output, tools):
    meta = QwenOmni(model=model).metadata
    assert (meta.context_window, meta.num_output, meta.is_function_calling_model) == (
        context,
        output,
        tools,
    )
    assert meta.is_chat_model is True
    assert meta.model_name == model


def test_max_tokens_sets_num_output():
    assert QwenOmni(max_tokens=512).metadata.num_output == 512


def test_client_is_rebuilt_when_settings_change():
    llm = QwenOmni(api_key="k", base_url="http://127.0.0.1:1/v1")
    first = llm.client
    assert llm.client is first
    llm.base_url = "http://127.0.0.1:2/v1"
    assert llm.client is not first
    assert llm.client.settings.base_url == "http://127.0.0.1:2/v1"


# --- chat and streaming -------------------------------------------------------------------------


def test_chat_sends_blocks_as_core_parts(sx, media_files):
    client = sx.Client(sx.text("A red ", "square."))
    llm = QwenOmni(client=client, temperature=0.1, max_tokens=100)
    msg = ChatMessage(
        role="user",
        blocks=[VideoBlock(path=media_files["video"], fps=1), TextBlock(text="What is shown?")],
    )
    resp = llm.chat([ChatMessage(role="system", content="Be brief."), msg])

    assert resp.message.content == "A red square."
    assert resp.message.role == "assistant"
    (req,) = client.requests
    assert req.spec.name == "qwen3-omni-flash"
    assert req.messages[0] == core.Message(role="system", content="Be brief.")
    video, question = req.messages[1].parts
    assert isinstance(video, core.Video)
    assert video.path == media_files["video"]
    assert video.fps == 1.0
    assert question.text == "What is shown?"
    assert (req.params.temperature, req.params.max_tokens) == (0.1, 100)


def test_call_kwargs_override_fields(sx):
    client = sx.Client(sx.text("ok"))
    llm = QwenOmni(client=client, temperature=0.1, additional_kwargs={"seed": 7})
    llm.chat([ChatMessage(role="user", content="hi")], temperature=0.9, model="qwen3.5-omni-plus")
    (req,) = client.requests
    assert req.params.temperature == 0.9
    assert req.params.seed == 7
    assert req.spec.name == "qwen3.5-omni-plus"


def test_unknown_parameter_is_a_type_error(sx):
    llm = QwenOmni(client=sx.Client(sx.text("ok")))
    with pytest.raises(TypeError, match="temprature"):
        llm.chat([ChatMessage(role="user", content="hi")], temprature=0.5)


def test_stream_chat_yields_cumulative_content_and_deltas(sx):
    llm = QwenOmni(client=sx.Client(sx.text("One", ", two", ", three")))
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="count")]))
    assert [c.delta for c in chunks] == ["One", ", two", ", three", ""]
    assert [c.message.content for c in chunks][:3] == ["One", "One, two", "One, two, three"]
    assert chunks[-1].raw["usage"]["total_tokens"] == 18


def test_bad_request_raises_at_the_call_not_at_iteration(sx):
    # One-modality-per-message is the core's rule; it raises before anything is sent.
    client = sx.Client(sx.text("never"))
    llm = QwenOmni(client=client)
    mixed = ChatMessage(
        role="user",
        blocks=[
            ImageBlock(url="https://x.example/a.png"),
            AudioBlock(url="https://x.example/a.mp3"),
            TextBlock(text="compare"),
        ],
    )
    with pytest.raises(RequestValidationError, match="ONE other modality") as info:
        llm.stream_chat([mixed])
    assert info.value.rule == "one_modality_per_message"
    assert client.requests == []


def test_mixed_modalities_pass_on_a_model_that_mixes(sx):
    client = sx.Client(sx.text("fine"))
    llm = QwenOmni(model="qwen3.5-omni-plus", client=client)
    mixed = ChatMessage(
        role="user",
        blocks=[
            ImageBlock(url="https://x.example/a.png"),
            AudioBlock(url="https://x.example/a.mp3"),
        ],
    )
    assert llm.chat([mixed]).message.content == "fine"


def test_document_block_raises_before_sending(sx):
    from llama_index.core.base.llms.types import DocumentBlock

    client = sx.Client(sx.text("never"))
    with pytest.raises(RequestValidationError, match="not documents"):
        QwenOmni(client=client).chat(
            [ChatMessage(role="user", blocks=[DocumentBlock(data=b"%PDF-1.4")])]
        )
    assert client.requests == []


def test_broken_stream_raises_instead_of_a_short_answer(sx):
    from qwen_omni.response import Started, TextDelta

    class Breaking(sx.Client):
        def _run(self, req, builder):
            for event in (Started("i", "m", None), TextDelta("partial")):
                builder.add(event)
                yield event
            raise StreamInterrupted("cut", partial=builder.build())

    llm = QwenOmni(client=Breaking())
    with pytest.raises(StreamInterrupted) as info:
        llm.chat([ChatMessage(role="user", content="hi")])
    assert info.value.partial.text == "partial"


def test_complete_and_stream_complete(sx):
    client = sx.Client(sx.text("Paris"))
    llm = QwenOmni(client=client)
    assert llm.complete("Capital of France?").text == "Paris"
    assert client.requests[0].messages == [
        core.Message(role="user", content=(core.Text(text="Capital of France?"),))
    ]
    pieces = [c.delta for c in llm.stream_complete("again")]
    assert pieces == ["Paris", ""]


def test_completion_raw_carries_usage(sx):
    resp = QwenOmni(client=sx.Client(sx.text("x"))).complete("q")
    assert resp.raw["usage"]["prompt_tokens"] == 11
    assert resp.additional_kwargs["total_tokens"] == 18


# --- async --------------------------------------------------------------------------------------


async def test_async_family_uses_the_async_client(sx):
    aclient = sx.AsyncClient(sx.text("as", "ync"))
    llm = QwenOmni(client=sx.ExplodingClient(api_key="k"), async_client=aclient)
    msg = [ChatMessage(role="user", content="hi")]

    assert (await llm.achat(msg)).message.content == "async"
    gen = await llm.astream_chat(msg)
    assert [c.delta async for c in gen] == ["as", "ync", ""]
    assert (await llm.acomplete("hi")).text == "async"
    gen = await llm.astream_complete("hi")
    assert [c.text async for c in gen] == ["as", "async", "async"]
    assert len(aclient.requests) == 4


async def test_async_calls_really_overlap(sx):
    # 5 events × 40 ms each: two concurrent calls take ~0.2 s together, not ~0.4 s.
    aclient = sx.AsyncClient(sx.text("a", "b"), delay=0.04)
    llm = QwenOmni(async_client=aclient)
    msg = [ChatMessage(role="user", content="hi")]
    start = time.perf_counter()
    first, second = await asyncio.gather(llm.achat(msg), llm.achat(msg))
    elapsed = time.perf_counter() - start
    assert first.message.content == second.message.content == "ab"
    assert elapsed < 0.35, elapsed


async def test_a_given_client_sets_the_endpoint_of_the_other_kind():
    from qwen_omni import OmniClient

    llm = QwenOmni(
        client=OmniClient(api_key="sk-x", base_url="http://127.0.0.1:7/v1", max_retries=0)
    )
    assert llm.async_client.settings.base_url == "http://127.0.0.1:7/v1"
    assert llm.async_client.settings.api_key.get_secret_value() == "sk-x"
    assert llm.async_client.settings.max_retries == 0


async def test_close_and_aclose_drop_the_clients():
    llm = QwenOmni(api_key="k", base_url="http://127.0.0.1:9/v1")
    sync_client, async_client = llm.client, llm.async_client
    llm.close()
    await llm.aclose()
    assert llm.client is not sync_client
    assert llm.async_client is not async_client


async def test_one_async_client_per_event_loop():
    llm = QwenOmni(api_key="k", base_url="http://127.0.0.1:9/v1")
    here = llm.async_client
    assert llm.async_client is here

    def other_loop():
        async def get():
            return llm.async_client

        return asyncio.run(get())

    elsewhere = await asyncio.to_thread(other_loop)
    assert elsewhere is not here


# --- tools --------------------------------------------------------------------------------------


def analyze_video(video: str, question: str) -> str:
    """Answer a question about a video file or URL."""
    return f"{video}: a red square moves right"


def transcribe(audio: str) -> str:
    """Transcribe an audio file."""
    return "hello"


def test_prepare_chat_with_tools_forces_a_single_required_tool():
    llm = QwenOmni(api_key="k")
    tool = FunctionTool.from_defaults(analyze_video)
    history = [ChatMessage(role="user", content="earlier")]
    out = llm._prepare_chat_with_tools(
        [tool], user_msg="what is in a.mp4?", chat_history=history, tool_required=True
    )
    assert [m.content for m in out["messages"]] == ["earlier", "what is in a.mp4?"]
    assert len(history) == 1  # the caller's history is not mutated
    assert out["tools"][0]["function"]["name"] == "analyze_video"
    assert set(out["tools"][0]["function"]["parameters"]["properties"]) == {"video", "question"}
    assert out["tool_choice"] == {"type": "function", "function": {"name": "analyze_video"}}
    assert "parallel_tool_calls" not in out


def test_prepare_chat_with_tools_parallel_and_auto():
    llm = QwenOmni(api_key="k")
    tools = [FunctionTool.from_defaults(analyze_video), FunctionTool.from_defaults(transcribe)]
    out = llm._prepare_chat_with_tools(tools, user_msg="x", allow_parallel_tool_calls=True)
    assert out["tool_choice"] == "auto"
    assert out["parallel_tool_calls"] is True


def test_thinking_mode_never_forces_a_tool():
    llm = QwenOmni(api_key="k", enable_thinking=True)
    out = llm._prepare_chat_with_tools(
        [FunctionTool.from_defaults(analyze_video)], user_msg="x", tool_required=True
    )
    assert out["tool_choice"] == "auto"


def test_chat_with_tools_reaches_the_core_and_returns_tool_calls(sx):
    client = sx.Client(
        sx.tools(("call_1", "analyze_video", ['{"video": "a.mp4",', ' "question": "what?"}']))
    )
    llm = QwenOmni(client=client)
    tool = FunctionTool.from_defaults(analyze_video)
    resp = llm.chat_with_tools([tool], user_msg="what is in a.mp4?", tool_required=True)

    (req,) = client.requests
    assert req.params.tools[0]["function"]["name"] == "analyze_video"
    assert req.params.tool_choice == {"type": "function", "function": {"name": "analyze_video"}}
    (call,) = llm.get_tool_calls_from_response(resp)
    assert (call.tool_id, call.tool_name, call.tool_kwargs) == (
        "call_1",
        "analyze_video",
        {"video": "a.mp4", "question": "what?"},
    )


def test_parallel_tool_calls_are_kept_only_when_allowed(sx):
    script = sx.tools(
        ("c1", "analyze_video", ['{"video": "a.mp4", "question": "q"}']),
        ("c2", "transcribe", ['{"audio": "b.wav"}']),
    )
    tools = [FunctionTool.from_defaults(analyze_video), FunctionTool.from_defaults(transcribe)]
    llm = QwenOmni(client=sx.Client(script))
    both = llm.chat_with_tools(tools, user_msg="x", allow_parallel_tool_calls=True)
    assert [c.tool_name for c in llm.get_tool_calls_from_response(both)] == [
        "analyze_video",
        "transcribe",
    ]
    one = llm.chat_with_tools(tools, user_msg="x")
    assert [c.tool_name for c in llm.get_tool_calls_from_response(one)] == ["analyze_video"]


def test_no_tool_call_raises_only_when_asked(sx):
    llm = QwenOmni(client=sx.Client(sx.text("no tools needed")))
    resp = llm.chat([ChatMessage(role="user", content="hi")])
    assert llm.get_tool_calls_from_response(resp, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="no tools needed"):
        llm.get_tool_calls_from_response(resp)


def test_streamed_tool_call_chunks_parse_on_every_chunk(sx):
    llm = QwenOmni(client=sx.Client(sx.tools(("c1", "transcribe", ['{"au', 'dio": "b.wav"}']))))
    tool = FunctionTool.from_defaults(transcribe)
    seen = [
        [c.tool_name for c in llm.get_tool_calls_from_response(chunk, error_on_no_tool_call=False)]
        for chunk in llm.stream_chat_with_tools([tool], user_msg="x")
    ]
    assert seen == [["transcribe"], ["transcribe"], ["transcribe"]]


def test_predict_and_call_runs_the_tool(sx):
    llm = QwenOmni(
        client=sx.Client(sx.tools(("c1", "analyze_video", ['{"video": "v.mp4", "question": "?"}'])))
    )
    out = llm.predict_and_call([FunctionTool.from_defaults(analyze_video)], user_msg="go")
    assert out.response == "v.mp4: a red square moves right"


def test_tool_turn_history_goes_back_as_tool_messages(sx):
    client = sx.Client(sx.text("It shows a red square."))
    llm = QwenOmni(client=client)
    history = [
        ChatMessage(role="user", content="what is in a.mp4?"),
        ChatMessage(
            role="assistant",
            blocks=[
                ToolCallBlock(
                    tool_call_id="c1", tool_name="analyze_video", tool_kwargs={"video": "a.mp4"}
                )
            ],
        ),
        ChatMessage(role="tool", content="a red square", additional_kwargs={"tool_call_id": "c1"}),
    ]
    llm.chat(history)
    sent = client.requests[0].messages
    assert sent[1].tool_calls[0].name == "analyze_video"
    assert (sent[2].role, sent[2].tool_call_id, sent[2].text) == ("tool", "c1", "a red square")


# --- audio out and thinking ---------------------------------------------------------------------


def test_spoken_reply_is_an_audio_block(sx):
    pcm = [b"\x10\x00" * 240, b"\x20\x00" * 240]
    client = sx.Client(sx.audio("Hello!", pcm))
    llm = QwenOmni(client=client, modalities=["text", "audio"], voice="Ethan")
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="greet me")]))

    (req,) = client.requests
    assert req.params.modalities == ("text", "audio")
    assert req.params.voice == "Ethan"
    assert [
        c.additional_kwargs["audio_delta"] for c in chunks if "audio_delta" in c.additional_kwargs
    ] == pcm
    final = chunks[-1].message
    (audio,) = [b for b in final.blocks if isinstance(b, AudioBlock)]
    wav = audio.resolve_audio().read()
    assert wav.startswith(b"RIFF")
    assert wav.endswith(b"".join(pcm))
    assert final.content == "Hello!"


def test_audio_out_is_refused_in_thinking_mode_before_sending(sx):
    client = sx.Client(sx.text("never"))
    llm = QwenOmni(client=client, modalities=["text", "audio"], enable_thinking=True)
    with pytest.raises(RequestValidationError, match="thinking"):
        llm.chat([ChatMessage(role="user", content="hi")])
    assert client.requests == []


def test_thinking_reaches_agents_as_thinking_delta(sx):
    llm = QwenOmni(
        client=sx.Client(sx.thinking(["step 1, ", "step 2"], "done")), enable_thinking=True
    )
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="solve")]))
    assert [c.additional_kwargs.get("thinking_delta") for c in chunks[:2]] == ["step 1, ", "step 2"]
    final = chunks[-1].message
    assert isinstance(final.blocks[0], ThinkingBlock)
    assert final.blocks[0].content == "step 1, step 2"
    assert final.content == "done"


# --- structured output --------------------------------------------------------------------------


class Scene(BaseModel):
    """What a video shows."""

    subject: str
    colour: str


def test_structured_predict_uses_a_forced_tool_call(sx):
    from llama_index.core.prompts import PromptTemplate

    client = sx.Client(sx.tools(("c1", "Scene", ['{"subject": "square", "colour": "red"}'])))
    llm = QwenOmni(client=client)
    scene = llm.structured_predict(Scene, PromptTemplate("Describe {what}"), what="the clip")
    assert scene == Scene(subject="square", colour="red")
    (req,) = client.requests
    assert req.params.tool_choice == {"type": "function", "function": {"name": "Scene"}}
    assert req.messages[-1].text == "Describe the clip"


async def test_astructured_predict(sx):
    from llama_index.core.prompts import PromptTemplate

    aclient = sx.AsyncClient(sx.tools(("c1", "Scene", ['{"subject": "ball", "colour": "blue"}'])))
    llm = QwenOmni(async_client=aclient)
    scene = await llm.astructured_predict(Scene, PromptTemplate("Describe it"))
    assert scene == Scene(subject="ball", colour="blue")


def test_as_structured_llm_with_video_blocks(sx, media_files):
    client = sx.Client(sx.tools(("c1", "Scene", ['{"subject": "square", "colour": "red"}'])))
    sllm = QwenOmni(client=client).as_structured_llm(Scene)
    msg = ChatMessage(
        role="user", blocks=[VideoBlock(path=media_files["video"]), TextBlock(text="describe")]
    )
    resp = sllm.chat([msg])
    assert resp.raw == Scene(subject="square", colour="red")
    assert json.loads(resp.message.content) == {"subject": "square", "colour": "red"}
    assert isinstance(client.requests[0].messages[-1].parts[0], core.Video)


@pytest.mark.filterwarnings("ignore:The `json` method is deprecated")  # core's StructuredLLM
def test_structured_llm_streams_partial_objects(sx):
    client = sx.Client(
        sx.tools(("c1", "Scene", ['{"subject": "sq', 'uare", "colour"', ': "red"}']))
    )
    sllm = QwenOmni(client=client).as_structured_llm(Scene)
    chunks = list(sllm.stream_chat([ChatMessage(role="user", content="describe")]))
    assert chunks[-1].raw.model_dump() == {"subject": "square", "colour": "red"}
    assert len(chunks) >= 2  # partial objects arrived before the whole one
    assert any(c.raw.model_dump().get("colour") is None for c in chunks[:-1])


@pytest.mark.filterwarnings("ignore:The `json` method is deprecated")  # core's StructuredLLM
async def test_structured_llm_async_stream(sx):
    aclient = sx.AsyncClient(sx.tools(("c1", "Scene", ['{"subject": "cube", "colour": "green"}'])))
    sllm = QwenOmni(async_client=aclient).as_structured_llm(Scene)
    gen = await sllm.astream_chat([ChatMessage(role="user", content="describe")])
    last = None
    async for last in gen:
        pass
    assert last.raw.model_dump() == {"subject": "cube", "colour": "green"}


def test_structured_predict_without_function_calling_parses_text(sx):
    from llama_index.core.prompts import PromptTemplate

    client = sx.Client(sx.text('{"subject": "dog", "colour": "brown"}'))
    llm = QwenOmni(model="qwen-omni-turbo", client=client)
    scene = llm.structured_predict(Scene, PromptTemplate("Describe {x}"), x="it")
    assert scene == Scene(subject="dog", colour="brown")
    assert client.requests[0].params.tools is None


def test_multimodal_completion_program(sx):
    from llama_index.core.program.multi_modal_llm_program import MultiModalLLMCompletionProgram

    client = sx.Client(sx.text('{"subject": "cat", "colour": "black"}'))
    program = MultiModalLLMCompletionProgram.from_defaults(
        output_cls=Scene,
        prompt_template_str="Describe the image as JSON.",
        multi_modal_llm=QwenOmni(client=client),
        image_documents=[ImageBlock(url="https://x.example/cat.png")],
    )
    assert program() == Scene(subject="cat", colour="black")
    parts = client.requests[0].messages[0].parts
    assert isinstance(parts[0], core.Image)
    assert parts[0].url == "https://x.example/cat.png"


# --- callbacks and token counting ---------------------------------------------------------------


def test_token_counting_handler_reads_usage(sx):
    from llama_index.core.callbacks import CallbackManager, TokenCountingHandler

    counter = TokenCountingHandler()
    llm = QwenOmni(client=sx.Client(sx.text("x")), callback_manager=CallbackManager([counter]))
    llm.chat([ChatMessage(role="user", content="hi")])
    list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    assert counter.prompt_llm_token_count == 22
    assert counter.completion_llm_token_count == 14


# --- cut-off and shared-index tool calls (#12), linear tool-call streaming (#18) ---------------


def transfer(to: str, amount: int) -> str:
    """Send money."""
    raise AssertionError("a cut-off call must never run")


def _cut_off(reason: str | None) -> list:
    from qwen_omni.response import Finish, Started, ToolCallDelta

    events = [
        Started("chatcmpl-5", "qwen3-omni-flash", "req-5"),
        ToolCallDelta(0, "t1", "transfer", '{"to":"alice",'),
        ToolCallDelta(0, None, None, '"amount":1000000'),
    ]
    return [*events, Finish(reason)] if reason else events


def test_a_tool_call_cut_off_by_max_tokens_is_an_error_never_a_call(sx):
    from llama_index.llms.qwen_omni.utils import IncompleteToolCallError

    llm = QwenOmni(client=sx.Client(_cut_off("length")))
    tool = FunctionTool.from_defaults(transfer)
    resp = llm.chat_with_tools([tool], user_msg="pay alice")
    with pytest.raises(IncompleteToolCallError, match="max_tokens") as info:
        llm.get_tool_calls_from_response(resp, error_on_no_tool_call=False)
    assert info.value.calls[0]["arguments"] == '{"to":"alice","amount":1000000'
    # The streamed path ends the same way; earlier chunks were only views.
    chunks = list(llm.stream_chat_with_tools([tool], user_msg="pay alice"))
    with pytest.raises(IncompleteToolCallError):
        llm.get_tool_calls_from_response(chunks[-1], error_on_no_tool_call=False)
    with pytest.raises(IncompleteToolCallError):
        llm.predict_and_call([tool], user_msg="pay alice")


def test_a_stream_that_ends_mid_arguments_never_yields_a_call(sx):
    from llama_index.llms.qwen_omni.utils import IncompleteToolCallError

    # (Over the wire the core raises StreamInterrupted for a stream without a finish reason;
    # this scripted stream reaches the assembler's end anyway, as a partial answer would.)
    llm = QwenOmni(client=sx.Client(_cut_off(None)))
    resp = llm.chat_with_tools([FunctionTool.from_defaults(transfer)], user_msg="pay alice")
    with pytest.raises(IncompleteToolCallError, match="cut off"):
        llm.get_tool_calls_from_response(resp, error_on_no_tool_call=False)


def test_two_tool_calls_sharing_an_index_stay_two(sx):
    """Wire index 0 twice with different ids: the core's decoder numbers them 0 and 1."""
    from qwen_omni._stream import StreamDecoder

    def chunk(delta=None, finish=None):
        choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
        return {"id": "chatcmpl-6", "model": "qwen3-omni-flash", "choices": [choice]}

    def call(call_id, name, args):
        fn = {"name": name, "arguments": args}
        return {"tool_calls": [{"index": 0, "id": call_id, "type": "function", "function": fn}]}

    decoder = StreamDecoder()
    events = [
        e
        for c in (
            chunk(call("call_1", "analyze_video", '{"video": "a.mp4", "question": "?"}')),
            chunk(call("call_2", "transcribe", '{"audio": "b.wav"}')),
            chunk(finish="tool_calls"),
        )
        for e in decoder.feed(c)
    ]
    llm = QwenOmni(client=sx.Client(events))
    tools = [FunctionTool.from_defaults(analyze_video), FunctionTool.from_defaults(transcribe)]
    resp = llm.chat_with_tools(tools, user_msg="x", allow_parallel_tool_calls=True)
    calls = llm.get_tool_calls_from_response(resp)
    assert [(c.tool_id, c.tool_name) for c in calls] == [
        ("call_1", "analyze_video"),
        ("call_2", "transcribe"),
    ]
    assert calls[1].tool_kwargs == {"audio": "b.wav"}


def test_streamed_tool_arguments_are_viewed_a_logarithmic_number_of_times(sx):
    """Partial views come when a call starts or its arguments doubled: 10,000 fragments give
    a few dozen chunks, each a linear join, so the whole stream stays linear."""
    fragments = ['{"audio": "'] + ["ab"] * 10_000 + ['"}']
    llm = QwenOmni(client=sx.Client(sx.tools(("c1", "transcribe", fragments))))
    chunks = list(
        llm.stream_chat_with_tools([FunctionTool.from_defaults(transcribe)], user_msg="x")
    )
    assert 2 <= len(chunks) <= 20
    (call,) = llm.get_tool_calls_from_response(chunks[-1])
    assert call.tool_kwargs == {"audio": "ab" * 10_000}
