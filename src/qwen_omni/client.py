"""``OmniClient`` and ``AsyncOmniClient``: the one wire path to Qwen-Omni.

Every request goes out with ``stream=True`` and usage on, whatever the caller asked, because
the service only streams. ``stream()`` yields typed events; ``complete()`` consumes the same
stream into one ``OmniResponse``.

Per request, in order: the parameters and messages are checked against the model's rules
(catalog), local media is delivered (inline data URI or upload, with URL checks), the body is
built, and the stream is opened. Failures before anything reached the caller are retried when
retrying is safe (429, 5xx, connection), with jittered exponential backoff that honours
``Retry-After``; after that, a failure raises ``StreamInterrupted`` carrying the partial answer.
A stream that ends without a finish reason is an error, never a silently short answer.
"""

from __future__ import annotations

import asyncio
import logging
import random
import tempfile
import threading
import time
import uuid
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from qwen_omni import _wire
from qwen_omni._sse import DEFAULT_MAX_EVENT_BYTES, StreamBody
from qwen_omni._stream import ResponseBuilder, StreamDecoder
from qwen_omni._version import user_agent
from qwen_omni.catalog import (
    DATA_URI_MAX_BYTES,
    IMAGE_BUDGET_MAX_PIXELS,
    IMAGE_BUDGET_MIN_PIXELS,
    ModelSpec,
    get_model,
)
from qwen_omni.config import Dialect, Settings, Timeouts, resolve_settings
from qwen_omni.content import (
    Audio,
    Image,
    InvalidToolCall,
    Message,
    Part,
    Text,
    ToolCall,
    Video,
    VideoFrames,
)
from qwen_omni.errors import (
    APIConnectionError,
    APITimeoutError,
    QwenOmniError,
    RateLimitError,
    RequestValidationError,
    StreamInterrupted,
    StreamTimedOut,
    is_retryable,
    map_api_error,
)
from qwen_omni.params import RequestParams
from qwen_omni.response import CacheInfo, Event, OmniResponse, Started
from qwen_omni.rules import check_request

if TYPE_CHECKING:
    import os

    from qwen_omni.cache import AnalysisCache, CacheStore, KeyMaterial
    from qwen_omni.delivery import (
        DeliveredMedia,
        DeliveryContext,
        DeliveryPolicy,
        MediaDelivery,
    )
    from qwen_omni.media.budget import RequestEstimate

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "AsyncOmniClient",
    "AsyncOmniStream",
    "MessagesInput",
    "OmniClient",
    "OmniStream",
]

logger = logging.getLogger("qwen_omni")

OSS_RESOLVE_HEADER = "X-DashScope-OssResourceResolve"
#: Backoff: first delay, growth factor, cap (seconds); Retry-After is honoured up to the cap.
RETRY_BASE_S = 0.5
RETRY_MAX_S = 30.0
#: Extra validity a URL we sign gets beyond the request's own total timeout.
URL_VALIDITY_MARGIN_S = 300.0
#: Extra validity a caller's signed URL needs beyond the time to the first byte: the service
#: downloads media when it starts working on the request, before it answers.
URL_FETCH_MARGIN_S = 60.0

MessagesInput = str | Part | Sequence[str | Message | Part | Mapping[str, Any]]


class _StreamCut(APIConnectionError):
    """The stream ended (or broke) before a finish reason arrived."""


class _Attempt:
    """One try at the stream: chunks → the events for the caller.

    ``Started`` is held back until the first real event, so that a failure before any output
    can still be retried without the caller having seen anything.
    """

    __slots__ = ("_pending", "builder", "deadline", "decoder", "emitted", "total")

    def __init__(self, builder: ResponseBuilder, deadline: float, total: float) -> None:
        self.builder = builder
        self.deadline = deadline
        self.total = total
        self.decoder = StreamDecoder()
        self.emitted = False
        self._pending: Started | None = None

    def remaining(self) -> float:
        """Seconds left of the total timeout (raises when none are)."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise APITimeoutError(f"total timeout of {self.total:g} s expired")
        return left

    def check_deadline(self) -> None:
        """Raise once the total timeout has passed (checked before every read)."""
        if time.monotonic() >= self.deadline:
            raise APITimeoutError(
                f"total timeout of {self.total:g} s expired while streaming; raise timeout= "
                "(Timeouts(total=…)) for long answers"
            )

    def events(self, chunk: Any) -> list[Event]:
        """The events of one chunk that the caller should see now."""
        self.check_deadline()
        out: list[Event] = []
        for event in self.decoder.feed(chunk):
            self.builder.add(event)
            if type(event) is Started:
                self._pending = event
                continue
            if self._pending is not None:
                out.append(self._pending)
                self._pending = None
            out.append(event)
        if out:
            self.emitted = True
        return out

    def finish(self) -> None:
        """The stream ended: it must have said how (a finish reason), else it was cut."""
        if self.decoder.finished is None:
            raise _StreamCut("the stream ended without a finish reason")


@dataclass(frozen=True)
class _Request:
    """A checked request, before delivery: what the caller asked for, resolved."""

    spec: ModelSpec
    messages: list[Message]
    params: RequestParams
    extra_headers: dict[str, str]


_PART_TYPES = (Text, Image, Audio, Video, VideoFrames)


_MESSAGES_HELP = (
    "messages must be a string, a part (image(), video()…), a list of parts and strings (one "
    "user message), or a list of Message objects or {'role': …, 'content': …} dicts"
)


def _coerce_messages(messages: MessagesInput) -> list[Message]:
    """Accept a string, a part, a list of parts (one user message) or a list of messages."""
    if isinstance(messages, str):
        return [Message(role="user", content=messages)]
    if isinstance(messages, _PART_TYPES):
        return [Message(role="user", content=(messages,))]
    if isinstance(messages, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"{_MESSAGES_HELP}; got bytes: decode text first (data.decode('utf-8')), or pass "
            "media bytes as image(data) / audio(data) / video(data)"
        )
    if not isinstance(messages, (list, tuple)) and not hasattr(messages, "__iter__"):
        raise TypeError(f"{_MESSAGES_HELP}; got {type(messages).__name__}")
    items = list(messages)
    if not items:
        raise RequestValidationError(
            "a request needs at least one message", rule="messages_non_empty", value=0, limit=1
        )
    if items and all(isinstance(i, (str, *_PART_TYPES)) for i in items):
        # A list of parts (strings are text parts) is one user message.
        content = tuple(Text(text=i) if isinstance(i, str) else i for i in items)
        return [Message(role="user", content=content)]
    out: list[Message] = []
    for item in items:
        if isinstance(item, Message):
            out.append(item)
        elif isinstance(item, Mapping):
            try:
                out.append(Message.model_validate(dict(item)))
            except ValidationError as exc:
                raise RequestValidationError(
                    f"message {len(out)} is not valid: {_pydantic_problems(exc)}; a message is "
                    "{'role': 'system'|'user'|'assistant'|'tool', 'content': str or parts}",
                    rule="message_shape",
                    value=dict(item).get("role"),
                ) from None
        else:
            raise TypeError(
                "messages must be a string, a part, a list of parts, or a list of Message "
                f"objects or dicts; got an item of type {type(item).__name__}"
            )
    return out


def _pydantic_problems(exc: ValidationError) -> str:
    """One line per problem: ``field: message (got value)``."""
    problems = []
    for e in exc.errors()[:5]:
        where = ".".join(str(x) for x in e.get("loc", ())) or "value"
        got = e.get("input")
        shown = repr(got)[:60] if got is not None and not isinstance(got, dict) else ""
        problems.append(f"{where}: {e.get('msg')}" + (f" (got {shown})" if shown else ""))
    return "; ".join(problems)


def _check_text(messages: list[Message]) -> None:
    """Refuse text that cannot be sent as UTF-8 (lone surrogates from a wrong decode)."""
    for position, message in enumerate(messages):
        for part in message.parts:
            value = part.text if isinstance(part, Text) else None
            if value is None:
                continue
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise RequestValidationError(
                    f"message {position} has text that is not valid Unicode (character "
                    f"{exc.object[exc.start : exc.end]!r} at {exc.start}): it was probably decoded "
                    "with the wrong encoding; decode the original bytes with their real encoding "
                    "(e.g. data.decode('latin-1')) before sending",
                    rule="utf8_text",
                    value=exc.start,
                ) from None


PrepareMode = Literal["auto", "always", "never"]


def _map_media(messages: list[Message], fn: Callable[[Any], Any]) -> list[Message]:
    """Messages with every media part (frames included) replaced by ``fn(part)``."""

    def swap(part: Any) -> Any:
        if isinstance(part, VideoFrames):
            return part.model_copy(update={"frames": tuple(swap(f) for f in part.frames)})
        if isinstance(part, (Image, Audio, Video)):
            return fn(part)
        return part

    out = []
    for message in messages:
        if isinstance(message.content, str):
            out.append(message)
        else:
            out.append(
                message.model_copy(update={"content": tuple(swap(p) for p in message.content)})
            )
    return out


def _with_image_budget(messages: list[Message]) -> list[Message]:
    """Images without pixel bounds get the field guide's budget (1280×720 max, 640×480 min).

    Sent as the part's ``max_pixels``/``min_pixels``, so the service resizes to them and the
    estimate counts them: a 1920×1080 photo costs 882 tokens instead of 1,224. An image with
    either bound set by the caller keeps the caller's values.
    """

    def budget(part: Any) -> Any:
        if (
            not isinstance(part, Image)
            or part.min_pixels is not None
            or part.max_pixels is not None
        ):
            return part
        return part.model_copy(
            update={"min_pixels": IMAGE_BUDGET_MIN_PIXELS, "max_pixels": IMAGE_BUDGET_MAX_PIXELS}
        )

    return _map_media(messages, budget)


def _ready_local_media(
    part: Image | Audio | Video, spec: ModelSpec, mode: PrepareMode, workdir: Path
) -> Image | Audio | Video:
    """Measure a local medium, refuse what the model cannot take, and prepare it when asked.

    ``auto`` prepares audio in a format the service does not list (M4A, FLAC, OGG…) and a
    medium too large to send inline (to the field guide's budgets: images
    to 1280×720, video to 720p at the motion preset's frame rate, audio to mono MP3), so it
    usually fits and always costs less; ``always`` prepares every local medium; ``never``
    sends it as it is. Needs the ``[media]`` extra (PyAV, Pillow); without it the medium goes
    as it is and the service is left to judge.
    """
    if part.url is not None:
        if part.url[:5].lower() == "data:":
            _check_data_uri_kind(part)
        return part
    try:
        from qwen_omni.media import check_media, prepare_media, probe
    except ImportError:  # pragma: no cover - only without the [media] extra
        return part
    source: Any = part.path if part.path is not None else part.data
    try:
        info = probe(source)
    except ImportError:  # pragma: no cover - av or PIL missing
        return part
    fmt = getattr(info, "format", None) or getattr(info, "container", None) or ""
    _check_kind(part, info.kind, str(fmt))
    check_media(info, spec)
    from qwen_omni.media.audio import SENDABLE_AUDIO_FORMATS, inline_size

    # an audio format outside the documented list (M4A, FLAC, OGG…) is converted in "auto"
    # too: the service would refuse it however small it is
    foreign = info.kind == "audio" and getattr(info, "format", None) not in SENDABLE_AUDIO_FORMATS
    fits = inline_size(info.size_bytes) <= DATA_URI_MAX_BYTES
    if mode == "never" or (mode == "auto" and fits and not foreign):
        return part
    suffix = {"video": ".mp4", "audio": ".mp3"}.get(info.kind, "")
    prepared = prepare_media(source, workdir / f"{uuid.uuid4().hex}{suffix}")
    if not prepared.changed:
        return part
    logger.info("prepared %s: %s", part.source_label, "; ".join(prepared.steps))
    update: dict[str, Any] = {"url": None, "path": prepared.path, "data": prepared.data}
    if prepared.data is not None:
        update["path"] = None
    update["mime_type"] = None  # sniffed again from the prepared bytes
    if isinstance(part, Audio):
        update["format"] = getattr(prepared.info, "format", None)
    return part.model_copy(update=update)


_PART_KIND = {Image: "image", Audio: "audio", Video: "video"}
_MAKER = {"image": "image()", "audio": "audio()", "video": "video()"}


def _check_kind(part: Image | Audio | Video, found: str, fmt: str) -> None:
    """Refuse a part whose content is another kind than it was declared as (a WAV passed as
    ``image()``): the service would reject it after upload, or worse, misread it."""
    declared = _PART_KIND[type(part)]
    if found == declared:
        return
    from qwen_omni.errors import UnsupportedMediaError

    raise UnsupportedMediaError(
        f"{part.source_label} was passed as {declared} but its content is {found}"
        + (f" ({fmt.upper()})" if fmt else "")
        + f": pass it as {_MAKER.get(found, found)} or give the right file",
        source=part.source_label,
        value=found,
        limit=declared,
    )


def _check_data_uri_kind(part: Image | Audio | Video) -> None:
    """The same check for a ``data:`` URI, from its first bytes (when they are recognised)."""
    from qwen_omni.delivery.formats import _data_uri_parts
    from qwen_omni.media.sniff import _sniff

    _, head = _data_uri_parts(part.url or "")
    found = _sniff(head) if head else None
    if found is None or found.ambiguous:
        return  # MP4/Ogg/Matroska may hold either; the service settles it
    _check_kind(part, found.kind, found.format)


def _endpoint_identity(base_url: str) -> str:
    """Who answers, for cache keys: host and path without the port (a local emulator or vLLM
    restarted on another port is the same server; DashScope endpoints have no port)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    return f"{parts.hostname or ''}{parts.path.rstrip('/')}"


def backoff_delay(attempt: int, err: QwenOmniError) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): Retry-After, else full jitter."""
    if isinstance(err, RateLimitError) and err.retry_after is not None:
        return min(RETRY_MAX_S, err.retry_after)
    ceiling = min(RETRY_MAX_S, RETRY_BASE_S * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)


def _max_event_bytes(value: int | None) -> int:
    """The SSE line/event cap: argument > ``QWEN_OMNI_MAX_EVENT_BYTES`` > 4 MiB."""
    import os

    from qwen_omni.errors import ConfigurationError

    raw: Any = value if value is not None else os.environ.get("QWEN_OMNI_MAX_EVENT_BYTES")
    if raw is None or raw == "":
        return DEFAULT_MAX_EVENT_BYTES
    try:
        cap = int(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"max_event_bytes (QWEN_OMNI_MAX_EVENT_BYTES) must be an integer, got {raw!r}"
        ) from None
    if cap < 1024:
        raise ConfigurationError(f"max_event_bytes must be at least 1024, got {cap}")
    return cap


def _transport_failures() -> tuple[type[BaseException], ...]:
    """What a failed attempt may raise that is the network's or the service's doing.

    Anything else (a ``KeyError``, a ``TypeError``…) is a bug of ours and propagates as it is,
    never disguised as "the stream broke" (as openai-python maps only transport errors).
    """
    import httpx2
    import openai

    kinds: list[type[BaseException]] = [
        QwenOmniError,
        openai.APIError,
        httpx2.TransportError,
        httpx2.DecodingError,
        OSError,
        TimeoutError,
    ]
    try:
        import httpx

        kinds += [httpx.TransportError, httpx.DecodingError]
    except ImportError:  # pragma: no cover - httpx comes with the tools
        pass
    return tuple(kinds)


class _ClientBase:
    """What the sync and async clients share: settings, checks, delivery and the body."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        model: str | None = None,
        region: str | None = None,
        base_url: str | None = None,
        dialect: Dialect | None = None,
        timeout: float | Timeouts | None = None,
        max_retries: int = 2,
        delivery: MediaDelivery | DeliveryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: Any = None,
        prepare: PrepareMode | bool = "auto",
        cache: AnalysisCache | CacheStore | str | os.PathLike[str] | bool | None = None,
        max_event_bytes: int | None = None,
        image_budget: bool = True,
    ) -> None:
        self._http_client = http_client
        self.max_event_bytes = _max_event_bytes(max_event_bytes)
        self.image_budget = bool(image_budget)
        self.cache: AnalysisCache | None = None
        """The analysis cache consulted before sending (None: every request is sent)."""
        if cache is not None and cache is not False:
            from qwen_omni.cache import open_cache

            self.cache = open_cache(cache)
        if prepare is True or prepare is False:
            prepare = "always" if prepare else "never"
        if prepare not in ("auto", "always", "never"):
            from qwen_omni.errors import ConfigurationError

            raise ConfigurationError(
                f"prepare must be 'auto', 'always' or 'never' (or a bool), got {prepare!r}"
            )
        self.prepare: PrepareMode = prepare
        self.settings: Settings = resolve_settings(
            api_key=api_key,
            base_url=base_url,
            region=region,
            model=model,
            dialect=dialect,
            timeout=timeout,
            max_retries=max_retries,
        )
        self._delivery_arg = delivery
        self._delivery: MediaDelivery | None = None
        self._default_headers = dict(default_headers or {})
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        from qwen_omni.redact import mask_userinfo

        s = self.settings
        return (
            f"{type(self).__name__}(model={s.model!r}, base_url={mask_userinfo(s.base_url)!r}, "
            f"region={s.region!r}, dialect={s.dialect!r})"
        )

    @property
    def model(self) -> str:
        """The default model."""
        return self.settings.model

    @property
    def delivery(self) -> MediaDelivery:
        """The media delivery in use (created on first use)."""
        if self._delivery is None:
            from qwen_omni.delivery import MediaDelivery

            arg = self._delivery_arg
            self._delivery = arg if isinstance(arg, MediaDelivery) else MediaDelivery(arg or "auto")
        return self._delivery

    def _request(self, messages: MessagesInput, model: str | None, kw: dict[str, Any]) -> _Request:
        extra_headers = dict(kw.pop("extra_headers", None) or {})
        for key in ("stream", "stream_options"):
            # The service only streams; we always do, so these are not the caller's to set.
            kw.pop(key, None)
        for key in ("tools", "modalities"):
            if isinstance(kw.get(key), list):
                kw[key] = tuple(kw[key])
        if isinstance(kw.get("stop"), list):
            kw["stop"] = tuple(kw["stop"])
        try:
            params = RequestParams(**kw)
        except ValidationError as exc:
            accepted = ", ".join(sorted(RequestParams.model_fields))
            raise RequestValidationError(
                f"invalid parameter: {_pydantic_problems(exc)}; accepted parameters: {accepted}, "
                "plus extra_headers",
                rule="parameters",
            ) from None
        spec = get_model(model or self.settings.model)
        msgs = _coerce_messages(messages)
        _check_text(msgs)
        check_request(spec, msgs, params, self.settings.dialect)
        if self.image_budget and not params.high_resolution:
            # in high-resolution mode the service ignores max_pixels (APIREF): no budget then
            msgs = _with_image_budget(msgs)
        return _Request(spec, msgs, params, extra_headers)

    def estimate(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        output_tokens: int | None = None,
        region: str | None = None,
        **params: Any,
    ) -> RequestEstimate:
        """What this request would cost, without sending it: input tokens by kind (local media
        measured with the service's estimators, text estimated) and the price in CNY from the
        catalog.

        The request goes through what :meth:`complete` does before sending — the same checks
        (a clip too long for the model raises ``MediaTooLongError`` here too) and the same
        preparation (``prepare``), and the estimate is of what would be **sent**; when
        preparation changed the media, ``.original`` holds the estimate of the media as given
        and ``summary()`` shows both. ``output_tokens`` defaults to ``max_tokens`` (the most
        the answer may cost), else 0; a spoken reply (``modalities=["text", "audio"]``) is
        priced as audio. ``region`` defaults to the client's (Beijing prices for custom
        endpoints)."""
        from dataclasses import replace as _replace

        from qwen_omni.media.budget import estimate_request

        req = self._request(messages, model, dict(params))
        out = output_tokens if output_tokens is not None else (req.params.max_tokens or 0)

        def priced(msgs: list[Message]) -> RequestEstimate:
            return estimate_request(
                msgs,
                req.spec,
                region=region or self.settings.region or "beijing",
                output_tokens=out,
                spoken=req.params.wants_audio,
                tools=list(req.params.tools) if req.params.tools else None,
                high_resolution=req.params.high_resolution,
            )

        with tempfile.TemporaryDirectory(prefix="qwen-omni-estimate-") as tmp:
            changed = False

            def ready(part: Any) -> Any:
                nonlocal changed
                sent = _ready_local_media(part, req.spec, self.prepare, Path(tmp))
                changed = changed or sent is not part
                return sent

            to_send = _map_media(req.messages, ready)
            sent = priced(to_send)
            if not changed:
                return sent
            return _replace(sent, original=priced(req.messages))

    def cached(
        self, messages: MessagesInput, *, model: str | None = None, **params: Any
    ) -> OmniResponse | None:
        """The stored answer to this request when the analysis cache has it (counted as a hit),
        else None. Nothing is sent; local files are hashed (or found by their fingerprint).
        Blocking on both clients (SQLite and hashing): call it from a thread in async code."""
        if self.cache is None:
            return None
        req = self._request(messages, model, dict(params))
        builder = ResponseBuilder()
        material = self._cache_material(req, builder)
        if material is None or self._cache_hit(material, builder) is None:
            return None
        return builder.build()

    def _cache_material(self, req: _Request, builder: ResponseBuilder) -> KeyMaterial | None:
        """The cache key material of ``req``, or None when the cache is off or must not be
        used for it (then ``builder.cache`` says why)."""
        cache = self.cache
        if cache is None:
            return None
        p = req.params
        refusal = cache.refusal(p.temperature)
        if refusal:
            builder.cache = CacheInfo(key="", hit=False, note=refusal)
            return None
        from qwen_omni.cache import request_key

        return request_key(
            req.messages,
            model=req.spec.name,
            region=self.settings.region,
            endpoint=_endpoint_identity(self.settings.base_url),
            dialect=self.settings.dialect,
            # The image budget changes the pixels asked for, so it is part of the question.
            params={**p.model_dump(mode="json"), "image_budget": self.image_budget},
            voice=(p.voice or req.spec.default_voice) if p.wants_audio else None,
            prepare=self.prepare,
            file_digest=cache.file_digest,
        )

    def _cache_hit(self, material: KeyMaterial, builder: ResponseBuilder) -> list[Event] | None:
        """The replayed events of a stored answer (and ``builder.cache`` set), or None."""
        assert self.cache is not None
        found = self.cache.get(material.key)
        if found is None:
            return None
        from qwen_omni.cache import replay_events

        response, info = found
        builder.cache = info
        logger.info("cache hit %s: %s", material.key[:12], info.summary())
        events = list(replay_events(response))
        for event in events:
            builder.add(event)
        return events

    def _cache_put(
        self, material: KeyMaterial, req: _Request, builder: ResponseBuilder, started: float
    ) -> None:
        """Store the answer that just completed (never a partial one)."""
        assert self.cache is not None
        response = builder.build()
        cost = None
        if response.usage is not None:
            from qwen_omni.tasks.report import cost_cny

            media = bool(material.digests or material.volatile_urls)
            cost = cost_cny(response.usage, req.spec, self.settings.region, multimodal_input=media)
        stored = self.cache.put(
            material, response, cost_cny=cost, elapsed_s=time.monotonic() - started
        )
        builder.cache = CacheInfo(
            key=material.key,
            hit=False,
            stored=stored,
            note="" if stored else "the answer was not complete",
        )

    def _delivery_context(self, spec: ModelSpec) -> DeliveryContext:
        from qwen_omni.delivery import DeliveryContext

        s = self.settings
        return DeliveryContext(
            model=spec.name,
            base_url=s.base_url,
            api_key=s.api_key.get_secret_value() if s.api_key else None,
            region=s.region,
            deadline_s=s.timeouts.total + URL_VALIDITY_MARGIN_S,
            fetch_within_s=s.timeouts.first_byte + URL_FETCH_MARGIN_S,
            api_base_url=s.api_base_url,
        )

    def _media_parts(self, req: _Request) -> list[Image | Audio | Video]:
        """Every media item of the request that needs delivering, frames included."""
        out: list[Image | Audio | Video] = []
        for message in req.messages:
            for part in message.parts:
                if isinstance(part, VideoFrames):
                    out.extend(part.frames)
                elif isinstance(part, (Image, Audio, Video)):
                    out.append(part)
        return out

    def _apply_delivery(
        self, req: _Request, delivered: dict[int, tuple[str, str | None]]
    ) -> list[Message]:
        """Messages with every media part replaced by its delivered URL."""

        def swap(part: Any) -> Any:
            url, fmt = delivered[id(part)]
            update: dict[str, Any] = {"url": url, "path": None, "data": None}
            if isinstance(part, Audio):
                update["format"] = fmt
            return part.model_copy(update=update)

        return _map_media(req.messages, swap)

    def _body_and_headers(
        self, req: _Request, messages: list[Message], oss_resolve: bool
    ) -> tuple[dict[str, Any], dict[str, str]]:
        body = _wire.build_body(
            req.spec.name,
            messages,
            req.params,
            dialect=self.settings.dialect,
            voice=req.spec.default_voice,
        )
        headers = {**self._default_headers, **req.extra_headers}
        if oss_resolve:
            headers[OSS_RESOLVE_HEADER] = "enable"
        if logger.isEnabledFor(logging.DEBUG):
            kinds = [type(p).__name__ for m in messages for p in m.parts]
            logger.debug(
                "request model=%s messages=%d parts=%s oss_resolve=%s",
                req.spec.name,
                len(messages),
                kinds,
                oss_resolve,
            )
        return body, headers

    def _after_failure(self, exc: BaseException, state: _Attempt, attempt: int) -> float | None:
        """What to do after an attempt failed: seconds to wait before retrying, None when the
        answer is in fact complete, or raise (mapped error, or StreamInterrupted)."""
        from qwen_omni.redact import redact_exception

        redact_exception(exc)  # the SDK's error is kept as the cause: no echoed secret in it
        err = map_api_error(exc)
        builder, deadline = state.builder, state.deadline
        if state.decoder.finished is not None and isinstance(err, APIConnectionError):
            # The answer was complete; only the trailing usage chunk was lost.
            logger.warning("stream closed after finish, before usage: %s", err)
            return None
        left = deadline - time.monotonic()
        if left <= 0 and isinstance(err, APIConnectionError):
            err = APITimeoutError(
                f"total timeout of {state.total:g} s expired; raise timeout= (Timeouts(total=…)) "
                "if the answer is legitimately long"
            )
        if state.emitted or builder.has_output:
            cls = StreamTimedOut if isinstance(err, APITimeoutError) else StreamInterrupted
            raise cls(
                f"the stream broke after output had arrived ({err}); "
                "the partial answer is in .partial",
                partial=builder.build(),
            ) from exc
        if isinstance(err, RateLimitError) and err.retry_after is not None:
            wait_limit = min(left, RETRY_MAX_S)
            if err.retry_after > wait_limit or attempt >= self.settings.max_retries:
                # Sleeping into the timeout helps no one: the caller learns at once.
                raise type(err)(
                    f"{err.message} — the service asks to wait {err.retry_after:g} s before "
                    f"retrying"
                    + (
                        f", more than the {wait_limit:.3g} s this request may still wait; "
                        "retry after that time (see .retry_after)"
                        if err.retry_after > wait_limit
                        else "; retry after that time (see .retry_after)"
                    ),
                    retry_after=err.retry_after,
                    status_code=err.status_code,
                    code=err.code,
                    request_id=err.request_id,
                    body=err.body,
                ) from exc
        if attempt < self.settings.max_retries and is_retryable(err) and left > 0:
            delay = min(backoff_delay(attempt, err), left)
            logger.info("retrying after %s (attempt %d, %.2f s)", err, attempt + 1, delay)
            return delay
        if err is exc:
            raise err
        raise err from exc

    def _post_args(
        self, body: dict[str, Any], headers: dict[str, str], state: _Attempt, stream_cls: Any
    ) -> dict[str, Any]:
        """The SDK ``post`` arguments of one attempt (the body is read by ``_body_reader``)."""
        return {
            "path": "/chat/completions",
            "body": body,
            "cast_to": object,
            "stream": True,
            "stream_cls": stream_cls,
            "options": self._sdk_options(headers, state.remaining()),
        }

    def _body_reader(self, response: Any, state: _Attempt) -> StreamBody:
        """The bounded reader of one response body (see ``_sse``)."""
        return StreamBody(
            content_encoding=response.headers.get("content-encoding"),
            max_event_bytes=self.max_event_bytes,
            request_id=state.decoder.request_id,
        )

    def _sdk_options(self, headers: dict[str, str], remaining: float) -> dict[str, Any]:
        import openai

        t = self.settings.timeouts
        return {
            "headers": headers,
            "timeout": openai.Timeout(
                connect=min(t.connect, remaining),
                read=min(t.first_byte, remaining),
                write=min(t.first_byte, remaining),
                pool=min(t.connect, remaining),
            ),
        }

    def _check_key(self) -> None:
        """Raise ``ConfigurationError`` naming ``DASHSCOPE_API_KEY`` when the endpoint is
        DashScope's and no key is set: before any upload or request (decided by endpoint)."""
        if self.settings.needs_key:
            self.settings.require_key()

    def _sdk_kwargs(self, default_http_client: Any = None) -> dict[str, Any]:
        s = self.settings
        http_client = self._http_client if self._http_client is not None else default_http_client
        if s.needs_key:
            key = s.require_key()  # ConfigurationError naming DASHSCOPE_API_KEY, nothing sent
        else:
            # The emulator and self-hosted servers (vLLM) take no key; the SDK needs a string.
            key = s.api_key.get_secret_value() if s.api_key else "EMPTY"
        return {
            "api_key": key,
            "base_url": s.base_url,
            "max_retries": 0,  # retries are ours: a stream may only retry before output
            # Streams are read raw (bounded, see _sse): a compressed stream is not asked for.
            "default_headers": {"User-Agent": user_agent(), "Accept-Encoding": "identity"},
            **({"http_client": http_client} if http_client is not None else {}),
        }


def _request_id(response: Any) -> str | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    return headers.get("x-request-id") or headers.get("x-dashscope-request-id")


class _StreamViews:
    """What a stream (sync or async) shows of the answer so far, from its one builder."""

    _builder: ResponseBuilder

    @property
    def response(self) -> OmniResponse:
        """The answer assembled from the events seen so far."""
        return self._builder.build()

    def tool_calls(self) -> list[ToolCall | InvalidToolCall]:
        """The tool calls so far in stream order, each judged once by the core: a call whose
        arguments are not a complete JSON object (still streaming, or cut off) is an
        ``InvalidToolCall``. Cheaper than ``response`` (which joins all text and audio)."""
        return self._builder.tool_calls()

    def partial_tool_calls(self) -> list[ToolCall]:
        """The tool calls so far with their raw, possibly incomplete arguments (a progress
        view, never to execute); each call joins the arguments so far, so ask sparingly."""
        return self._builder.partial_tool_calls()


class OmniStream(_StreamViews):
    """A response as it streams: iterate for events; ``response`` is what arrived so far.

    Use it as a context manager (or call ``close()``) to release the connection early.
    """

    def __init__(self, client: OmniClient, req: _Request) -> None:
        self._builder = ResponseBuilder()
        self._events = client._run(req, self._builder)

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return next(self._events)

    def __enter__(self) -> OmniStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._events.close()

    def until_done(self) -> OmniResponse:
        """Consume the rest of the stream and return the whole answer."""
        for _ in self._events:
            pass
        return self._builder.build()


class OmniClient(_ClientBase):
    """Synchronous Qwen-Omni client.

    Example::

        from qwen_omni import OmniClient, video
        client = OmniClient()                     # DASHSCOPE_API_KEY, Beijing, qwen3-omni-flash
        answer = client.complete([video("clip.mp4"), "What happens in this clip?"])
        print(answer.text, answer.usage)

    Args:
        api_key: DashScope key; default ``DASHSCOPE_API_KEY``.
        model: default model; default ``QWEN_OMNI_MODEL`` or ``qwen3-omni-flash``.
        region: ``beijing``, ``singapore`` or ``us`` (picks the endpoint).
        base_url: any OpenAI-compatible endpoint (workspace domain, emulator, vLLM).
        dialect: ``dashscope`` or ``vllm`` (self-hosted vLLM wants raw base64 audio).
        timeout: seconds, or ``Timeouts(connect, first_byte, total)``.
        max_retries: retries of 429/5xx/connection failures before any output.
        delivery: a ``MediaDelivery`` or a policy name (``auto``, ``inline``, ``oss``,
            ``dashscope_temp``) for local media.
        default_headers: headers sent with every request.
        http_client: an HTTP client for the ``openai`` SDK (``openai.DefaultHttpxClient(...)``
            for proxies or custom transports; tests use a mock transport).
        prepare: local media preparation: ``auto`` (default) shrinks media too large to send
            inline to the field guide's budgets, ``always`` prepares every local medium,
            ``never`` sends media as given. Either way local media is measured first, and
            what the model cannot take is refused before sending.
        cache: an analysis cache (``qwen_omni.cache.AnalysisCache``), a path (SQLite file or
            directory) or True (the default file): a request already answered is served
            from it without sending (``response.from_cache``; ``response.cache`` says what was
            saved). Answers with temperature > 0 are kept only by ``AnalysisCache(sampled=True)``.
        max_event_bytes: the largest SSE line or event accepted from the service (default
            4 MiB, or ``QWEN_OMNI_MAX_EVENT_BYTES``); more is a ``MalformedResponseError``,
            so memory stays bounded whatever the server sends. The total timeout is enforced
            on wall-clock time at the socket, whatever the server sends (drip, keep-alives).
        image_budget: True (default) sends every image that has no ``min_pixels``/``max_pixels``
            of its own with the field guide's budget (``max_pixels=1280*720``,
            ``min_pixels=640*480``): a 1920×1080 photo costs 882 tokens instead of 1,224.
            False sends images with the model's defaults (up to 1,280 tokens each).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._openai: Any = None

    @property
    def _sdk(self) -> Any:
        if self._openai is None:
            with self._lock:
                if self._openai is None:
                    import openai

                    from qwen_omni._transport import sync_http_client

                    self._openai = openai.OpenAI(**self._sdk_kwargs(sync_http_client()))
        return self._openai

    def close(self) -> None:
        """Close the HTTP connection pool."""
        if self._openai is not None:
            self._openai.close()
            self._openai = None

    def __enter__(self) -> OmniClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stream(
        self, messages: MessagesInput, *, model: str | None = None, **params: Any
    ) -> OmniStream:
        """Stream the answer as events (``TextDelta``, ``AudioDelta``, ``ToolCallDelta``…).

        ``messages``: a string, a part, a list of parts (one user message), or a list of
        ``Message`` objects / dicts. ``params``: see ``RequestParams`` (temperature,
        max_tokens, modalities, voice, tools, tool_choice, response_format, enable_thinking,
        seed, top_p, top_k, presence_penalty, stop, extra_body) plus ``extra_headers``.
        The request is checked against the model's rules now; it is sent when you iterate.
        """
        return OmniStream(self, self._request(messages, model, params))

    def complete(
        self, messages: MessagesInput, *, model: str | None = None, **params: Any
    ) -> OmniResponse:
        """Send the request (streaming, as the service requires) and return the whole answer."""
        with self.stream(messages, model=model, **params) as s:
            return s.until_done()

    def _deliver(self, req: _Request) -> tuple[list[Message], bool, list[DeliveredMedia]]:
        from qwen_omni.delivery import audio_format_for

        parts = self._media_parts(req)
        if not parts:
            return req.messages, False, []
        ctx = self._delivery_context(req.spec)
        delivered: dict[int, tuple[str, str | None]] = {}
        results = []
        # Prepared files live until they are delivered (inlined or uploaded), no longer.
        with tempfile.TemporaryDirectory(prefix="qwen-omni-prepare-") as tmp:
            ready = [_ready_local_media(p, req.spec, self.prepare, Path(tmp)) for p in parts]
            for part, sent in zip(parts, ready, strict=True):
                result = self.delivery.deliver(sent, ctx)
                results.append(result)
                fmt = audio_format_for(sent) if isinstance(sent, Audio) else None
                delivered[id(part)] = (result.url, fmt)
        oss_resolve = any(r.oss_resolve for r in results)
        return self._apply_delivery(req, delivered), oss_resolve, results

    def _run(self, req: _Request, builder: ResponseBuilder) -> Generator[Event, None, None]:
        material = self._cache_material(req, builder)
        if material is not None:
            replay = self._cache_hit(material, builder)
            if replay is not None:
                yield from replay
                return
        self._check_key()
        started = time.monotonic()
        deadline = started + self.settings.timeouts.total
        messages, oss_resolve, delivered = self._deliver(req)
        try:
            body, headers = self._body_and_headers(req, messages, oss_resolve)
            yield from self._attempts(body, headers, deadline, builder)
        finally:
            # Uploaded objects are deleted after use when the store says so (delete_after_use).
            for item in delivered:
                self.delivery.release(item)
        # Reached only when the stream completed: a failure raised, an early close exited.
        if material is not None:
            self._cache_put(material, req, builder, started)

    def _attempts(
        self,
        body: dict[str, Any],
        headers: dict[str, str],
        deadline: float,
        builder: ResponseBuilder,
    ) -> Generator[Event, None, None]:
        import openai

        from qwen_omni._transport import deadline_scope

        failures = _transport_failures()
        attempt = 0
        while True:
            state = _Attempt(builder, deadline, self.settings.timeouts.total)
            try:
                with deadline_scope(deadline):
                    sdk_stream = self._sdk.post(
                        **self._post_args(body, headers, state, openai.Stream[object])
                    )
                response = sdk_stream.response
                state.decoder.request_id = _request_id(response)
                try:
                    reader = self._body_reader(response, state)
                    raw = response.iter_raw()
                    while not reader.done:
                        state.check_deadline()
                        with deadline_scope(deadline):
                            data = next(raw, None)
                        if data is None:
                            break
                        for chunk in reader.feed(data):
                            yield from state.events(chunk)
                    for chunk in reader.end():
                        yield from state.events(chunk)
                finally:
                    sdk_stream.close()
                state.finish()
                return
            except GeneratorExit:
                raise
            except failures as exc:
                delay = self._after_failure(exc, state, attempt)
                if delay is None:
                    return
                time.sleep(delay)
                attempt += 1
                builder.reset()


class AsyncOmniStream(_StreamViews):
    """An async response stream: ``async for`` events; ``response`` is what arrived so far."""

    def __init__(self, client: AsyncOmniClient, req: _Request) -> None:
        self._builder = ResponseBuilder()
        self._events = client._run(req, self._builder)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self._events.__anext__()

    async def __aenter__(self) -> AsyncOmniStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        await self._events.aclose()

    async def until_done(self) -> OmniResponse:
        """Consume the rest of the stream and return the whole answer."""
        async for _ in self._events:
            pass
        return self._builder.build()


class _DefaultConcurrency:
    """The marker of "no ``max_concurrency`` given": the documented default applies."""

    def __repr__(self) -> str:
        return f"default ({DEFAULT_MAX_CONCURRENCY})"


#: In-flight streams per ``AsyncOmniClient`` and event loop when the caller sets no cap.
#: DashScope limits requests per model and root account (RPM/RPS, burst growth) without
#: publishing the numbers for Qwen-Omni (reference §9: UNCONFIRMED), and advises client-side
#: flow control over retrying 429s; 16 keeps a burst (an agent's batch, a loader's segments)
#: under typical per-account limits. Pass ``max_concurrency`` to choose: an int, or None for
#: no cap. When this default makes a request wait, the client logs it once.
DEFAULT_MAX_CONCURRENCY = 16
_DEFAULT_CAP = _DefaultConcurrency()


class AsyncOmniClient(_ClientBase):
    """Asynchronous Qwen-Omni client; the same arguments as ``OmniClient``, plus
    ``max_concurrency``: at most this many requests stream at once per event loop (None: no
    limit; not given: :data:`DEFAULT_MAX_CONCURRENCY`, and the first request it holds back
    is logged as a warning, so a throttled caller learns why).
    """

    def __init__(
        self,
        *,
        max_concurrency: int | _DefaultConcurrency | None = _DEFAULT_CAP,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._default_cap = isinstance(max_concurrency, _DefaultConcurrency)
        cap = (
            DEFAULT_MAX_CONCURRENCY
            if isinstance(max_concurrency, _DefaultConcurrency)
            else (max_concurrency)
        )
        if cap is not None and cap < 1:
            from qwen_omni.errors import ConfigurationError

            raise ConfigurationError(f"max_concurrency must be >= 1, got {cap}")
        self.max_concurrency: int | None = cap
        self._said_waiting = False
        self._semaphores: dict[int, asyncio.Semaphore] = {}
        self._openai: Any = None
        self.in_flight = 0
        """Requests streaming right now (for monitoring and tests)."""

    @property
    def _sdk(self) -> Any:
        if self._openai is None:
            import openai

            from qwen_omni._transport import async_http_client

            self._openai = openai.AsyncOpenAI(**self._sdk_kwargs(async_http_client()))
        return self._openai

    def _semaphore(self) -> asyncio.Semaphore | None:
        if self.max_concurrency is None:
            return None
        # One semaphore per event loop: a client may be used from several loops over time.
        loop_id = id(asyncio.get_running_loop())
        sem = self._semaphores.get(loop_id)
        if sem is None:
            sem = self._semaphores[loop_id] = asyncio.Semaphore(self.max_concurrency)
        return sem

    def _waiting(self) -> None:
        """A request waits for a free slot: say so once per client (the default cap only;
        an explicit cap is the caller's own choice)."""
        if self._said_waiting:
            return
        self._said_waiting = True
        if self._default_cap:
            logger.warning(
                "AsyncOmniClient: %d requests are already streaming, so further requests wait "
                "for a slot (the default max_concurrency=%d per client and event loop); pass "
                "max_concurrency=N (or None for no cap) to AsyncOmniClient, ChatQwenOmni or "
                "LangChain's batch config to choose. Said once per client.",
                self.max_concurrency,
                self.max_concurrency,
            )
        else:
            logger.debug(
                "AsyncOmniClient: requests wait for max_concurrency=%s", self.max_concurrency
            )

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        if self._openai is not None:
            await self._openai.close()
            self._openai = None

    async def __aenter__(self) -> AsyncOmniClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def stream(
        self, messages: MessagesInput, *, model: str | None = None, **params: Any
    ) -> AsyncOmniStream:
        """Stream the answer as events; see ``OmniClient.stream``. Use ``async for``."""
        return AsyncOmniStream(self, self._request(messages, model, params))

    async def complete(
        self, messages: MessagesInput, *, model: str | None = None, **params: Any
    ) -> OmniResponse:
        """Send the request and return the whole answer."""
        async with self.stream(messages, model=model, **params) as s:
            return await s.until_done()

    async def _deliver(self, req: _Request) -> tuple[list[Message], bool, list[DeliveredMedia]]:
        from qwen_omni.delivery import audio_format_for

        parts = self._media_parts(req)
        if not parts:
            return req.messages, False, []
        ctx = self._delivery_context(req.spec)
        with tempfile.TemporaryDirectory(prefix="qwen-omni-prepare-") as tmp:
            ready = [
                await asyncio.to_thread(_ready_local_media, p, req.spec, self.prepare, Path(tmp))
                if p.url is None
                else p
                for p in parts
            ]
            results = await asyncio.gather(*(self.delivery.adeliver(p, ctx) for p in ready))
        delivered = {
            id(part): (result.url, audio_format_for(sent) if isinstance(sent, Audio) else None)
            for part, sent, result in zip(parts, ready, results, strict=True)
        }
        oss_resolve = any(r.oss_resolve for r in results)
        return self._apply_delivery(req, delivered), oss_resolve, list(results)

    async def _run(self, req: _Request, builder: ResponseBuilder) -> AsyncGenerator[Event, None]:
        material = None
        if self.cache is not None:
            # Hashing a new file and SQLite reads block: keep them off the event loop.
            material = await asyncio.to_thread(self._cache_material, req, builder)
        if material is not None:
            replay = await asyncio.to_thread(self._cache_hit, material, builder)
            if replay is not None:
                for event in replay:
                    yield event
                return
        self._check_key()
        started = time.monotonic()
        deadline = started + self.settings.timeouts.total
        messages, oss_resolve, delivered = await self._deliver(req)
        try:
            body, headers = self._body_and_headers(req, messages, oss_resolve)
            sem = self._semaphore()
            if sem is not None:
                if sem.locked():
                    self._waiting()
                await sem.acquire()
            self.in_flight += 1
            try:
                async for event in self._attempts(body, headers, deadline, builder):
                    yield event
            finally:
                self.in_flight -= 1
                if sem is not None:
                    sem.release()
        finally:
            for item in delivered:
                await self.delivery.arelease(item)
        if material is not None:
            await asyncio.to_thread(self._cache_put, material, req, builder, started)

    async def _attempts(
        self,
        body: dict[str, Any],
        headers: dict[str, str],
        deadline: float,
        builder: ResponseBuilder,
    ) -> AsyncGenerator[Event, None]:
        import openai

        failures = _transport_failures()
        attempt = 0
        while True:
            state = _Attempt(builder, deadline, self.settings.timeouts.total)
            try:
                # Each await is cut at the deadline: the read timeout restarts on every byte,
                # the total timeout must not.
                async with asyncio.timeout(state.remaining()):
                    sdk_stream = await self._sdk.post(
                        **self._post_args(body, headers, state, openai.AsyncStream[object])
                    )
                response = sdk_stream.response
                state.decoder.request_id = _request_id(response)
                try:
                    reader = self._body_reader(response, state)
                    raw = response.aiter_raw()
                    try:
                        while not reader.done:
                            async with asyncio.timeout(state.remaining()):
                                data = await anext(raw, None)
                            if data is None:
                                break
                            for chunk in reader.feed(data):
                                for event in state.events(chunk):
                                    yield event
                        for chunk in reader.end():
                            for event in state.events(chunk):
                                yield event
                    finally:
                        await raw.aclose()
                finally:
                    await sdk_stream.close()
                state.finish()
                return
            except (GeneratorExit, asyncio.CancelledError):
                raise
            except failures as exc:
                delay = self._after_failure(exc, state, attempt)
                if delay is None:
                    return
                await asyncio.sleep(delay)
                attempt += 1
                builder.reset()


def iter_text(events: Iterable[Event]) -> Iterator[str]:
    """Only the answer text of an event stream (handy for printing as it arrives)."""
    from qwen_omni.response import TextDelta

    for event in events:
        if isinstance(event, TextDelta):
            yield event.text
