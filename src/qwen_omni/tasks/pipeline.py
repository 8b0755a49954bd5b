"""The one pipeline the tools share: resolve → check → prepare → ask → report.

:func:`ask_about` is the whole skeleton for a tool that asks one question about one medium
(``analyze_*``, ``did_call_mention``, ``caption_product_video``); the steps are here too for
tools that need them apart (``summarize_long_video`` localizes, splits and prepares segments;
``transcribe`` prepares then hands over to a transcriber). Every step takes the
:class:`~qwen_omni.tasks.context.TaskContext` of the call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from qwen_omni.catalog import ModelSpec
from qwen_omni.content import Message, Part, Text, audio, image, video
from qwen_omni.errors import BadRequestError, RequestValidationError
from qwen_omni.response import OmniResponse, TextDelta, Usage
from qwen_omni.tasks.context import TaskContext
from qwen_omni.tasks.jsonout import (
    InvalidModelOutput,
    OutputValidationError,
    correction_prompt,
    parse_model_json,
    schema_prompt,
)
from qwen_omni.tasks.policy import AccessPolicy
from qwen_omni.tasks.report import RequestReport, report_for
from qwen_omni.tasks.sources import (
    Kind,
    ResolvedMedia,
    check_duration,
    estimate_tokens,
    resolve_media,
)

__all__ = [
    "ECHO_MAX_CHARS",
    "LONG_HINT",
    "SOURCE_HELP",
    "Answer",
    "JsonOutcome",
    "Piece",
    "SegmentStream",
    "ask",
    "ask_about",
    "ask_json",
    "localize",
    "prepare",
    "segment_stream",
    "split",
]

T = TypeVar("T", bound=BaseModel)

#: What every tool's ``source`` argument means (an agent reads it in the schema).
SOURCE_HELP = (
    "The media to read: a public http(s) URL of the file itself (not a web page), or a path "
    "under the media directory the user allowed (relative paths start there)."
)
#: The fix named when a medium is longer than the model accepts.
LONG_HINT = "use summarize_long_video, which splits it, or a model with a higher limit"
#: characters of an invalid answer echoed back in the correction turn
ECHO_MAX_CHARS = 4000


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


@dataclass(frozen=True)
class Answer:
    """What :func:`ask_about` got: the text (or validated JSON value) and what was sent."""

    text: str
    value: Any
    repaired: bool
    report: RequestReport
    media: ResolvedMedia


# --- asking -----------------------------------------------------------------------------------


def _params(spec: ModelSpec) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if spec.thinking == "default_on":
        # tools want the answer, and JSON mode refuses thinking
        params["enable_thinking"] = False
    return params


async def ask(
    ctx: TaskContext,
    parts: Sequence[Part],
    prompt: str,
    *,
    model: str | None = None,
    on_text: Callable[[str], None] | None = None,
) -> OmniResponse:
    """One user message (media first, then the prompt); the whole answer.

    ``on_text`` receives the answer's text deltas as they stream (e.g. to print them).
    """
    spec = ctx.spec(model)
    content: list[Part] = [*parts]
    if prompt:
        content.append(Text(text=prompt))
    message = Message(role="user", content=tuple(content))
    if on_text is None:
        return await ctx.client.complete([message], model=spec.name, **_params(spec))
    async with ctx.client.stream([message], model=spec.name, **_params(spec)) as s:
        async for event in s:
            if isinstance(event, TextDelta):
                on_text(event.text)
    return s.response


async def _complete_json(
    ctx: TaskContext, messages: list[Message], spec: ModelSpec
) -> OmniResponse:
    params = _params(spec)
    if ctx.settings.json_mode and spec.name not in ctx.json_unsupported:
        try:
            return await ctx.client.complete(
                messages, model=spec.name, response_format={"type": "json_object"}, **params
            )
        except (BadRequestError, RequestValidationError) as exc:
            text = str(exc).lower()
            if "response_format" not in text and "json" not in text:
                raise
            # JSON mode on Omni is UNCONFIRMED (reference §2): fall back to the prompt alone
            ctx.json_unsupported.add(spec.name)
    return await ctx.client.complete(messages, model=spec.name, **params)


def _excerpt(text: str, limit: int = ECHO_MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters cut]"


async def ask_json(
    ctx: TaskContext,
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
    spec = ctx.spec(model)
    content: list[Part] = [*parts, Text(text=f"{prompt}\n\n{schema_prompt(schema)}")]
    messages = [Message(role="user", content=tuple(content))]
    first = await _complete_json(ctx, messages, spec)
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
    second = await _complete_json(ctx, retry, spec)
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


# --- media ------------------------------------------------------------------------------------


async def prepare(
    ctx: TaskContext,
    media: ResolvedMedia,
    spec: ModelSpec,
    workdir: Path,
    *,
    audio_only: bool = False,
) -> ResolvedMedia:
    """Prepare a local medium with :mod:`qwen_omni.media` (field-guide budgets): images to
    at most 1280×720, video to 720p at the motion preset's fps, audio to mono MP3; with
    ``audio_only`` a video's sound track alone. URLs, media that already fit and
    ``settings.prepare=False`` go as they are. Outputs are written under ``workdir``; the
    progress listener hears what is happening now (encoding can take a while)."""
    if not ctx.settings.prepare or media.path is None:
        return media
    from qwen_omni import media as qm

    what = "extracting the sound track of" if audio_only else "preparing"
    await ctx.report("prepare", 0, 1, f"{what} {media.sent.source}")

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
    source: Any = prepared.path if prepared.path is not None else prepared.data
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


#: Downloads of a URL the user named themselves (no agent): no address restrictions.
_UNCHECKED = AccessPolicy(
    allow_private_hosts=("0.0.0.0/0", "::/0"), resolve_hosts=False, check_content=False
)


async def localize(ctx: TaskContext, media: ResolvedMedia, workdir: Path) -> ResolvedMedia:
    """A local copy of a URL medium (downloaded through the call's policy), probed."""
    if media.path is not None:
        return media
    if media.url is None or media.url[:4].lower() != "http":
        raise ValueError(f"{media.sent.source}: only http(s) URLs can be downloaded")
    from qwen_omni.tasks.fetch import download

    target = workdir / "source.bin"
    await download(media.url, target, ctx.policy or _UNCHECKED)
    local = await resolve_media(str(target), expect=(media.kind,), policy=None, spec=ctx.spec())
    local.sent = local.sent.model_copy(update={"source": media.sent.source})
    return local


async def split(
    ctx: TaskContext, media: ResolvedMedia, seconds: float, spec: ModelSpec, workdir: Path
) -> list[Piece]:
    """Segments of a local video of at most ``seconds`` each (and within the model's limit),
    with their time ranges: :func:`qwen_omni.media.split_media`."""
    if media.path is None:
        raise ValueError(f"{media.sent.source}: only a local video can be split (localize it)")
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
    ctx: TaskContext, media: ResolvedMedia, seconds: float, spec: ModelSpec, workdir: Path
) -> SegmentStream:
    """The segments of a local video, each ready to send as soon as it exists.

    When the video needs preparing (over 720p, over the preset frame rate, not H.264…) or
    its segments would not fit the inline cap and no upload store is configured, segments
    are cut and prepared in one pass (:func:`qwen_omni.media.split.prepare_segments`: exact
    times, so ``seconds`` is honoured, at a bitrate that fits the inline cap when only
    inline delivery is possible), one after the other on a worker thread, each handed over
    the moment its file is closed. Otherwise they are stream-copied (:func:`split`).
    """
    if media.path is None:
        raise ValueError(f"{media.sent.source}: only a local video can be split (localize it)")
    loop = asyncio.get_running_loop()
    if ctx.settings.prepare and media.kind == "video":
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
            delivery = ctx.client.delivery
            inline_only = not delivery.can_upload(ctx.client._delivery_context(spec))
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
                    None, _produce, media, plan, workdir, max_bytes, stream, loop
                )
                return stream
    pieces = await split(ctx, media, seconds, spec, workdir)
    futures: list[asyncio.Future[Piece]] = []
    for piece in pieces:
        future: asyncio.Future[Piece] = loop.create_future()
        future.set_result(piece)
        futures.append(future)
    return SegmentStream([(p.start_s, p.end_s) for p in pieces], futures, prepared=False)


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

    if media.path is None:  # segment_stream checked it; a thread cannot raise to anyone
        return
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


# --- the skeleton -----------------------------------------------------------------------------


async def ask_about(
    ctx: TaskContext,
    source: str,
    prompt: str,
    *,
    expect: tuple[Kind, ...],
    model: str | None = None,
    schema: type[BaseModel] | None = None,
    check: Callable[[ResolvedMedia], Any] | None = None,
    audio_only: bool = False,
    needs_sound: bool = False,
    long_hint: str = LONG_HINT,
    on_text: Callable[[str], None] | None = None,
) -> Answer:
    """Resolve ``source`` (the call's policy applies), check it fits the model, prepare it,
    ask ``prompt`` about it (as JSON validated by ``schema`` when given), and report.

    ``check`` makes the JSON answer's extra validator from the resolved medium (e.g. times
    within its duration).
    """
    spec = ctx.spec(model)
    await ctx.report("prepare", 0, 1, f"checking {source}")
    with ctx.scratch() as tmp:
        media = await resolve_media(
            source, expect=expect, policy=ctx.policy, spec=spec, needs_sound=needs_sound
        )
        check_duration(media.sent.source, media.kind, media.duration_s, spec, hint=long_hint)
        media = await prepare(ctx, media, spec, Path(tmp), audio_only=audio_only)
        await ctx.report("request", 0, 1, f"asking {spec.name}")
        if schema is None:
            response = await ask(ctx, [media.part], prompt, model=spec.name, on_text=on_text)
            value, repaired, attempts, earlier = None, False, 1, []
        else:
            validator = check(media) if check is not None else None
            outcome = await ask_json(
                ctx, [media.part], prompt, schema, model=spec.name, check=validator
            )
            response, value, repaired = outcome.response, outcome.value, outcome.repaired
            attempts, earlier = outcome.attempts, outcome.earlier_usage
    await ctx.report("request", 1, 1, "answered")
    report = report_for(
        response,
        model=spec.name,
        media=[media.sent],
        region=ctx.price_region,
        attempts=attempts,
        extra_usage=earlier,
    )
    return Answer(response.text.strip(), value, repaired, report, media)
