"""``QwenOmni``: Qwen-Omni as a LlamaIndex multimodal, function-calling LLM."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SecretStr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection

from llama_index.llms.qwen_omni.utils import (
    ChatStreamAssembler,
    force_single_tool_call,
    to_omni_messages,
    tool_calls_from_message,
)
from qwen_omni import AsyncOmniClient, OmniClient, RequestParams, get_model
from qwen_omni.catalog import planning_window
from qwen_omni.config import DEFAULT_MODEL
from qwen_omni.loops import PerLoop
from qwen_omni.rules import close_match, resolve_tool_choice

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from qwen_omni.client import AsyncOmniStream, OmniStream

__all__ = ["QwenOmni"]

#: Request parameters a call may pass (besides ``model`` and ``extra_headers``).
_PARAM_NAMES = frozenset(RequestParams.model_fields)
#: The generation fields of ``QwenOmni`` that become request parameters when set.
_FIELD_PARAMS = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "seed",
    "presence_penalty",
    "repetition_penalty",
    "enable_thinking",
    "modalities",
    "voice",
)


class QwenOmni(FunctionCallingLLM):
    """Qwen-Omni (text, image, audio and video in; text and speech out) for LlamaIndex.

    A multimodal LLM in the LlamaIndex 0.14 sense: it reads ``ChatMessage.blocks`` —
    ``TextBlock``, ``ImageBlock``, ``AudioBlock`` and ``VideoBlock`` (with ``fps``), each from
    a URL, a local path or bytes — and answers with text, thinking, tool calls and, on request,
    a spoken reply as an ``AudioBlock``. Every method streams underneath, because the service
    only streams; ``chat``/``complete`` gather the stream, the async methods are truly async.

    Examples:
        ``pip install llama-index-qwen-omni``

        ```python
        from llama_index.core.llms import ChatMessage, TextBlock, VideoBlock
        from llama_index.llms.qwen_omni import QwenOmni

        llm = QwenOmni(model="qwen3-omni-flash")        # key from DASHSCOPE_API_KEY
        msg = ChatMessage(role="user", blocks=[
            VideoBlock(path="clip.mp4", fps=2),
            TextBlock(text="What happens in this clip?"),
        ])
        print(llm.chat([msg]).message.content)

        for chunk in llm.stream_chat([msg]):            # streaming
            print(chunk.delta, end="")

        speaker = QwenOmni(modalities=["text", "audio"], voice="Cherry")
        reply = speaker.chat([ChatMessage(role="user", content="Say hi")])
        wav = reply.message.blocks[-1].resolve_audio().read()   # AudioBlock, WAV 24 kHz
        ```

        Tools and structured output work through the usual LlamaIndex APIs:
        ``FunctionAgent(llm=llm, tools=[...])``, ``llm.structured_predict(Model, prompt)``,
        ``llm.as_structured_llm(Model)``.

    Media rules are the model's (checked before sending, with a ``RequestValidationError``
    naming the fix): e.g. ``qwen3-omni-flash`` takes text plus ONE other modality per user
    message and one video or audio file per request; ``qwen3.5-omni-plus`` mixes freely.
    ``DocumentBlock`` is refused: extract its text first. Local files and bytes are delivered
    by qwen-omni (inline data URI, or an upload with ``delivery="oss"``).

    Args:
        model: the Qwen-Omni model id (default ``qwen3-omni-flash``).
        api_key: DashScope API key; default ``DASHSCOPE_API_KEY``. Never serialized or shown.
        base_url (or ``api_base``): any OpenAI-compatible endpoint (region domain, workspace,
            self-hosted vLLM, local emulator).
        region: ``beijing``, ``singapore`` or ``us`` (picks the endpoint when no base_url).
        dialect: ``dashscope`` (default) or ``vllm`` for a self-hosted Qwen-Omni.
        context_window: the window LlamaIndex plans with (memory, prompt helper); default the
            catalog's, and a conservative 32,768 for models the catalog does not know.
        Unknown constructor arguments raise ``TypeError`` (request parameters go in
        ``additional_kwargs``).
        client / async_client: ready ``OmniClient`` / ``AsyncOmniClient`` to use instead.
    """

    model: str = Field(default=DEFAULT_MODEL, description="The Qwen-Omni model id.")
    base_url: Optional[str] = Field(
        default=None,
        description="OpenAI-compatible endpoint; default from the region (or QWEN_OMNI_BASE_URL).",
    )
    region: Optional[str] = Field(
        default=None, description="DashScope region: beijing, singapore or us."
    )
    dialect: Optional[Literal["dashscope", "vllm"]] = Field(
        default=None,
        description="Wire dialect: dashscope (default, or QWEN_OMNI_DIALECT) or vllm.",
    )
    context_window: Optional[int] = Field(
        default=None,
        gt=0,
        description=(
            "Context window reported to LlamaIndex; default the catalog's (32,768 for models "
            "the catalog does not know)."
        ),
    )
    temperature: Optional[float] = Field(
        default=None, ge=0, lt=2, description="Sampling temperature in [0, 2)."
    )
    top_p: Optional[float] = Field(default=None, gt=0, le=1, description="Nucleus sampling.")
    top_k: Optional[int] = Field(default=None, ge=0, description="Top-k sampling.")
    max_tokens: Optional[int] = Field(
        default=None, ge=1, description="Max output tokens; default the model's maximum."
    )
    seed: Optional[int] = Field(default=None, ge=0, description="Sampling seed.")
    presence_penalty: Optional[float] = Field(default=None, ge=-2, le=2)
    repetition_penalty: Optional[float] = Field(default=None, gt=0)
    enable_thinking: Optional[bool] = Field(
        default=None,
        description="Stream reasoning before the answer (qwen3-omni-flash; text output only).",
    )
    modalities: Optional[list[Literal["text", "audio"]]] = Field(
        default=None,
        description='["text", "audio"] for a spoken reply (an AudioBlock in the message).',
    )
    voice: Optional[str] = Field(
        default=None, description="Voice of the spoken reply (e.g. Cherry); model default if None."
    )
    timeout: Optional[float] = Field(
        default=None, gt=0, description="Seconds to wait for the first byte and in all."
    )
    max_retries: int = Field(
        default=2, ge=0, description="Retries of 429/5xx/connection failures before any output."
    )
    delivery: Optional[str] = Field(
        default=None,
        description="How local media reaches the service: auto, inline, oss or dashscope_temp.",
    )
    prepare: str = Field(
        default="auto",
        description=(
            "Local media preparation: auto (shrink media too large to send inline to the "
            "field guide's budgets), always, or never."
        ),
    )
    image_budget: bool = Field(
        default=True,
        description=(
            "Send images without pixel bounds with the field guide's budget (max_pixels="
            "1280*720, min_pixels=640*480); False: the model's defaults. Per image, "
            "ImageBlock.detail='low' (≤ 640×480), 'high' (the model's default cap) or "
            "'max_pixels=N[,min_pixels=M]' overrides it."
        ),
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="More request parameters sent on every call (e.g. extra_body, stop).",
    )

    _api_key: Optional[SecretStr] = PrivateAttr(default=None)
    _client: Optional[OmniClient] = PrivateAttr(default=None)
    _client_key: Optional[tuple[Any, ...]] = PrivateAttr(default=None)
    _given_client: Optional[OmniClient] = PrivateAttr(default=None)
    _given_async_client: Optional[AsyncOmniClient] = PrivateAttr(default=None)
    # One async client per event loop: an HTTP pool belongs to the loop that opened it.
    _async_clients: Any = PrivateAttr(default=None)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: Optional[Union[str, SecretStr]] = None,
        client: Optional[OmniClient] = None,
        async_client: Optional[AsyncOmniClient] = None,
        api_base: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if api_base is not None:
            # OpenAI-style name of base_url (LlamaIndex's OpenAI/OpenAILike use it).
            if kwargs.get("base_url") not in (None, api_base):
                raise TypeError("QwenOmni got both base_url and api_base: pass one of them")
            kwargs["base_url"] = api_base
        unknown = sorted(set(kwargs) - set(type(self).model_fields))
        if unknown:
            hints = []
            for name in unknown:
                match = close_match(name, [*type(self).model_fields, "api_key", "api_base"])
                hints.append(f"{name} (did you mean {match}?)" if match else name)
            raise TypeError(
                f"QwenOmni got unexpected argument(s) {', '.join(hints)}; request parameters "
                "go in additional_kwargs={...}"
            )
        super().__init__(model=model, **kwargs)
        if api_key is not None:
            self._api_key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._given_client = client
        self._given_async_client = async_client

    def __repr_args__(self) -> Any:
        # A password in base_url (https://user:pass@gateway/…) never shows in repr or str.
        from qwen_omni.redact import mask_userinfo

        for name, value in super().__repr_args__():
            yield name, mask_userinfo(value) if isinstance(value, str) else value

    @classmethod
    def class_name(cls) -> str:
        return "QwenOmni_LLM"

    @property
    def metadata(self) -> LLMMetadata:
        """Context window, output limit and tool support of the model, from the catalog."""
        spec = get_model(self.model)
        return LLMMetadata(
            context_window=self.context_window or planning_window(spec)[0],
            num_output=self.max_tokens or spec.max_output_tokens,
            is_chat_model=True,
            is_function_calling_model=spec.tools,
            model_name=self.model,
            system_role=MessageRole.SYSTEM,
        )

    # --- token counting -----------------------------------------------------------------------

    @property
    def tokenizer(self) -> Callable[[str], list[int]]:
        """LlamaIndex's tokenizer hook, counting with the core's estimate.

        ``Settings.tokenizer = llm.tokenizer`` or ``TokenCountingHandler(tokenizer=...)``:
        ``len(llm.tokenizer(text))`` is ``qwen_omni.media.text_tokens(text)`` (the service's
        tokenizer is not public). The ids are placeholders: only their count is meaningful.
        """
        from qwen_omni.media import text_tokens

        def encode(text: str) -> list[int]:
            return list(range(text_tokens(text)))

        return encode

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Estimated input tokens of ``messages``, media included (local and inline media are
        measured with the service's formulas; remote URLs count 0)."""
        from qwen_omni.media import estimate_request

        return estimate_request(to_omni_messages(messages), self.model).tokens.total

    # --- clients ------------------------------------------------------------------------------

    def _client_settings(self) -> tuple[Any, ...]:
        # The key stays a SecretStr here (it compares by value); it is unwrapped only for the
        # client, which keeps it secret in turn.
        return (
            self._api_key,
            self.model,
            self.base_url,
            self.region,
            self.dialect,
            self.timeout,
            self.max_retries,
            self.delivery,
            self.prepare,
            self.image_budget,
        )

    def _new_client(self, cls: type[Any]) -> Any:
        given = self._given_client or self._given_async_client
        if given is not None:
            # Only one kind of client was given: the other one talks to the same endpoint.
            s = given.settings
            return cls(
                api_key=s.api_key.get_secret_value() if s.api_key else None,
                model=s.model,
                base_url=s.base_url,
                dialect=s.dialect,
                timeout=s.timeouts,
                max_retries=s.max_retries,
                delivery=given.delivery,
                prepare=given.prepare,
                image_budget=given.image_budget,
            )
        return cls(
            api_key=self._api_key.get_secret_value() if self._api_key else None,
            model=self.model,
            base_url=self.base_url,
            region=self.region,
            dialect=self.dialect,
            timeout=self.timeout,
            max_retries=self.max_retries,
            delivery=self.delivery,
            prepare=self.prepare,
            image_budget=self.image_budget,
        )

    @property
    def client(self) -> OmniClient:
        """The synchronous core client (created on first use)."""
        if self._given_client is not None:
            return self._given_client
        key = self._client_settings()
        if self._client is None or self._client_key != key:
            # First use, or the settings changed since (fields are mutable): (re)build it.
            self._client = self._new_client(OmniClient)
            self._client_key = key
        return self._client

    @property
    def async_client(self) -> AsyncOmniClient:
        """The async core client of the running event loop (created on first use)."""
        if self._given_async_client is not None:
            return self._given_async_client
        if self._async_clients is None:
            self._async_clients = PerLoop(lambda: self._new_client(AsyncOmniClient))
        # Rebuilt when the settings changed since (fields are mutable).
        client: AsyncOmniClient = self._async_clients.get(self._client_settings())
        return client

    def close(self) -> None:
        """Close the HTTP pool of the synchronous client (it reopens on next use)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close the HTTP pool of this event loop's async client (it reopens on next use)."""
        client = self._async_clients.pop() if self._async_clients is not None else None
        if client is not None:
            await client.close()

    # --- requests -----------------------------------------------------------------------------

    def _request_params(self, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The model and request parameters of one call: fields, then additional_kwargs, then
        the call's own keyword arguments. Unknown names raise (a typo must not pass silently)."""
        kwargs = dict(kwargs)
        model = kwargs.pop("model", None) or self.model
        params: dict[str, Any] = {}
        for name in _FIELD_PARAMS:
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        params.update(self.additional_kwargs)
        params.update({k: v for k, v in kwargs.items() if v is not None})
        unknown = sorted(set(params) - _PARAM_NAMES - {"extra_headers"})
        if unknown:
            raise TypeError(
                f"QwenOmni got unexpected request parameter(s) {', '.join(unknown)}; "
                f"accepted: {', '.join(sorted(_PARAM_NAMES))}, model, extra_headers"
            )
        return model, params

    def _open(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> OmniStream:
        # Opening converts and checks the request now, so a bad request raises at the call,
        # not at the first iteration; nothing is sent until the stream is read.
        model, params = self._request_params(kwargs)
        return self.client.stream(to_omni_messages(messages), model=model, **params)

    def _aopen(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> AsyncOmniStream:
        model, params = self._request_params(kwargs)
        return self.async_client.stream(to_omni_messages(messages), model=model, **params)

    @staticmethod
    def _chunks(stream: OmniStream) -> ChatResponseGen:
        with stream:
            assembler = ChatStreamAssembler(lambda: stream.response, stream.partial_tool_calls)
            for event in stream:
                chunk = assembler.on_event(event)
                if chunk is not None:
                    yield chunk
            yield assembler.finish()

    @staticmethod
    async def _achunks(stream: AsyncOmniStream) -> ChatResponseAsyncGen:
        async with stream:
            assembler = ChatStreamAssembler(lambda: stream.response, stream.partial_tool_calls)
            async for event in stream:
                chunk = assembler.on_event(event)
                if chunk is not None:
                    yield chunk
            yield assembler.finish()

    @staticmethod
    def _prompt_messages(prompt: str) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    @staticmethod
    def _to_completion(chunk: ChatResponse) -> CompletionResponse:
        return CompletionResponse(
            text=chunk.message.content or "",
            delta=chunk.delta,
            raw=chunk.raw,
            additional_kwargs=dict(chunk.additional_kwargs),
        )

    # --- chat ---------------------------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Send the messages and return the whole answer (gathered from the stream)."""
        last: ChatResponse | None = None
        for last in self._chunks(self._open(messages, kwargs)):  # noqa: B007
            pass
        assert last is not None  # the last chunk always comes
        return last

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the answer: each chunk holds the message so far and the new ``delta``."""
        return self._chunks(self._open(messages, kwargs))

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async ``chat``."""
        last: ChatResponse | None = None
        async for last in self._achunks(self._aopen(messages, kwargs)):  # noqa: B007
            pass
        assert last is not None
        return last

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async ``stream_chat``: await it to get an async generator of chunks."""
        return self._achunks(self._aopen(messages, kwargs))

    # --- complete -----------------------------------------------------------------------------

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Answer a text prompt (one user message)."""
        last: ChatResponse | None = None
        for last in self._chunks(self._open(self._prompt_messages(prompt), kwargs)):  # noqa: B007
            pass
        assert last is not None
        return self._to_completion(last)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream the answer to a text prompt."""
        stream = self._open(self._prompt_messages(prompt), kwargs)

        def gen() -> CompletionResponseGen:
            for chunk in self._chunks(stream):
                yield self._to_completion(chunk)

        return gen()

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Async ``complete``."""
        last: ChatResponse | None = None
        async for last in self._achunks(  # noqa: B007
            self._aopen(self._prompt_messages(prompt), kwargs)
        ):
            pass
        assert last is not None
        return self._to_completion(last)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Async ``stream_complete``: await it to get an async generator of chunks."""
        stream = self._aopen(self._prompt_messages(prompt), kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            async for chunk in self._achunks(stream):
                yield self._to_completion(chunk)

        return gen()

    # --- tools --------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: Optional[Union[str, ChatMessage]] = None,
        chat_history: Optional[list[ChatMessage]] = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Optional[Union[str, dict[str, Any]]] = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a tool-calling turn.

        ``tool_required`` (or ``tool_choice="required"``) forces the tool when there is exactly
        one; with several, ``"required"`` goes to a vLLM endpoint while DashScope, which has
        none, gets ``"auto"`` with a warning (``qwen_omni.rules.resolve_tool_choice``, the
        policy ``ChatQwenOmni`` applies too). ``tool_choice`` may also be ``"auto"``,
        ``"none"``, a tool name or an OpenAI-style dict; ``allow_parallel_tool_calls`` sends
        ``parallel_tool_calls=True``.
        """
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        out: dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            out["tools"] = specs
            # LlamaIndex's intent (tool_choice, else "required" when tool_required, else "auto")
            # through the one policy of every surface (qwen_omni.rules).
            intent = tool_choice if tool_choice is not None else (True if tool_required else "auto")
            model = kwargs.get("model") or self.model
            out["tool_choice"] = resolve_tool_choice(
                intent,
                [spec["function"]["name"] for spec in specs],
                spec=get_model(model),
                dialect=self.client.settings.dialect,
                enable_thinking=kwargs.get("enable_thinking", self.enable_thinking),
            )
            if allow_parallel_tool_calls:
                out["parallel_tool_calls"] = True
        return out

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            force_single_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls of a response (or of a streamed chunk: partial arguments tolerated)."""
        calls = tool_calls_from_message(response.message)
        if not calls and error_on_no_tool_call:
            raise ValueError(
                f"Expected at least one tool call, but got 0 tool calls; the model answered: "
                f"{(response.message.content or '')[:200]!r}"
            )
        return calls
