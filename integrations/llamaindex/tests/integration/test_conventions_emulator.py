"""LlamaIndex conventions: ``api_base`` and ``context_window`` honoured, a conservative window
for models the catalog does not know, unknown arguments refused, token counting through the
tokenizer hook (``Settings.tokenizer`` / ``TokenCountingHandler``)."""

from __future__ import annotations

import pytest
from llama_index.core import Settings
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.memory import ChatMemoryBuffer

from llama_index.llms.qwen_omni import QwenOmni


def test_api_base_is_where_requests_go(qwen_omni_emulator) -> None:
    llm = QwenOmni(api_key=qwen_omni_emulator.api_key, api_base=qwen_omni_emulator.base_url)
    assert llm.base_url == qwen_omni_emulator.base_url
    assert llm.complete("hi").text
    assert (
        len(qwen_omni_emulator.requests.chat()) == 1
    )  # reached the qwen_omni_emulator, not Beijing


def test_base_url_and_a_different_api_base_conflict() -> None:
    with pytest.raises(TypeError, match="both base_url and api_base"):
        QwenOmni(api_key="k", base_url="http://127.0.0.1:1/v1", api_base="http://127.0.0.1:2/v1")


def test_context_window_is_honoured_and_unknown_models_get_a_conservative_one() -> None:
    assert QwenOmni(api_key="k").metadata.context_window == 65_536  # catalog: qwen3-omni-flash
    assert QwenOmni(api_key="k", context_window=8_000).metadata.context_window == 8_000
    assert QwenOmni(model="my-self-hosted-omni", api_key="k").metadata.context_window == 32_768
    memory = ChatMemoryBuffer.from_defaults(llm=QwenOmni(api_key="k", context_window=4_000))
    assert memory.token_limit == 3_000  # LlamaIndex's 0.75 × the window we reported


def test_unknown_arguments_are_refused_with_the_field_they_resemble() -> None:
    with pytest.raises(TypeError, match=r"temprature \(did you mean temperature\?\)"):
        QwenOmni(api_key="k", temprature=0.2)
    with pytest.raises(TypeError, match="additional_kwargs"):
        QwenOmni(api_key="k", vl_high_resolution_images=True)


def test_the_tokenizer_hook_counts_with_the_cores_estimate(qwen_omni_emulator) -> None:
    llm = QwenOmni(api_key=qwen_omni_emulator.api_key, api_base=qwen_omni_emulator.base_url)
    # one token per CJK character, one per 4 others: "hello world!" 3, "你好" 2
    assert len(llm.tokenizer("hello world!")) == 3
    assert len(llm.tokenizer("你好")) == 2
    counter = TokenCountingHandler(tokenizer=llm.tokenizer)
    llm.callback_manager = CallbackManager([counter])
    llm.chat([ChatMessage(role="user", content="hello world!")])
    assert counter.prompt_llm_token_count >= 3
    import llama_index.core

    previous = llama_index.core.global_tokenizer
    try:
        Settings.tokenizer = llm.tokenizer
        assert len(Settings.tokenizer("abcdefgh")) == 2
    finally:
        llama_index.core.global_tokenizer = previous
    assert llm.count_tokens([ChatMessage(role="user", content="abcdefgh")]) == 2
