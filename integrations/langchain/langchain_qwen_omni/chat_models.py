"""``ChatQwenOmni``: Qwen-Omni as a LangChain chat model."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextvars import ContextVar
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from langchain_qwen_omni._chunks import ChunkAssembler, message_from_response
from langchain_qwen_omni._messages import to_core_messages
from langchain_qwen_omni.errors import (
    atranslating_errors,
    to_langchain_error,
    translating_errors,
)
from qwen_omni.catalog import get_model
from qwen_omni.errors import QwenOmniError
from qwen_omni.loops import PerLoop
from qwen_omni.rules import close_match, resolve_tool_choice

if TYPE_CHECKING:
    from langchain_core.language_models.base import LangSmithParams
    from langchain_core.language_models.model_profile import ModelProfile

    from qwen_omni import AsyncOmniClient, OmniClient

__all__ = ["ChatQwenOmni"]

DEFAULT_MODEL = "qwen3-omni-flash"

# Call-time keyword arguments LangChain itself may pass down; they are not request parameters.
_LANGCHAIN_KWARGS = ("stream", "ls_structured_output_format")

_UNSET: Any = object()
#: The ``max_concurrency`` of the LangChain batch being run (tasks inherit it), else _UNSET.
_BATCH_CONCURRENCY: ContextVar[Any] = ContextVar("qwen_omni_batch_concurrency", default=_UNSET)

#: A spoken reply larger than this (PCM bytes, ~10 s) is encoded off the event loop.
_INLINE_BUILD_BYTES = 512 * 1024

StructuredOutputMethod = Literal["function_calling", "json_mode", "json_schema"]


class ChatQwenOmni(BaseChatModel):
    r"""Qwen-Omni chat model: text, image, audio and video in; text and speech out.

    Qwen-Omni is served by Alibaba Cloud Model Studio (DashScope) on its OpenAI-compatible
    endpoint and **only streams**; ``invoke``/``batch`` are built from the stream, and
    ``stream``/``astream``/``ainvoke``/``abatch`` are native (async end to end). Everything
    goes through the ``qwen-omni`` core adapter, which also prepares and delivers local media
    (inline data URI or an upload) so that you can pass file paths.

    Setup:
        Install ``langchain-qwen-omni`` and set your key (for the region the key belongs to):

        .. code-block:: bash

            pip install -U langchain-qwen-omni
            export DASHSCOPE_API_KEY="sk-..."

        Offline, point ``base_url`` at the bundled emulator (``qwen-omni emulator``).

    Key init args — completion params:
        model: str
            Model id, e.g. ``"qwen3-omni-flash"`` (default) or ``"qwen3.5-omni-plus"``.
        temperature: float | None
            Sampling temperature in [0, 2).
        max_tokens: int | None
            Max output tokens.
        modalities: list[str] | None
            ``["text", "audio"]`` for a spoken reply.
        voice: str | None
            Voice of the spoken reply (e.g. ``"Cherry"``).
        enable_thinking: bool | None
            Stream reasoning first (Qwen3-Omni-Flash).

    Key init args — client params:
        api_key: SecretStr | None
            DashScope key; read from ``DASHSCOPE_API_KEY`` when not given.
        region: str | None
            ``"beijing"`` (default), ``"singapore"`` or ``"us"``.
        base_url: str | None
            Any OpenAI-compatible endpoint (a workspace domain, vLLM, the emulator).
        dialect: str | None
            ``"dashscope"`` (default) or ``"vllm"`` for a self-hosted Qwen-Omni.
        timeout: float | None
            Seconds to wait for the first byte (and between chunks).
        max_retries: int
            Retries before any output arrived (429, 5xx, connection errors).
        delivery: str | MediaDelivery | None
            How local media reaches the service: ``"auto"``, ``"inline"``, ``"oss"``,
            ``"dashscope_temp"`` or a configured ``qwen_omni.delivery.MediaDelivery``.

    Instantiate:
        .. code-block:: python

            from langchain_qwen_omni import ChatQwenOmni

            llm = ChatQwenOmni(model="qwen3-omni-flash", temperature=0.3)

    Invoke:
        .. code-block:: python

            llm.invoke([("system", "Answer in one sentence."), ("human", "What is Qwen-Omni?")])

    Stream:
        .. code-block:: python

            for chunk in llm.stream("Write a haiku about rivers."):
                print(chunk.text, end="", flush=True)

    Async:
        .. code-block:: python

            await llm.ainvoke("Hello")
            async for chunk in llm.astream("Hello"):
                ...
            await llm.abatch(["Hello", "Hi"])

    Multimodal input:
        Standard LangChain blocks (``url``, or ``base64`` + ``mime_type``), OpenAI
        ``image_url``/``input_audio`` parts, DashScope ``video_url`` parts, and, as this
        package's extension, local files with ``path``:

        .. code-block:: python

            from langchain_core.messages import HumanMessage

            msg = HumanMessage(content=[
                {"type": "video", "path": "clip.mp4"},            # local file, delivered for you
                {"type": "text", "text": "What happens in this clip?"},
            ])
            llm.invoke([msg])
            HumanMessage(content=[
                {"type": "image", "url": "https://example.com/cat.png"},
                {"type": "audio", "base64": b64_wav, "mime_type": "audio/wav"},
                {"type": "video", "url": "https://example.com/a.mp4", "extras": {"fps": 1}},
                {"type": "text", "text": "..."},
            ])

        Qwen3-Omni-Flash takes text plus ONE other modality per user message (split others
        over several messages); Qwen3.5-Omni takes any mix.

    Audio output:
        .. code-block:: python

            from langchain_qwen_omni import get_audio

            speaker = ChatQwenOmni(modalities=["text", "audio"], voice="Cherry")
            msg = speaker.invoke("Say hello in French.")
            msg.text                      # the transcript
            open("hello.wav", "wb").write(get_audio(msg))

        The reply's content is ``[{"type": "text", ...}, {"type": "audio", "base64": ...,
        "mime_type": "audio/wav"}]``, built once from the core's whole answer. Streamed chunks
        carry the audio as it arrives, one standard audio block per chunk, each a complete WAV
        (PCM16 mono 24 kHz); merged chunks keep one block per piece (merging stays linear) and
        ``get_audio`` joins them into one WAV.

    Tool calling:
        .. code-block:: python

            from pydantic import BaseModel, Field

            class GetWeather(BaseModel):
                '''Get the current weather in a city.'''
                city: str = Field(description="City name")

            llm_tools = llm.bind_tools([GetWeather], tool_choice="auto")
            llm_tools.invoke("Weather in Hangzhou?").tool_calls
            # [{'name': 'GetWeather', 'args': {'city': 'Hangzhou'}, 'id': 'call_…', ...}]

        Streamed, a call is announced as it starts and its arguments come whole in the last
        chunk. A call cut off by ``max_tokens`` is never callable: it is in
        ``invalid_tool_calls``.

        ``tool_choice``: ``"auto"``, ``"none"``, a tool name (forced), or ``"any"``/
        ``"required"``/``True``: with one tool, that tool is forced; with several, DashScope has
        no "any tool" choice, so ``"auto"`` is sent (with a warning), while a vLLM endpoint
        gets ``"required"``; in thinking mode nothing can be forced (``"auto"``, with a
        warning). This is ``qwen_omni.rules.resolve_tool_choice``, the policy that
        ``QwenOmni`` (LlamaIndex) applies too.

    Structured output:
        .. code-block:: python

            class Joke(BaseModel):
                '''A joke.'''
                setup: str
                punchline: str

            llm.with_structured_output(Joke).invoke("Tell me a joke about cats")
            llm.with_structured_output(Joke, method="json_mode").invoke(
                "Tell me a joke about cats, as JSON with keys setup and punchline"
            )

        Pydantic classes, TypedDicts and JSON schemas; ``function_calling`` (default),
        ``json_mode`` (the prompt must mention JSON) or ``json_schema`` (served by function
        calling: native JSON-schema output is not documented for Qwen-Omni).

    Token usage:
        .. code-block:: python

            msg.usage_metadata
            # {'input_tokens': 207, 'output_tokens': 103, 'total_tokens': 310,
            #  'input_token_details': {'audio': 0, 'video': 180},
            #  'output_token_details': {'audio': 83}}

        ``input_token_details`` also reports ``image`` and ``video`` tokens when the service
        gives them.

    Response metadata:
        .. code-block:: python

            msg.response_metadata
            # {'model_provider': 'qwen_omni', 'model_name': 'qwen3-omni-flash',
            #  'finish_reason': 'stop', 'request_id': '…', 'id': 'chatcmpl-…'}

    Errors:
        Failures are raised as classes that are both qwen-omni's and LangChain's
        (``langchain_qwen_omni.errors``): e.g. a bad key is a ``qwen_omni.AuthenticationError``
        and a ``langchain_core.exceptions.ModelAuthenticationError`` (``is_retryable`` False,
        so ``ModelRetryMiddleware`` does not repeat it); an input over the model's window is a
        ``ContextOverflowError`` (what the summarization middleware reacts to).

    Reasoning:
        With ``enable_thinking=True`` the reasoning is in
        ``additional_kwargs["reasoning_content"]`` (and a ``reasoning`` block of
        ``content_blocks``).
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model: str = Field(
        default_factory=from_env("QWEN_OMNI_MODEL", default=DEFAULT_MODEL), alias="model_name"
    )
    """Model id: ``qwen3-omni-flash`` (default, or ``QWEN_OMNI_MODEL``), ``qwen3.5-omni-plus``,
    ``qwen3.5-omni-flash``, ``qwen-omni-turbo``… (see ``qwen_omni.known_models()``)."""

    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("DASHSCOPE_API_KEY", default=None),
        alias="dashscope_api_key",
    )
    """DashScope API key; read from ``DASHSCOPE_API_KEY`` when not given. Never shown in
    ``repr`` or serialized."""

    region: str | None = None
    """``beijing`` (default), ``singapore`` or ``us`` (or ``QWEN_OMNI_REGION``); ignored for
    the endpoint when ``base_url`` is set."""

    base_url: str | None = Field(default=None, alias="api_base")
    """An OpenAI-compatible endpoint to use instead of the region's (``QWEN_OMNI_BASE_URL``):
    a workspace domain, a self-hosted vLLM, or the qwen-omni emulator."""

    dialect: Literal["dashscope", "vllm"] | None = None
    """Wire dialect of the endpoint: ``dashscope`` (default, or ``QWEN_OMNI_DIALECT``) or
    ``vllm`` for a self-hosted Qwen-Omni (raw base64 audio, ``audio_url``, ``tool_choice``
    "required")."""

    temperature: float | None = None
    """Sampling temperature in [0, 2); None: the model's default."""

    top_p: float | None = None
    """Nucleus sampling in (0, 1]; None: the model's default."""

    top_k: int | None = None
    """Top-k sampling; None: the model's default."""

    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    """Max tokens to generate; None: the model's maximum."""

    seed: int | None = None
    """Sampling seed in [0, 2^31 - 1]."""

    presence_penalty: float | None = None
    """Presence penalty in [-2, 2]."""

    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Stop sequences."""

    modalities: list[Literal["text", "audio"]] | None = None
    """Output modalities: ``["text"]`` (default) or ``["text", "audio"]`` for a spoken reply,
    returned as an ``audio`` content block (WAV)."""

    voice: str | None = None
    """Voice of the spoken reply (e.g. ``"Cherry"``, ``"Ethan"``); None: the model's default."""

    enable_thinking: bool | None = Field(default=None, alias="thinking")
    """Qwen3-Omni-Flash's thinking mode: reasoning streams first, into
    ``additional_kwargs["reasoning_content"]``. Cannot be combined with a spoken reply,
    JSON mode or a forced tool choice."""

    extra_body: dict[str, Any] | None = Field(default=None, alias="model_kwargs")
    """Extra top-level request fields, e.g. ``{"vl_high_resolution_images": True}``."""

    delivery: Any = None
    """How local files and bytes reach the service: ``"auto"`` (default: inline when small,
    else an upload), ``"inline"``, ``"oss"``, ``"dashscope_temp"``, or a configured
    ``qwen_omni.delivery.MediaDelivery`` (e.g. with your OSS bucket)."""

    prepare: Literal["auto", "always", "never"] = "auto"
    """Local media preparation by the core: ``"auto"`` shrinks media too large to send inline
    (images to 1280×720, video to 720p at 4–8 fps, audio to mono MP3), ``"always"`` prepares
    every local medium to those budgets, ``"never"`` sends media as given."""

    image_budget: bool = True
    """Send images that carry no pixel bounds with the field guide's budget
    (``max_pixels=1280*720``, ``min_pixels=640*480``; a 1920×1080 photo costs 882 tokens instead
    of 1,224). False: the model's defaults. Bounds in an image block's ``min_pixels`` /
    ``max_pixels`` always win."""

    max_retries: int = 2
    """Retries of a request that failed before any output (429, 5xx, connection errors),
    with backoff that honours ``Retry-After``. A stream that breaks after output raises."""

    timeout: float | None = Field(default=None, alias="request_timeout")
    """Seconds to wait for the first byte and between chunks; None: the core's defaults
    (120 s, 900 s in all)."""

    max_concurrency: int | None = 16
    """Async only: at most this many requests of this model stream at once per event loop
    (None: no cap). Not set: the core's documented default
    (``qwen_omni.client.DEFAULT_MAX_CONCURRENCY``, 16), which logs a warning the first time it
    makes a request wait. A ``max_concurrency`` in the config of ``abatch`` /
    ``abatch_as_completed`` is honoured as given for that batch."""

    streaming: bool = False
    """Make ``invoke`` stream through callbacks (the service streams either way)."""

    @model_validator(mode="before")
    @classmethod
    def _unknown_arguments(cls, values: Any) -> Any:
        """Unknown constructor arguments are never dropped silently.

        A near miss of a field (``temprature``, ``max_token``) is refused with the field it
        resembles; any other name goes to ``model_kwargs`` (extra request fields) with a
        warning, as ``ChatOpenAI`` does.
        """
        if not isinstance(values, dict):
            return values
        known: set[str] = set()
        for name, info in cls.model_fields.items():
            known.add(name)
            if info.alias:
                known.add(info.alias)
        unknown = [k for k in values if k not in known]
        if not unknown:
            return values
        values = dict(values)
        for name in unknown:
            match = close_match(name, known)
            if match is not None:
                raise ValueError(
                    f"ChatQwenOmni got {name}={values[name]!r}: did you mean {match}? (an extra "
                    f"request field goes in model_kwargs={{{name!r}: ...}})"
                )
        extra_key = "model_kwargs" if "model_kwargs" in values else "extra_body"
        extra = dict(values.get(extra_key) or {})
        for name in unknown:
            warnings.warn(
                f"{name} is not a ChatQwenOmni parameter: it is sent as an extra request field "
                f"(model_kwargs). Please confirm that {name} is what you intended.",
                UserWarning,
                stacklevel=2,
            )
            extra[name] = values.pop(name)
        values[extra_key] = extra
        return values

    # --- LangChain plumbing ------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "qwen-omni-chat"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_qwen_omni", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "DASHSCOPE_API_KEY"}

    @property
    def _default_params(self) -> dict[str, Any]:
        params = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "presence_penalty": self.presence_penalty,
            "modalities": list(self.modalities) if self.modalities else None,
            "voice": self.voice,
            "enable_thinking": self.enable_thinking,
        }
        return {k: v for k, v in params.items() if v is not None}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model, **self._default_params}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "qwen_omni"
        params["ls_model_name"] = kwargs.get("model") or self.model
        params["ls_model_type"] = "chat"
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stops = stop or self.stop
        if stops:
            params["ls_stop"] = list(stops)
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        from langchain_qwen_omni._profile import profile_for

        return profile_for(self.model)

    # --- token counting (the core's media-aware estimator, not GPT-2) -------------------------

    def get_num_tokens(self, text: str) -> int:
        """Estimated tokens of ``text`` (``qwen_omni.media.text_tokens``: the service's
        tokenizer is not public; one per CJK character, one per four other characters)."""
        from qwen_omni.media import text_tokens

        return text_tokens(text)

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[Any] | None = None,
    ) -> int:
        """Estimated input tokens of ``messages`` (and ``tools``), media included.

        Local files and base64 media are measured with the service's token formulas
        (``qwen_omni.media.estimate_request``); media given as remote URLs is not fetched
        and counts 0. Works with ``trim_messages(token_counter=llm)``.
        """
        from qwen_omni.media import estimate_request

        specs = [convert_to_openai_tool(t) for t in tools] if tools else None
        estimate = estimate_request(to_core_messages(messages), self.model, tools=specs)
        return estimate.tokens.total

    # --- clients (created on first use) -------------------------------------------------------

    def __repr_args__(self) -> Any:
        # A password in base_url (https://user:pass@gateway/…) never shows in repr or str.
        from qwen_omni.redact import mask_userinfo

        for name, value in super().__repr_args__():
            yield name, mask_userinfo(value) if isinstance(value, str) else value

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key.get_secret_value() if self.api_key else None,
            "model": self.model,
            "region": self.region,
            "base_url": self.base_url,
            "dialect": self.dialect,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "delivery": self.delivery,
            "prepare": self.prepare,
            "image_budget": self.image_budget,
        }

    @cached_property
    def _client(self) -> OmniClient:
        from qwen_omni import OmniClient

        return OmniClient(**self._client_kwargs())

    @cached_property
    def _async_clients(self) -> PerLoop[dict[Any, AsyncOmniClient]]:
        # Per event loop, one client per concurrency cap in force (see _async_client).
        return PerLoop(dict)

    def _async_client(self) -> AsyncOmniClient:
        """The async client of the running event loop (an HTTP pool belongs to its loop) for
        the concurrency cap in force: the batch's, else this model's, else the core's."""
        from qwen_omni import AsyncOmniClient

        cap: Any = _BATCH_CONCURRENCY.get()
        if cap is _UNSET and "max_concurrency" in self.model_fields_set:
            cap = self.max_concurrency
        clients = self._async_clients.get()
        client = clients.get(cap)
        if client is None:
            cap_kwargs = {} if cap is _UNSET else {"max_concurrency": cap}
            client = clients[cap] = AsyncOmniClient(**cap_kwargs, **self._client_kwargs())
        return client

    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        """LangChain's ``abatch``; its ``max_concurrency`` also sets this model's cap on
        streams in flight for the batch (so an explicit 64 means 64, not the default 16)."""
        token = _BATCH_CONCURRENCY.set(_batch_cap(config))
        try:
            return await super().abatch(
                inputs, config, return_exceptions=return_exceptions, **kwargs
            )
        finally:
            _BATCH_CONCURRENCY.reset(token)

    async def abatch_as_completed(  # type: ignore[override]
        self,
        inputs: Sequence[LanguageModelInput],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> AsyncIterator[tuple[int, AIMessage | Exception]]:
        """LangChain's ``abatch_as_completed``, honouring its ``max_concurrency`` like
        :meth:`abatch`."""
        token = _BATCH_CONCURRENCY.set(_batch_cap(config))
        try:
            parent: Any = super().abatch_as_completed
            async for item in parent(inputs, config, return_exceptions=return_exceptions, **kwargs):
                yield item
        finally:
            _BATCH_CONCURRENCY.reset(token)

    # --- requests --------------------------------------------------------------------------

    def _request(
        self, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The model and the core request parameters of one call."""
        kw = dict(kwargs)
        for name in _LANGCHAIN_KWARGS:
            kw.pop(name, None)
        model = kw.pop("model", None) or self.model
        params: dict[str, Any] = {**self._default_params}
        stops = stop if stop is not None else self.stop
        if stops:
            params["stop"] = list(stops)
        extra = {**(self.extra_body or {}), **(kw.pop("extra_body", None) or {})}
        if extra:
            params["extra_body"] = extra
        params.update({k: v for k, v in kw.items() if v is not None})
        if "tool_choice" in params:
            # One policy for every surface (qwen_omni.rules): "any"/True/"required" become one
            # forced tool, "required" on vLLM, or "auto" with a warning on DashScope.
            params["tool_choice"] = resolve_tool_choice(
                params["tool_choice"],
                [t["function"]["name"] for t in params.get("tools") or () if "function" in t],
                spec=get_model(model),
                dialect=self._client.settings.dialect,
                enable_thinking=params.get("enable_thinking"),
            )
            if params["tool_choice"] is None:
                del params["tool_choice"]
        return model, params

    def _assembler(self, model: str, params: dict[str, Any]) -> ChunkAssembler:
        return ChunkAssembler(model=model, blocks=self._blocks(params))

    @staticmethod
    def _blocks(params: dict[str, Any]) -> bool:
        return "audio" in (params.get("modalities") or ())

    @translating_errors
    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        model, params = self._request(stop, kwargs)
        core_messages = to_core_messages(messages)
        assembler = self._assembler(model, params)
        with self._client.stream(core_messages, model=model, **params) as events:
            for event in events:
                chunk = assembler.on_event(event)
                if chunk is not None:
                    if run_manager:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
            last = assembler.last(events.tool_calls)
        if run_manager:
            run_manager.on_llm_new_token(last.text, chunk=last)
        yield last

    @atranslating_errors
    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        model, params = self._request(stop, kwargs)
        core_messages = to_core_messages(messages)
        assembler = self._assembler(model, params)
        async with self._async_client().stream(core_messages, model=model, **params) as events:
            async for event in events:
                chunk = assembler.on_event(event)
                if chunk is not None:
                    if run_manager:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
            last = assembler.last(events.tool_calls)
        if run_manager:
            await run_manager.on_llm_new_token(last.text, chunk=last)
        yield last

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # The core holds the whole answer: one message built from it, no chunk merging.
        # (With streaming callbacks, LangChain calls _stream instead.)
        model, params = self._request(stop, kwargs)
        try:
            response = self._client.complete(to_core_messages(messages), model=model, **params)
        except QwenOmniError as exc:
            _reraise(exc)
        message = message_from_response(response, model=model, blocks=self._blocks(params))
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        model, params = self._request(stop, kwargs)
        try:
            response = await self._async_client().complete(
                to_core_messages(messages), model=model, **params
            )
        except QwenOmniError as exc:
            _reraise(exc)
        blocks = self._blocks(params)
        if len(response.audio_pcm) > _INLINE_BUILD_BYTES:
            # Encoding minutes of audio takes tens of ms: not on the event loop.
            message = await asyncio.to_thread(
                message_from_response, response, model=model, blocks=blocks
            )
        else:
            message = message_from_response(response, model=model, blocks=blocks)
        return ChatResult(generations=[ChatGeneration(message=message)])

    # --- tools and structured output ---------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (pydantic classes, TypedDicts, functions, ``BaseTool``s, OpenAI dicts).

        Args:
            tools: the tools the model may call.
            tool_choice: ``"auto"``, ``"none"``, a tool name (forced), ``"any"``,
                ``"required"`` or ``True`` (a call is required: with one tool, that tool is
                forced), or an OpenAI ``{"type": "function", "function": {"name": ...}}``.
            parallel_tool_calls: let the model call several tools at once.
            strict: passed to the schema conversion (the service does not enforce it).
            kwargs: further request parameters bound with the tools.
        """
        formatted = [convert_to_openai_tool(t, strict=strict) for t in tools]
        names = [t["function"]["name"] for t in formatted if "function" in t]
        if tool_choice is not None and tool_choice is not False:
            # Checked now (an unknown tool name fails at bind time); resolved per call, where
            # the model, the endpoint's dialect and thinking are known.
            self._check_tool_choice(tool_choice, names)
            kwargs["tool_choice"] = tool_choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def _check_tool_choice(self, choice: Any, names: list[str]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the warning, if any, comes with the call
            resolve_tool_choice(choice, names, spec=get_model(self.model), dialect="vllm")

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredOutputMethod = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """A runnable that returns ``schema``-shaped output (pydantic, TypedDict, JSON schema).

        Args:
            schema: a pydantic class (parsed into an instance), a TypedDict or a JSON schema
                (parsed into a dict). Optional for ``json_mode`` (any JSON object).
            method: ``"function_calling"`` (default: the schema becomes a forced tool),
                ``"json_mode"`` (``response_format={"type": "json_object"}``; the prompt must
                mention JSON and describe the keys), or ``"json_schema"`` (served by
                function calling, since native JSON-schema output is not documented for
                Qwen-Omni).
            include_raw: return ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``.
            strict: passed to the schema conversion for tool calling.
        """
        if kwargs:
            raise ValueError(f"unsupported arguments: {sorted(kwargs)}")
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        parser: Runnable[Any, Any]
        if method in ("function_calling", "json_schema"):
            if schema is None:
                raise ValueError(f"method={method!r} needs a schema")
            tool_name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools(
                [schema],
                tool_choice=tool_name,
                strict=strict,
                ls_structured_output_format={
                    "kwargs": {"method": method, "strict": strict},
                    "schema": schema,
                },
            )
            if is_pydantic:
                parser = PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            else:
                parser = JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)
        elif method == "json_mode":
            llm = self.bind(
                response_format={"type": "json_object"},
                ls_structured_output_format={
                    "kwargs": {"method": "json_mode"},
                    "schema": schema,
                },
            )
            if is_pydantic:
                parser = PydanticOutputParser(pydantic_object=schema)  # type: ignore[arg-type]
            else:
                parser = JsonOutputParser()
        else:
            raise ValueError(
                f"unknown method {method!r}: use 'function_calling', 'json_mode' or 'json_schema'"
            )
        if include_raw:
            parser_assign = RunnablePassthrough.assign(
                parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
            )
            parser_none = RunnablePassthrough.assign(parsed=lambda _: None)
            with_fallback = parser_assign.with_fallbacks(
                [parser_none], exception_key="parsing_error"
            )
            return RunnableMap(raw=llm) | with_fallback
        return llm | parser


def _reraise(exc: QwenOmniError) -> NoReturn:
    """A core error in LangChain's taxonomy (as the streaming paths raise it)."""
    mapped = to_langchain_error(exc)
    if mapped is exc:
        raise exc
    raise mapped from exc


def _batch_cap(config: Any) -> Any:
    """The ``max_concurrency`` a batch config sets (the first config's, as LangChain reads
    it), or _UNSET."""
    first = config[0] if isinstance(config, (list, tuple)) and config else config
    if isinstance(first, dict) and first.get("max_concurrency") is not None:
        return first["max_concurrency"]
    return _UNSET
