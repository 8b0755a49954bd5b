"""LangChain conventions, checked with LangChain's own interfaces against the emulator:
errors in LangChain's taxonomy (``ModelRetryMiddleware``, ``ContextOverflowError``), unknown
constructor arguments, token counting and ``text-plain`` blocks."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelRetryMiddleware
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelRateLimitError,
)
from langchain_core.messages import AIMessage, HumanMessage, trim_messages
from pydantic import ValidationError

import qwen_omni
from langchain_qwen_omni import ChatQwenOmni
from qwen_omni_emulator import Reply


def _agent(llm: ChatQwenOmni) -> Any:
    retry = ModelRetryMiddleware(max_retries=3, initial_delay=0.0, jitter=False, on_failure="error")
    return create_agent(model=llm, tools=[], middleware=[retry])


def test_a_bad_key_is_not_retried_by_the_retry_middleware(qwen_omni_emulator: Any) -> None:
    llm = ChatQwenOmni(api_key="wrong-key", max_retries=0)
    with pytest.raises(ModelAuthenticationError) as info:
        _agent(llm).invoke({"messages": [HumanMessage("hi")]})
    assert isinstance(info.value, qwen_omni.AuthenticationError)  # still our error too
    assert info.value.status_code == 401
    assert info.value.is_retryable is False
    assert len(qwen_omni_emulator.requests.chat()) == 1  # one request, not four


def test_a_rate_limit_is_retried_by_the_retry_middleware(qwen_omni_emulator: Any) -> None:
    qwen_omni_emulator.script(Reply.error(429), Reply.error(429), Reply.text("finally"))
    llm = ChatQwenOmni(max_retries=0)  # the core's own retries off: the middleware retries
    result = _agent(llm).invoke({"messages": [HumanMessage("hi")]})
    assert result["messages"][-1].content == "finally"
    assert len(qwen_omni_emulator.requests.chat()) == 3


def test_a_quota_error_is_a_rate_limit_that_is_not_retryable(qwen_omni_emulator: Any) -> None:
    qwen_omni_emulator.script(Reply.error(429, code="insufficient_quota", message="quota exceeded"))
    with pytest.raises(ModelRateLimitError) as info:
        ChatQwenOmni(max_retries=0).invoke("hi")
    assert isinstance(info.value, qwen_omni.QuotaExceededError)
    assert info.value.is_retryable is False


def test_context_overflow_from_the_service(qwen_omni_emulator: Any) -> None:
    qwen_omni_emulator.script(Reply.error(400, message="Range of input length should be [1, 100]"))
    with pytest.raises(ContextOverflowError) as info:
        ChatQwenOmni(max_retries=0).invoke("hi")
    assert isinstance(info.value, qwen_omni.QwenOmniError)
    assert "Range of input length" in str(info.value)


def test_context_overflow_from_the_catalog_sends_nothing(qwen_omni_emulator: Any) -> None:
    spec = qwen_omni.get_model("qwen3-omni-flash")
    words = "word " * (spec.max_input_tokens * 4 // 5 + 10)  # 5 chars, 4 per token: over
    with pytest.raises(ContextOverflowError, match="input tokens") as info:
        ChatQwenOmni(model="qwen3-omni-flash").invoke(words)
    assert isinstance(info.value, qwen_omni.QwenOmniError)
    assert info.value.limit == spec.max_input_tokens  # type: ignore[attr-defined]
    assert qwen_omni_emulator.requests.chat() == []


def test_typos_in_constructor_arguments_are_refused() -> None:
    with pytest.raises(ValidationError, match="temprature=0: did you mean temperature"):
        ChatQwenOmni(temprature=0)
    with pytest.raises(ValidationError, match="did you mean max_tokens"):
        ChatQwenOmni(max_token=5)


def test_other_unknown_arguments_are_sent_as_extra_fields_with_a_warning(
    qwen_omni_emulator: Any,
) -> None:
    # vl_high_resolution_images is a Qwen3.5-Omni field (the core refuses it for Flash).
    with pytest.warns(UserWarning, match="vl_high_resolution_images is not a ChatQwenOmni"):
        llm = ChatQwenOmni(model="qwen3.5-omni-plus", vl_high_resolution_images=True)
    assert llm.extra_body == {"vl_high_resolution_images": True}
    llm.invoke("hi")
    assert qwen_omni_emulator.requests.chat()[-1].body["vl_high_resolution_images"] is True


def test_token_counting_is_the_cores_media_aware_estimate(media: dict[str, Path]) -> None:
    llm = ChatQwenOmni(model="qwen3-omni-flash", api_key="k")
    b64 = base64.b64encode(media["image"].read_bytes()).decode()  # 64×48 PNG
    messages = [
        HumanMessage(
            [
                {"type": "image", "base64": b64, "mime_type": "image/png"},
                {"type": "text", "text": "what?"},
            ]
        ),
        AIMessage("a cat"),
        HumanMessage("and now?"),
    ]
    # By hand (reference §6): 64×48 rounds to 64×64 on 32 px patches, 2·2 = 4 tokens, plus 2
    # vision markers = 6; text one token per 4 characters: "what?" 2, "a cat" 2, "and now?" 2.
    assert llm.get_num_tokens("and now?") == 2
    assert llm.get_num_tokens_from_messages(messages) == 6 + 2 + 2 + 2
    kept = trim_messages(messages, max_tokens=4, token_counter=llm, strategy="last")
    assert kept == messages[1:]


def test_text_plain_blocks_are_decoded_or_refused(qwen_omni_emulator: Any) -> None:
    llm = ChatQwenOmni()
    note = base64.b64encode(b"Meeting moved to 3 pm.").decode()
    llm.invoke(
        [
            HumanMessage(
                [
                    {"type": "text-plain", "base64": note, "mime_type": "text/plain"},
                    {"type": "text", "text": "When is the meeting?"},
                ]
            )
        ]
    )
    sent = qwen_omni_emulator.requests.chat()[-1].body["messages"][0]["content"]
    assert sent.startswith("Meeting moved to 3 pm.")  # decoded, not dropped
    with pytest.raises(ValueError, match="does not fetch text documents"):
        llm.invoke(
            [
                HumanMessage(
                    [
                        {
                            "type": "text-plain",
                            "url": "https://example.com/a.txt",
                            "mime_type": "text/plain",
                        }
                    ]
                )
            ]
        )
