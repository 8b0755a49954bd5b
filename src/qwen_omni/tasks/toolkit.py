"""``AsyncOmniTasks`` and ``OmniTasks``: the tools, sharing one client, one policy, one limit.

Direct calls (``await tasks.analyze_video(path, question)``) are the user's own: they read what
the user names. Agent calls go through :meth:`AsyncOmniTasks.run_tool` (what the LangChain,
LlamaIndex and MCP wrappers use): the arguments are validated, the access policy applies, and
failures the agent can act on come back as a :class:`~qwen_omni.tasks.refusal.ToolRefusal`.

The tool methods are generated from :data:`~qwen_omni.tasks.registry.TOOLS`: each takes the
tool's required arguments positionally and the optional ones by keyword, plus ``progress=``
and the tool's own extras (``model=``, ``on_text=``, ``schema=``, ``summary_model=``…).
Each call gets a :class:`~qwen_omni.tasks.context.TaskContext`; tasks never reach back here.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from qwen_omni.catalog import ModelSpec
from qwen_omni.client import AsyncOmniClient
from qwen_omni.content import Part
from qwen_omni.loops import BlockingRunner
from qwen_omni.response import OmniResponse
from qwen_omni.tasks import pipeline
from qwen_omni.tasks.context import (
    DEFAULT_SEGMENT_SECONDS,
    DEFAULT_SUMMARY_MODEL,
    TaskContext,
    TaskSettings,
    Transcriber,
)
from qwen_omni.tasks.pipeline import JsonOutcome, Piece, SegmentStream
from qwen_omni.tasks.policy import AccessPolicy
from qwen_omni.tasks.progress import ProgressCallback
from qwen_omni.tasks.refusal import ToolRefusal
from qwen_omni.tasks.registry import TOOLS, get_tool
from qwen_omni.tasks.sources import ResolvedMedia
from qwen_omni.tasks.tool import ToolDef
from qwen_omni.tasks.tools.transcribe import transcriber_for

__all__ = ["DEFAULT_SUMMARY_MODEL", "AsyncOmniTasks", "JsonOutcome", "OmniTasks", "Piece"]

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

def _signature(tool: ToolDef) -> inspect.Signature:
    """``(source, question, *, optional..., progress=None, **options)`` for a tool's method."""
    params = []
    optional = []
    for name, info in tool.input_model.model_fields.items():
        if info.is_required():
            params.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD))
        else:
            optional.append(
                inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=info.default)
            )
    progress = inspect.Parameter("progress", inspect.Parameter.KEYWORD_ONLY, default=None)
    options = inspect.Parameter("options", inspect.Parameter.VAR_KEYWORD)
    return inspect.Signature([*params, *optional, progress, options])


def _arguments(tool: ToolDef, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[
    BaseModel, dict[str, Any]
]:
    """The tool's input model from a method call, and the extras that are not arguments."""
    fields = tool.input_model.model_fields
    required = [n for n, f in fields.items() if f.is_required()]
    if len(args) > len(required):
        raise TypeError(
            f"{tool.name}() takes {len(required)} positional argument(s) "
            f"({', '.join(required)}), {len(args)} given"
        )
    arguments = dict(zip(required, args, strict=False))
    options = {}
    for key, value in kwargs.items():
        if key in fields:
            if key in arguments:
                raise TypeError(f"{tool.name}() got multiple values for {key!r}")
            arguments[key] = value
        else:
            options[key] = value
    return tool.input_model.model_validate(arguments), options


def _tool_named(owner: object, name: str) -> ToolDef:
    """The registry's tool ``name``, or the AttributeError ``getattr`` expects."""
    try:
        return get_tool(name)
    except KeyError:
        raise AttributeError(f"{type(owner).__name__!r} object has no attribute {name!r}") from None


F = TypeVar("F", bound=Callable[..., Any])


def _as_tool_method(method: F, tool: ToolDef) -> F:
    """Name, describe and sign a generated method as the tool (help(), IDEs, agents)."""
    method.__name__ = method.__qualname__ = tool.name
    method.__doc__ = tool.description
    method.__signature__ = _signature(tool)  # type: ignore[attr-defined]
    return method


class AsyncOmniTasks:
    """The agent tools, async, over one shared :class:`~qwen_omni.AsyncOmniClient`.

    Example::

        tasks = AsyncOmniTasks(policy=AccessPolicy(roots=["/srv/media"]))
        result = await tasks.did_call_mention("call.mp3", ["pricing", "a refund"])
        refusal_or_result = await tasks.run_tool("analyze_video", {"source": "...", ...})

    Every tool of :data:`~qwen_omni.tasks.TOOLS` is a method (``analyze_video``,
    ``analyze_image``, ``analyze_audio``, ``did_call_mention``, ``caption_product_video``,
    ``summarize_long_video``, ``transcribe``…).

    Args:
        client: the client to share; by default one is created from ``client_kwargs`` (and the
            environment), with ``max_concurrency`` requests at most.
        policy: the access policy for agent calls (:meth:`run_tool`). Default: no local files,
            public http(s) URLs only.
        model: the Omni model (default: the client's, ``qwen3-omni-flash``).
        summary_model: the text model of the final long-video summary (``qwen-plus``).
        asr_model: a speech-recognition model for ``transcribe`` (``paraformer-v2``,
            ``qwen3-asr-flash``); None: Qwen-Omni transcribes.
        transcriber: a custom :class:`~qwen_omni.tasks.Transcriber` (wins over ``asr_model``).
        max_concurrency: segments analysed at once by one ``summarize_long_video`` call.
        segment_seconds: default segment length for long video (capped at the model's limit).
        json_mode: send ``response_format={"type": "json_object"}`` for JSON tools (dropped
            automatically if the service rejects it for a model).
        price_region: region whose list prices compute costs (default: the client's region,
            else Beijing).
        workdir: where temporary files go (downloads, segments); default the system temp dir.
        prepare: prepare local media before sending (resize, fps preset, audio track) with
            :mod:`qwen_omni.media`; False sends files as they are, and the client it creates
            does not prepare either (``prepare="never"``).
    """

    def __init__(
        self,
        client: AsyncOmniClient | None = None,
        *,
        policy: AccessPolicy | None = None,
        model: str | None = None,
        summary_model: str = DEFAULT_SUMMARY_MODEL,
        asr_model: str | None = None,
        transcriber: Transcriber | None = None,
        max_concurrency: int = 8,
        segment_seconds: float = DEFAULT_SEGMENT_SECONDS,
        json_mode: bool = True,
        price_region: str | None = None,
        workdir: str | Path | None = None,
        prepare: bool = True,
        **client_kwargs: Any,
    ) -> None:
        # Validated once, by the settings type every call snapshots.
        TaskSettings(max_concurrency=max_concurrency, segment_seconds=segment_seconds)
        if client is not None and client_kwargs:
            raise TypeError("pass either client= or client arguments, not both")
        if client is None and not prepare:
            # "don't prepare" means the client too: its default ("auto") would shrink media
            client_kwargs.setdefault("prepare", "never")
        self.client: AsyncOmniClient = client or AsyncOmniClient(**client_kwargs)
        self._owns_client = client is None
        self.policy: AccessPolicy = policy or AccessPolicy()
        self._model = model
        self.summary_model = summary_model
        self.asr_model = asr_model
        self.transcriber: Transcriber = transcriber or transcriber_for(asr_model)
        self.max_concurrency = max_concurrency
        self.segment_seconds = segment_seconds
        self.json_mode = json_mode
        self._json_unsupported: set[str] = set()
        self._price_region = price_region
        self.workdir = str(workdir) if workdir is not None else None
        self.prepare_media = prepare

    # --- the context of a call ------------------------------------------------------------------

    def context(
        self, *, policy: AccessPolicy | None = None, progress: ProgressCallback | None = None
    ) -> TaskContext:
        """What one call receives: the client, the current settings, ``policy`` (None: the
        user's own call) and ``progress``."""
        settings = TaskSettings(
            model=self._model,
            summary_model=self.summary_model,
            max_concurrency=self.max_concurrency,
            segment_seconds=self.segment_seconds,
            json_mode=self.json_mode,
            price_region=self._price_region,
            workdir=self.workdir,
            prepare=self.prepare_media,
        )
        return TaskContext(
            client=self.client,
            settings=settings,
            transcriber=self.transcriber,
            policy=policy,
            progress=progress,
            json_unsupported=self._json_unsupported,
        )

    # --- configuration ------------------------------------------------------------------------

    @property
    def model(self) -> str:
        """The Omni model the tools use."""
        return self._model or self.client.model

    def spec(self, model: str | None = None) -> ModelSpec:
        """Catalog facts of ``model`` (default: :attr:`model`)."""
        return self.context().spec(model)

    @property
    def price_region(self) -> str | None:
        """Region whose list prices compute costs."""
        return self._price_region or self.client.settings.region

    def segment_length(self, requested: float | None, spec: ModelSpec) -> float:
        """Segment length: requested or default, never over the model's video limit."""
        return self.context().segment_length(requested, spec)

    def with_policy(self, policy: AccessPolicy) -> AsyncOmniTasks:
        """A view of these tasks with another agent policy (same client)."""
        clone = object.__new__(AsyncOmniTasks)
        clone.__dict__.update(self.__dict__)
        clone.policy = policy
        clone._owns_client = False
        return clone

    async def aclose(self) -> None:
        """Close the client if these tasks created it."""
        if self._owns_client:
            await self.client.close()

    async def __aenter__(self) -> AsyncOmniTasks:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- the pipeline's steps, for callers composing their own jobs -----------------------------

    async def ask(
        self,
        parts: Sequence[Part],
        prompt: str,
        *,
        model: str | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> OmniResponse:
        """One user message (media first, then the prompt); see :func:`.pipeline.ask`."""
        return await pipeline.ask(self.context(), parts, prompt, model=model, on_text=on_text)

    async def ask_json(
        self,
        parts: Sequence[Part],
        prompt: str,
        schema: type[T],
        *,
        model: str | None = None,
        check: Any = None,
    ) -> JsonOutcome[T]:
        """A JSON answer validated by ``schema``; see :func:`.pipeline.ask_json`."""
        return await pipeline.ask_json(
            self.context(), parts, prompt, schema, model=model, check=check
        )

    def scratch(self) -> tempfile.TemporaryDirectory[str]:
        """A temporary directory for one tool call (prepared files, downloads, segments)."""
        return self.context().scratch()

    async def prepare(
        self, media: ResolvedMedia, spec: ModelSpec, workdir: Path, *, audio_only: bool = False
    ) -> ResolvedMedia:
        """A local medium prepared to budget; see :func:`.pipeline.prepare`."""
        return await pipeline.prepare(
            self.context(), media, spec, workdir, audio_only=audio_only
        )

    async def localize(
        self, media: ResolvedMedia, workdir: Path, *, policy: AccessPolicy | None
    ) -> ResolvedMedia:
        """A local copy of a URL medium (downloaded through ``policy``), probed."""
        return await pipeline.localize(self.context(policy=policy), media, workdir)

    async def split(
        self, media: ResolvedMedia, seconds: float, spec: ModelSpec, workdir: Path
    ) -> list[Piece]:
        """Segments of a local video with their time ranges; see :func:`.pipeline.split`."""
        return await pipeline.split(self.context(), media, seconds, spec, workdir)

    async def segment_stream(
        self, media: ResolvedMedia, seconds: float, spec: ModelSpec, workdir: Path
    ) -> SegmentStream:
        """The segments of a local video, each ready as soon as it exists; see
        :func:`.pipeline.segment_stream`."""
        return await pipeline.segment_stream(self.context(), media, seconds, spec, workdir)

    # --- the tools --------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes: the tools of the registry.
        tool = _tool_named(self, name)

        async def method(*args: Any, progress: ProgressCallback | None = None, **kw: Any) -> Any:
            inp, options = _arguments(tool, args, kw)
            return await tool.job(self.context(progress=progress), inp, **options)

        return _as_tool_method(method, tool)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(t.name for t in TOOLS)})

    # --- the agent path -------------------------------------------------------------------------

    async def run_tool(
        self,
        name: str,
        arguments: BaseModel | Mapping[str, Any] | str,
        *,
        progress: ProgressCallback | None = None,
    ) -> BaseModel:
        """Run tool ``name`` for an agent: the result, or a ``ToolRefusal``.

        ``arguments`` is the input model, a dict, or a JSON string. Invalid arguments, policy
        refusals, unusable media, invalid model output twice and service trouble come back as
        a ``ToolRefusal``; configuration errors and bugs raise.
        """
        try:
            tool = get_tool(name)
        except KeyError:
            # An agent naming a tool that does not exist is its mistake, not a crash.
            return ToolRefusal(
                kind="invalid_arguments",
                message=f"there is no tool named {str(name)[:80]!r}; the tools are: "
                + ", ".join(t.name for t in TOOLS),
                reason="unknown_tool",
            )
        return await tool.arun(self, arguments, progress=progress)


# --- the sync facade ----------------------------------------------------------------------------


class OmniTasks:
    """The agent tools, synchronous: the same arguments as :class:`AsyncOmniTasks`.

    Calls run on a private event loop in a background thread, so this works from plain
    scripts and from frameworks that call tools synchronously (also inside a running loop).
    ``.aio`` is the underlying :class:`AsyncOmniTasks`; every tool is a method here too.
    """

    def __init__(self, client: AsyncOmniClient | None = None, **kwargs: Any) -> None:
        self.aio = AsyncOmniTasks(client, **kwargs)
        self._runner = BlockingRunner("qwen-omni-tasks")

    def _run(self, coro: Coroutine[Any, Any, R]) -> R:
        return self._runner.run(coro)

    @property
    def policy(self) -> AccessPolicy:
        """The access policy of agent calls."""
        return self.aio.policy

    def close(self) -> None:
        """Close the client (if created here) and stop the background loop."""
        self._runner.close(self.aio.aclose)

    def __enter__(self) -> OmniTasks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        tool = _tool_named(self, name)
        async_method = getattr(self.aio, name)

        def method(*args: Any, **kw: Any) -> Any:
            return self._run(async_method(*args, **kw))

        return _as_tool_method(method, tool)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(t.name for t in TOOLS)})

    def run_tool(
        self,
        name: str,
        arguments: BaseModel | Mapping[str, Any] | str,
        *,
        progress: ProgressCallback | None = None,
    ) -> BaseModel:
        """Run tool ``name`` for an agent: the result, or a ``ToolRefusal``."""
        return self._run(self.aio.run_tool(name, arguments, progress=progress))
