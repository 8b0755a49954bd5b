"""The chunk shapes of issue #18 through LangChain's own APIs, over sockets to the emulator:
stream, astream, invoke, ainvoke, batch, ``+`` merging and ``message_chunk_to_message`` agree;
a cut-off tool call is never callable (#12)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, message_chunk_to_message
from pydantic import BaseModel

from langchain_qwen_omni import ChatQwenOmni, get_audio
from qwen_omni_emulator import Reply
from qwen_omni_emulator.replies import ToolCall

SAID = "Bonjour, ceci est une longue réponse parlée pour le test."


def _merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full: Any = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    return full


def test_a_spoken_reply_is_the_same_through_every_api(qwen_omni_emulator: Any) -> None:
    speaker = ChatQwenOmni(modalities=["text", "audio"], voice="Cherry")
    qwen_omni_emulator.script(*[Reply.text(SAID, chunk_chars=4) for _ in range(4)])
    invoked = speaker.invoke("speak")
    chunks = list(speaker.stream("speak"))
    (batched,) = speaker.batch(["speak"])
    merged = _merge(chunks)
    final = message_chunk_to_message(merged)
    wav = get_audio(invoked)
    assert wav is not None
    assert len(wav) > 44
    assert get_audio(merged) == get_audio(final) == get_audio(batched) == wav
    assert merged.text == invoked.text == batched.text == SAID
    # invoke: one text block and one audio block; the stream: one audio block per chunk.
    assert [b["type"] for b in invoked.content] == ["text", "audio"]  # type: ignore[index]
    audio_chunks = [c for c in chunks if any(b.get("type") == "audio" for b in c.content)]  # type: ignore[union-attr]
    assert len(audio_chunks) > 1
    assert sum(1 for b in merged.content if b.get("type") == "audio") == len(audio_chunks)  # type: ignore[union-attr]
    assert merged.usage_metadata == invoked.usage_metadata


async def test_a_spoken_reply_is_the_same_through_the_async_apis(qwen_omni_emulator: Any) -> None:
    speaker = ChatQwenOmni(modalities=["text", "audio"], voice="Cherry")
    qwen_omni_emulator.script(*[Reply.text(SAID, chunk_chars=4) for _ in range(3)])
    invoked = await speaker.ainvoke("speak")
    merged = _merge([c async for c in speaker.astream("speak")])
    (batched,) = await speaker.abatch(["speak"])
    assert get_audio(merged) == get_audio(invoked) == get_audio(batched)
    assert merged.text == invoked.text == SAID


class Transfer(BaseModel):
    """Send money."""

    to: str
    amount: int


CUT = '{"to": "alice", "amount": 1000000'


def _cut_off() -> Reply:
    return Reply(tool_calls=(ToolCall.of("Transfer", CUT, id="call_t"),), finish_reason="length")


@pytest.mark.parametrize("api", ["invoke", "stream", "astream", "ainvoke"])
async def test_a_tool_call_cut_off_by_max_tokens_is_never_callable(
    qwen_omni_emulator: Any, api: str
) -> None:
    qwen_omni_emulator.script(_cut_off())
    llm = ChatQwenOmni().bind_tools([Transfer])
    message: AIMessage
    if api == "invoke":
        message = llm.invoke("pay alice")
    elif api == "ainvoke":
        message = await llm.ainvoke("pay alice")
    elif api == "stream":
        message = message_chunk_to_message(_merge(list(llm.stream("pay alice"))))  # type: ignore[assignment]
    else:
        message = message_chunk_to_message(_merge([c async for c in llm.astream("pay alice")]))  # type: ignore[assignment]
    assert message.tool_calls == []
    (bad,) = message.invalid_tool_calls
    assert bad["name"] == "Transfer"
    assert bad["id"] == "call_t"
    assert CUT in (bad["args"] or "")
    assert message.response_metadata["finish_reason"] == "length"
