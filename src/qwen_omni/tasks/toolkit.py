"""``AsyncOmniTasks`` and ``OmniTasks``: the tools, sharing one client, one policy, one limit.

Direct calls (``await tasks.analyze_video(path, question)``) are the user's own: they read what
the user names. Agent calls go through :meth:`AsyncOmniTasks.run_tool` (what the LangChain,
LlamaIndex and MCP wrappers use): the arguments are validated, the access policy applies, and
failures the agent can act on come back as a :class:`~qwen_omni.tasks.refusal.ToolRefusal`.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from qwen_omni.catalog import ModelSpec, get_model
from qwen_omni.client import AsyncOmniClient
from qwen_omni.content import Message, Part, Text, audio, image, video
from qwen_omni.errors import BadRequestError, RequestValidationError
from qwen_omni.loops import BlockingRunner
from qwen_omni.response import OmniResponse, TextDelta, Usage
from qwen_omni.tasks.analyze import (
    AnalyzeAudioInput,
    AnalyzeImageInput,
    AnalyzeResult,
    AnalyzeVideoInput,
    run_analyze,
)
from qwen_omni.tasks.caption import (
    CaptionProductVideoInput,
    CaptionResult,
    ProductCaption,
    run_caption,
)
from qwen_omni.tasks.jsonout import (
    InvalidModelOutput,
    OutputValidationError,
    correction_prompt,
    parse_model_json,
    schema_prompt,
)
from qwen_omni.tasks.mention import DidCallMentionInput, MentionResult, run_mention
from qwen_omni.tasks.policy import AccessPolicy
from qwen_omni.tasks.progress import ProgressCallback
from qwen_omni.tasks.sources import Kind, ResolvedMedia, estimate_tokens, resolve_media
from qwen_omni.tasks.summarize import SummarizeLongVideoInput, SummaryResult, run_summarize
from qwen_omni.tasks.transcribe import (
    TranscribeInput,
    Transcriber,
    TranscriptResult,
    run_transcribe,
    transcriber_for,
)

__all__ = ["DEFAULT_SUMMARY_MODEL", "AsyncOmniTasks", "JsonOutcome", "OmniTasks", "Piece"]

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

#: The field guide's "summarize the summaries with qwen-plus".
DEFAULT_SUMMARY_MODEL = "qwen-plus"
#: The field guide's chunk length for long video.
DEFAULT_SEGMENT_SECONDS = 90.0


@dataclass
class JsonOutcome(Generic[T]):
    """A validated JSON answer: the value, the last response, how many requests it took."""

    value: T
    response: OmniResponse
    attempts: int
    repaired: bool
    earlier_usage: list[Usage] = field(default_factory=list)


@dataclass(frozen=True)
class Piece:
    """One segment of a split video: the medium to send and its range in the source."""

    media: ResolvedMedia
    start_s: float
    end_s: float


@dataclass
class SegmentStream:
    """The segments of a long video as they become ready.

    ``pieces[i]`` resolves when segment ``i`` is ready to send (at once for stream-copied
    segments; as its encode finishes for prepared ones), so requests go out while later
    segments are still being encoded. ``prepared``: the pieces need no further preparation.
    ``trades``: what the preparation gave up to fit the inline cap.
    """

    ranges: list[tuple[float, float]]
    pieces: list[asyncio.Future[Piece]]
    prepared: bool
    trades: tuple[str, ...] = ()
    _producer: asyncio.Future[None] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    async def close(self) -> None:
        """Stop encoding segments nobody will send, and wait for the encoder to let go of its
        files (they live in a directory about to be removed)."""
        self._stop.set()
        if self._producer is not None:
            await asyncio.gather(self._producer, return_exceptions=True)
        for future in self.pieces:
            if not future.done():
                future.cancel()


def _segment_piece(media: ResolvedMedia, seg: Any, how: str) -> Piece:
    """A segment file as a medium to send, its record naming the cut."""
    sent = media.sent.model_copy(
        update={
            "source": f"{media.sent.source} [{seg.start_s:.0f}–{seg.end_s:.0f} s]",
            "prepared": True,
            "preparation": [f"cut {seg.start_s:.1f}–{seg.end_s:.1f} s ({how})"],
            "bytes": seg.path.stat().st_size,
            "duration_s": round(seg.end_s - seg.start_s, 3),
            "estimated_tokens": None,
        }
    )
    piece = ResolvedMedia(part=video(seg.path), kind="video", sent=sent, path=seg.path)
    return Piece(piece, seg.start_s, seg.end_s)


class AsyncOmniTasks:
    """The agent tools, async, over one shared :class:`~qwen_omni.AsyncOmniClient`.

    Example::

        tasks = AsyncOmniTasks(policy=AccessPolicy(roots=["/srv/media"]))
        result = await tasks.did_call_mention("call.mp3", ["pricing", "a refund"])
        refusal_or_result = await tasks.run_tool("analyze_video", {"source": "...", ...})

    Args:
        client: the client to share; by default one is created from ``client_kwargs`` (and the
            environment), with ``max_concurrency`` requests at most.
        policy: the access policy for agent calls (:meth:`run_tool`). Default: no local files,
            public http(s) URLs only.
        model: the Omni model (default: the client's, ``qwen3-omni-flash``).
        summary_model: the text model of the final long-video summary (``qwen-plus``).
        asr_model: a speech-recognition model for ``transcribe`` (``paraformer-v2``,
            ``qwen3-asr-flash``); None: Qwen-Omni transcribes.
        transcriber: a custom :class:`~qwen_omni.tasks.transcribe.Transcriber` (wins over
            ``asr_model``).
        max_concurrency: segments analysed at once by one ``summarize_long_video`` call.
        segment_seconds: default segment length for long video (capped at the model's limit).
        json_mode: send ``response_format={"type": "json_object"}`` for JSON tools (dropped
            automatically if the service rejects it for a model).
        price_region: region whose list prices compute costs (default: the client's region,
            else Beijing).
        workdir: where temporary files go (downloads, segments); default the system temp dir.
        prepare: prepare local media before sending (resize, fps preset, audio track) with
            :mod:`qwen_omni.media`; False sends files as they are.
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
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if segment_seconds <= 0:
            raise ValueError(f"segment_seconds must be positive, got {segment_seconds}")
        if client is not None and client_kwargs:
            raise TypeError("pass either client= or client arguments, not both")
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

    # --- configuration ------------------------------------------------------------------------

    @property
    def model(self) -> str:
        """The Omni model the tools use."""
        return self._model or self.client.model

    def spec(self, model: str | None = None) -> ModelSpec:
        """Catalog facts of ``model`` (default: :attr:`model`)."""
        return get_model(model or self.model)

    @property
    def price_region(self) -> str | None:
        """Region whose list prices compute costs."""
        return self._price_region or self.client.settings.region

    def segment_length(self, requested: float | None, spec: ModelSpec) -> float:
        """Segment length: requested or default, never over the model's video limit."""
        seconds = requested or self.segment_seconds
        if spec.video_max_seconds is not None:
            seconds = min(seconds, spec.video_max_seconds)
        return seconds

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

    # --- requests -------------------------------------------------------------------------------

    def _params(self, spec: ModelSpec) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if spec.thinking == "default_on":
            # tools want the answer, and JSON mode refuses thinking
            params["enable_thinking"] = False
        return params

    async def ask(
        self,
        parts: Sequence[Part],
        prompt: str,
        *,
        model: str | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> OmniResponse:
        """One user message (media first, then the prompt); the whole answer.

        ``on_text`` receives the answer's text deltas as they stream (e.g. to print them).
        """
        spec = self.spec(model)
        content: list[Part] = [*parts]
        if prompt:
            content.append(Text(text=prompt))
        message = Message(role="user", content=tuple(content))
        if on_text is None:
            return await self.client.complete([message], model=spec.name, **self._params(spec))
        async with self.client.stream([message], model=spec.name, **self._params(spec)) as s:
            async for event in s:
                if isinstance(event, TextDelta):
                    on_text(event.text)
        return s.response

    async def _complete_json(self, messages: list[Message], spec: ModelSpec) -> OmniResponse:
        params = self._params(spec)
        if self.json_mode and spec.name not in self._json_unsupported:
            try:
                return await self.client.complete(
                    messages, model=spec.name, response_format={"type": "json_object"}, **params
                )
            except (BadRequestError, RequestValidationError) as exc:
                text = str(exc).lower()
                if "response_format" not in text and "json" not in text:
                    raise
                # JSON mode on Omni is UNCONFIRMED (reference §2): fall back to the prompt alone
                self._json_unsupported.add(spec.name)
        return await self.client.complete(messages, model=spec.name, **params)

    async def ask_json(
        self,
        parts: Sequence[Part],
        prompt: str,
        schema: type[T],
        *,
        model: str | None = None,
        check: Any = None,
    ) -> JsonOutcome[T]:
        """Ask for a JSON answer validated by ``schema`` (and ``check``).

        Syntax slips are repaired locally; an answer that still fails is sent back once with
        the errors; a second failure raises :class:`InvalidModelOutput`.
        """
        spec = self.spec(model)
        content: list[Part] = [*parts, Text(text=f"{prompt}\n\n{schema_prompt(schema)}")]
        messages = [Message(role="user", content=tuple(content))]
        first = await self._complete_json(messages, spec)
        try:
            value, repaired = parse_model_json(first.text, schema, check=check)
            return JsonOutcome(value, first, 1, repaired)
        except OutputValidationError as err:
            errors = err.errors
        retry = [
            *messages,
            # Echo a bounded excerpt: a runaway answer must not push the retry over the limit.
            Message(role="assistant", content=_excerpt(first.text) or "(empty)"),
            Message(role="user", content=correction_prompt(errors, schema)),
        ]
        second = await self._complete_json(retry, spec)
        earlier = [first.usage] if first.usage else []
        try:
            value, _ = parse_model_json(second.text, schema, check=check)
        except OutputValidationError as err2:
            ids = [i for i in (first.request_id, second.request_id) if i]
            raise InvalidModelOutput(
                f"{spec.name} did not return valid JSON for {schema.__name__} after a retry: "
                f"{err2.errors}",
                errors=err2.errors,
                raw=second.text,
                request_ids=ids,
            ) from None
        return JsonOutcome(value, second, 2, True, earlier)

    # --- media ----------------------------------------------------------------------------------

    def scratch(self) -> tempfile.TemporaryDirectory[str]:
        """A temporary directory for one tool call (prepared files, downloads, segments)."""
        return tempfile.TemporaryDirectory(prefix="qwen-omni-task-", dir=self.workdir)

    async def prepare(
        self, media: ResolvedMedia, spec: ModelSpec, workdir: Path, *, audio_only: bool = False
    ) -> ResolvedMedia:
        """Prepare a local medium with :mod:`qwen_omni.media` (field-guide budgets): images to
        at most 1280×720, video to 720p at the motion preset's fps, audio to mono MP3; with
        ``audio_only`` a video's sound track alone. URLs and media that already fit go as they
        are. Outputs are written under ``workdir``."""
        if not self.prepare_media or media.path is None:
            return media
        from qwen_omni import media as qm

        path = media.path
        if media.kind == "video" and audio_only:
            prepared = await asyncio.to_thread(qm.extract_audio, path, workdir / "audio_track")
        elif media.kind == "video":
            prepared = await asyncio.to_thread(qm.prepare_video, path, workdir / "prepared.mp4")
        elif media.kind == "audio":
            prepared = await asyncio.to_thread(qm.prepare_audio, path, workdir / "prepared.mp3")
        else:
            prepared = await asyncio.to_thread(qm.prepare_image, path)
        if not prepared.changed:
            return media
        info = prepared.info
        kind: Kind = info.kind
        if prepared.path is not None:
            source: Any = prepared.path
        else:
            source = prepared.data
        fmt = getattr(info, "format", None) if kind == "audio" else None
        part = (
            image(source)
            if kind == "image"
            else audio(source, format=fmt)
            if kind == "audio"
            else video(source)
        )
        extra: dict[str, Any] = {"width": None, "height": None}
        if info.kind in ("image", "video"):
            extra["width"], extra["height"] = info.display_size
        sent = media.sent.model_copy(
            update={
                "kind": kind,
                "prepared": True,
                "preparation": list(prepared.steps),
                "bytes": prepared.size_bytes,
                "duration_s": getattr(info, "duration_s", None),
                "estimated_tokens": estimate_tokens(info, spec),
                **extra,
            }
        )
        return ResolvedMedia(
            part=part, kind=kind, sent=sent, path=prepared.path or media.path, info=info
        )

    async def localize(
        self, media: ResolvedMedia, workdir: Path, *, policy: AccessPolicy | None
    ) -> ResolvedMedia:
        """A local copy of a URL medium (downloaded through the policy), probed."""
        if media.path is not None:
            return media
        if media.url is None or media.url[:4].lower() != "http":
            raise ValueError(f"{media.sent.source}: only http(s) URLs can be downloaded")
        from qwen_omni.tasks.fetch import download

        target = workdir / "source.bin"
        await download(media.url, target, policy or _UNCHECKED)
        local = await resolve_media(
            str(target), expect=(media.kind,), policy=None, spec=self.spec()
        )
        local.sent = local.sent.model_copy(update={"source": media.sent.source})
        return local

    async def split(
        self, media: ResolvedMedia, seconds: float, spec: ModelSpec, workdir: Path
    ) -> list[Piece]:
        """Segments of a local video of at most ``seconds`` each (and within the model's
        limit), with their time ranges: :func:`qwen_omni.media.split_media`."""
        assert media.path is not None
        from qwen_omni.media import split_media

        segments = await asyncio.to_thread(
            split_media, media.path, workdir / "segments", segment_s=seconds, model=spec
        )
        # A header that lies about the duration plans segments past the real end: those come
        # back without a file. Only pieces that hold media are analysed.
        segments = [s for s in segments if s.path.is_file() and s.path.stat().st_size > 0]
        if not segments:
            from qwen_omni.errors import UnsupportedMediaError

            raise UnsupportedMediaError(
                f"{media.sent.source}: no playable video could be cut from it (its header "
                "declares a duration the content does not have); re-encode or re-download it",
                source=media.sent.source,
            )
        if len(segments) == 1:
            return [Piece(media, segments[0].start_s, segments[0].end_s)]
        return [
            _segment_piece(media, seg, "stream copy" if seg.copied else "re-encoded")
            for seg in segments
        ]

    async def segment_stream(
        self, media: ResolvedMedia, seconds: float, spec: ModelSpec, workdir: Path
    ) -> SegmentStream:
        """The segments of a local video, each ready to send as soon as it exists.

        When the video needs preparing (over 720p, over the preset frame rate, not H.264…) or
        its segments would not fit the inline cap and no upload store is configured, segments
        are cut and prepared in one pass (:func:`qwen_omni.media.split.prepare_segments`: exact
        times, so ``seconds`` is honoured, at a bitrate that fits the inline cap when only
        inline delivery is possible), one after the other on a worker thread, each handed over
        the moment its file is closed. Otherwise they are stream-copied (:meth:`split`).
        """
        assert media.path is not None
        loop = asyncio.get_running_loop()
        if self.prepare_media and media.kind == "video":
            from qwen_omni.media import probe
            from qwen_omni.media.audio import inline_size
            from qwen_omni.media.motion import PRESET_FPS, choose_preset
            from qwen_omni.media.probe import VideoInfo
            from qwen_omni.media.split import plan_segments
            from qwen_omni.media.video import video_target

            info = (
                media.info if media.info is not None else await asyncio.to_thread(probe, media.path)
            )
            if isinstance(info, VideoInfo) and info.duration_s > 0:
                delivery = self.client.delivery
                inline_only = not delivery.can_upload(self.client._delivery_context(spec))
                max_bytes = delivery.inline.max_bytes if inline_only else None
                fps = PRESET_FPS[await asyncio.to_thread(choose_preset, media.path)]
                share = min(1.0, seconds / info.duration_s)
                too_big = max_bytes is not None and (
                    inline_size(int(info.size_bytes * share)) > max_bytes
                )
                if video_target(info, fps=fps).transcode or too_big:
                    plan = plan_segments(
                        info, seconds, fps=fps, model=spec, inline_max_bytes=max_bytes
                    )
                    stream = SegmentStream(
                        ranges=list(plan.ranges),
                        pieces=[loop.create_future() for _ in plan.ranges],
                        prepared=True,
                        trades=plan.trades,
                    )
                    stream._producer = loop.run_in_executor(
                        None, self._produce, media, plan, workdir, max_bytes, stream, loop
                    )
                    return stream
        pieces = await self.split(media, seconds, spec, workdir)
        futures: list[asyncio.Future[Piece]] = []
        for piece in pieces:
            future: asyncio.Future[Piece] = loop.create_future()
            future.set_result(piece)
            futures.append(future)
        return SegmentStream([(p.start_s, p.end_s) for p in pieces], futures, prepared=False)

    @staticmethod
    def _produce(
        media: ResolvedMedia,
        plan: Any,
        workdir: Path,
        max_bytes: int | None,
        stream: SegmentStream,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """Encode the planned segments in order, resolving each future as its file closes."""
        from qwen_omni.media.split import prepare_segments

        assert media.path is not None
        how = "prepared: " + "; ".join(plan.target.reasons or ("re-encoded",))

        def hand_over(i: int, piece: Piece | None, exc: BaseException | None) -> None:
            future = stream.pieces[i]
            if future.done():
                return
            if exc is not None:
                future.set_exception(exc)
            else:
                future.set_result(piece)  # type: ignore[arg-type]

        produced = 0
        try:
            segments = prepare_segments(media.path, plan, workdir / "segments", max_bytes=max_bytes)
            for seg in segments:
                loop.call_soon_threadsafe(
                    hand_over, seg.index, _segment_piece(media, seg, how), None
                )
                produced = seg.index + 1
                if stream._stop.is_set():
                    break
        except Exception as exc:  # handed to the segments still waiting
            for i in range(produced, len(stream.pieces)):
                loop.call_soon_threadsafe(hand_over, i, None, exc)

    # --- the tools (the user's own calls: no access policy) -------------------------------------

    async def analyze_video(
        self, source: str, question: str, *, model: str | None = None,
        progress: ProgressCallback | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> AnalyzeResult:  # fmt: skip
        """Answer a question about a video (URL or local file)."""
        inp = AnalyzeVideoInput(source=source, question=question)
        return await run_analyze(
            self, inp, "video", policy=None, progress=progress, model=model, on_text=on_text
        )

    async def analyze_image(
        self, source: str, question: str, *, model: str | None = None,
        progress: ProgressCallback | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> AnalyzeResult:  # fmt: skip
        """Answer a question about an image (URL or local file)."""
        inp = AnalyzeImageInput(source=source, question=question)
        return await run_analyze(
            self, inp, "image", policy=None, progress=progress, model=model, on_text=on_text
        )

    async def analyze_audio(
        self, source: str, question: str, *, model: str | None = None,
        progress: ProgressCallback | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> AnalyzeResult:  # fmt: skip
        """Answer a question about an audio recording (URL or local file)."""
        inp = AnalyzeAudioInput(source=source, question=question)
        return await run_analyze(
            self, inp, "audio", policy=None, progress=progress, model=model, on_text=on_text
        )

    async def did_call_mention(
        self, source: str, topics: Sequence[str], *, model: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> MentionResult:  # fmt: skip
        """For a call recording: per topic, mentioned or not, evidence, time, confidence."""
        inp = DidCallMentionInput(source=source, topics=list(topics))
        return await run_mention(self, inp, policy=None, progress=progress, model=model)

    async def caption_product_video(
        self, source: str, *, schema: type[T] = ProductCaption,  # type: ignore[assignment]
        model: str | None = None, progress: ProgressCallback | None = None,
    ) -> CaptionResult[T]:  # fmt: skip
        """The structured caption of a product video, validated into ``schema``."""
        inp = CaptionProductVideoInput(source=source)
        return await run_caption(
            self, inp, schema=schema, policy=None, progress=progress, model=model
        )

    async def summarize_long_video(
        self, source: str, *, focus: str | None = None, segment_seconds: float | None = None,
        model: str | None = None, summary_model: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> SummaryResult:  # fmt: skip
        """Summary of a long video: segments analysed concurrently, then summarized."""
        inp = SummarizeLongVideoInput(source=source, focus=focus, segment_seconds=segment_seconds)
        return await run_summarize(
            self, inp, policy=None, progress=progress, model=model, summary_model=summary_model
        )

    async def transcribe(
        self, source: str, *, language: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> TranscriptResult:  # fmt: skip
        """Transcript of speech (ASR model when configured, else Qwen-Omni)."""
        inp = TranscribeInput(source=source, language=language)
        return await run_transcribe(self, inp, policy=None, progress=progress)

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
        from qwen_omni.tasks.refusal import ToolRefusal
        from qwen_omni.tasks.registry import TOOLS, get_tool

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


_UNCHECKED = AccessPolicy(
    allow_private_hosts=("0.0.0.0/0", "::/0"), resolve_hosts=False, check_content=False
)


#: characters of an invalid answer echoed back in the correction turn
ECHO_MAX_CHARS = 4000


def _excerpt(text: str, limit: int = ECHO_MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters cut]"


# --- the sync facade ----------------------------------------------------------------------------


class OmniTasks:
    """The agent tools, synchronous: the same arguments as :class:`AsyncOmniTasks`.

    Calls run on a private event loop in a background thread, so this works from plain
    scripts and from frameworks that call tools synchronously (also inside a running loop).
    ``.aio`` is the underlying :class:`AsyncOmniTasks`.
    """

    def __init__(self, client: AsyncOmniClient | None = None, **kwargs: Any) -> None:
        self.aio = AsyncOmniTasks(client, **kwargs)
        self._runner = BlockingRunner("qwen-omni-tasks")

    def _run(self, coro: Coroutine[Any, Any, R]) -> R:
        return self._runner.run(coro)

    @property
    def policy(self) -> AccessPolicy:
        return self.aio.policy

    def close(self) -> None:
        """Close the client (if created here) and stop the background loop."""
        self._runner.close(self.aio.aclose)

    def __enter__(self) -> OmniTasks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def analyze_video(self, source: str, question: str, **kw: Any) -> AnalyzeResult:
        """Answer a question about a video (URL or local file)."""
        return self._run(self.aio.analyze_video(source, question, **kw))

    def analyze_image(self, source: str, question: str, **kw: Any) -> AnalyzeResult:
        """Answer a question about an image (URL or local file)."""
        return self._run(self.aio.analyze_image(source, question, **kw))

    def analyze_audio(self, source: str, question: str, **kw: Any) -> AnalyzeResult:
        """Answer a question about an audio recording (URL or local file)."""
        return self._run(self.aio.analyze_audio(source, question, **kw))

    def did_call_mention(self, source: str, topics: Sequence[str], **kw: Any) -> MentionResult:
        """For a call recording: per topic, mentioned or not, evidence, time, confidence."""
        return self._run(self.aio.did_call_mention(source, topics, **kw))

    def caption_product_video(self, source: str, **kw: Any) -> CaptionResult[Any]:
        """The structured caption of a product video."""
        return self._run(self.aio.caption_product_video(source, **kw))

    def summarize_long_video(self, source: str, **kw: Any) -> SummaryResult:
        """Summary of a long video (segments analysed concurrently, then summarized)."""
        return self._run(self.aio.summarize_long_video(source, **kw))

    def transcribe(self, source: str, **kw: Any) -> TranscriptResult:
        """Transcript of speech."""
        return self._run(self.aio.transcribe(source, **kw))

    def run_tool(
        self,
        name: str,
        arguments: BaseModel | Mapping[str, Any] | str,
        *,
        progress: ProgressCallback | None = None,
    ) -> BaseModel:
        """Run tool ``name`` for an agent: the result, or a ``ToolRefusal``."""
        return self._run(self.aio.run_tool(name, arguments, progress=progress))
