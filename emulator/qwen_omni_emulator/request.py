"""Pure: a chat-completions body → :class:`ChatRequest`, refusing what the service refuses.

This is the gateway's side of the rules, checked independently of the client's own checks
(``qwen_omni.rules``): an emulator that reused the client's checks could never catch the client
breaking them. Every limit comes from :mod:`qwen_omni.catalog`; every message from
:mod:`qwen_omni_emulator.bodies`.

Nothing here does I/O. Media is only located (:class:`MediaRef`); fetching, decoding and probing
happen in :mod:`qwen_omni_emulator.perception`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from qwen_omni.catalog import DATA_URI_MAX_BYTES, MODELS, ModelSpec
from qwen_omni.media import text_tokens
from qwen_omni_emulator.bodies import MSG, ServiceError, bad_request, compat_error_body

if TYPE_CHECKING:
    from qwen_omni_emulator.perception import PerceivedPart

__all__ = [
    "ChatRequest",
    "MediaRef",
    "ParseOptions",
    "parse_chat_request",
    "text_tokens",
]

Modality = Literal["image", "audio", "video"]
SEED_MAX = 2**31 - 1
_PIXEL_KEYS = ("min_pixels", "max_pixels", "total_pixels")


@dataclass(frozen=True)
class MediaRef:
    """Where one media item sits in the request and how it is sent.

    ``kind`` is ``image``, ``audio``, ``video`` (a file) or ``frames`` (an image-list video, whose
    ``urls`` holds every frame). ``options`` holds the part's pixel/fps knobs.
    """

    message: int
    part: int
    kind: Literal["image", "audio", "video", "frames"]
    urls: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    audio_format: str | None = None

    @property
    def modality(self) -> Modality:
        return "video" if self.kind == "frames" else self.kind

    @property
    def url(self) -> str:
        return self.urls[0]


@dataclass
class ChatRequest:
    """A parsed, shape-checked chat request (what a responder sees).

    ``body`` is the JSON as received; the other fields are read from it. ``perceived`` is filled
    after the media has been received and probed.
    """

    request_id: str
    model: str
    spec: ModelSpec
    body: dict[str, Any]
    messages: list[dict[str, Any]]
    headers: dict[str, str]
    media: list[MediaRef]
    tools: list[dict[str, Any]]
    tool_choice: str | dict[str, Any] | None
    response_format: dict[str, Any] | None
    wants_audio: bool
    voice: str | None
    thinking: bool
    include_usage: bool
    max_tokens: int | None
    high_resolution: bool
    perceived: list[PerceivedPart] = field(default_factory=list)

    @property
    def json_mode(self) -> bool:
        """``response_format`` asks for JSON (``json_object`` or ``json_schema``)."""
        kind = (self.response_format or {}).get("type")
        return kind in ("json_object", "json_schema")

    @property
    def json_schema(self) -> dict[str, Any] | None:
        """The schema of a ``json_schema`` response format, if any."""
        if not self.response_format or self.response_format.get("type") != "json_schema":
            return None
        wrapper = self.response_format.get("json_schema") or {}
        schema = wrapper.get("schema") if isinstance(wrapper, dict) else None
        return schema if isinstance(schema, dict) else None

    @property
    def last_message(self) -> dict[str, Any]:
        return self.messages[-1]

    @property
    def last_user_text(self) -> str:
        """The text of the last user message (its text parts joined)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return message_text(message)
        return ""

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.tools]

    def tool(self, name: str) -> dict[str, Any] | None:
        """The ``function`` object of the tool called ``name``."""
        for t in self.tools:
            if t["function"]["name"] == name:
                fn: dict[str, Any] = t["function"]
                return fn
        return None

    def prompt_text_tokens(self) -> int:
        """Text tokens of the prompt: message texts, tool definitions and tool-call arguments."""
        total = 0
        for message in self.messages:
            total += text_tokens(message_text(message))
            for call in message.get("tool_calls") or []:
                fn = call.get("function") or {}
                total += text_tokens(str(fn.get("name", ""))) + text_tokens(
                    str(fn.get("arguments", ""))
                )
        if self.tools:
            total += text_tokens(json.dumps(self.tools, ensure_ascii=False))
        return total


def message_text(message: dict[str, Any]) -> str:
    """The text of a message: the string content, or its text parts joined by newlines."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


@dataclass(frozen=True)
class ParseOptions:
    """Emulator switches that change what the gateway accepts."""

    #: models served, by name: the catalog's known models unless configured
    models: Mapping[str, ModelSpec] = field(default_factory=lambda: dict(MODELS))
    #: accept ``tool_choice="required"`` (the reference documents only "none"/"auto": refused)
    allow_required_tool_choice: bool = False
    #: ``oss://`` URLs resolve only with ``X-DashScope-OssResourceResolve: enable`` (§7)
    oss_resolve_header: bool = False


# --- helpers ------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, request_id: str) -> None:
        self.request_id = request_id

    def fail(self, message: str, *, algo: bool = False, param: str | None = None) -> ServiceError:
        return bad_request(message, request_id=self.request_id, algo=algo, param=param)


def _check_url(url: Any, ctx: _Ctx, opts: ParseOptions, path: str) -> str:
    """The URL rules of §3 and §7: scheme, ``base64`` in data URIs, the oss:// header, 10 MB."""
    if not isinstance(url, str) or not url:
        raise ctx.fail(MSG.field_required(path))
    low = url[:8].lower()
    if low.startswith("data:"):
        head, sep, _ = url.partition(",")
        if not sep or "base64" not in head.lower():
            raise ctx.fail(MSG.INVALID_URL, algo=True)
        if len(url) > DATA_URI_MAX_BYTES:
            raise ctx.fail(MSG.DATA_URI_TOO_LARGE)
        return url
    if low.startswith(("http://", "https://")):
        return url
    if low.startswith("oss://"):
        if not opts.oss_resolve_header:
            raise ctx.fail(MSG.INVALID_URL, algo=True)
        return url
    raise ctx.fail(MSG.INVALID_URL, algo=True)


def _options(part: dict[str, Any], inner: Any) -> dict[str, Any]:
    """Pixel and fps knobs: siblings at the part's top level (§3) or inside the inner object."""
    found: dict[str, Any] = {}
    for source in (inner if isinstance(inner, dict) else {}, part):
        for key in (*_PIXEL_KEYS, "fps"):
            value = source.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                found[key] = value
    return found


def _parse_part(
    part: Any, m: int, p: int, ctx: _Ctx, opts: ParseOptions
) -> tuple[str, MediaRef | None]:
    """(modality, media) of one content part; raises for a wrong shape."""
    where = f"messages[{m}].content[{p}]"
    if not isinstance(part, dict):
        raise ctx.fail(MSG.unsupported_part(type(part).__name__))
    kind = part.get("type")
    if not isinstance(kind, str):
        raise ctx.fail(MSG.field_required(f"{where}.type"))
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise ctx.fail(MSG.field_required(f"{where}.text"))
        return "text", None
    if kind == "image_url":
        inner = part.get("image_url")
        url = inner.get("url") if isinstance(inner, dict) else None
        url = _check_url(url, ctx, opts, f"{where}.image_url.url")
        return "image", MediaRef(m, p, "image", (url,), _options(part, inner))
    if kind == "input_audio":
        inner = part.get("input_audio")
        data = inner.get("data") if isinstance(inner, dict) else None
        data = _check_url(data, ctx, opts, f"{where}.input_audio.data")
        fmt = inner.get("format") if isinstance(inner, dict) else None
        return "audio", MediaRef(m, p, "audio", (data,), audio_format=fmt if fmt else None)
    if kind == "video_url":
        inner = part.get("video_url")
        url = inner.get("url") if isinstance(inner, dict) else None
        url = _check_url(url, ctx, opts, f"{where}.video_url.url")
        return "video", MediaRef(m, p, "video", (url,), _options(part, inner))
    if kind == "video":
        frames = part.get("video")
        if not isinstance(frames, list) or not frames:
            raise ctx.fail(MSG.field_required(f"{where}.video"))
        urls = tuple(_check_url(f, ctx, opts, f"{where}.video[{i}]") for i, f in enumerate(frames))
        return "video", MediaRef(m, p, "frames", urls, _options(part, None))
    raise ctx.fail(MSG.unsupported_part(kind))


# --- the parser ---------------------------------------------------------------------------


def _parse_messages(
    messages: list[Any], spec: ModelSpec, ctx: _Ctx, opts: ParseOptions
) -> list[MediaRef]:
    """Check roles, contents and parts; return the media in request order."""
    media: list[MediaRef] = []
    seen_tool_calls: set[str] = set()
    has_user = False
    for m, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ctx.fail("Input should be a valid dictionary or instance of GPT3Message")
        role = message.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            raise ctx.fail(MSG.field_required(f"messages[{m}].role"))
        content = message.get("content")
        if content is None and not (role == "assistant" and message.get("tool_calls")):
            raise ctx.fail(MSG.CONTENT_REQUIRED)
        has_user = has_user or role == "user"
        if role == "assistant":
            calls = message.get("tool_calls") or []
            seen_tool_calls.update(
                c["id"] for c in calls if isinstance(c, dict) and isinstance(c.get("id"), str)
            )
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not seen_tool_calls or (isinstance(call_id, str) and call_id not in seen_tool_calls):
                raise ctx.fail(MSG.TOOL_WITHOUT_CALL)
        if isinstance(content, str) or content is None:
            continue
        if not isinstance(content, list):
            raise ctx.fail("Input should be a valid dictionary or instance of GPT3Message")
        kinds: set[str] = set()
        for p, part in enumerate(content):
            modality, ref = _parse_part(part, m, p, ctx, opts)
            if ref is None:
                continue
            if role != "user":
                raise ctx.fail(MSG.ASSISTANT_MEDIA)
            if modality not in spec.inputs:
                raise ctx.fail(MSG.UNSUPPORTED_INPUT.format(model=spec.name, modality=modality))
            kinds.add(modality)
            media.append(ref)
        # §2 multi-turn: Flash and Turbo take text plus ONE other modality per message.
        if len(kinds) > 1 and not spec.mixed_modalities and spec.confirmed:
            raise ctx.fail(MSG.ONE_MODALITY.format(model=spec.name))
    if not has_user:
        raise ctx.fail(MSG.NO_USER)
    return media


def _check_media_counts(media: list[MediaRef], spec: ModelSpec, ctx: _Ctx) -> None:
    """Per-request counts of §4.1: inline items, audio and video files, frame-list lengths."""
    if not spec.confirmed:  # limits of unconfirmed models are not enforced (catalog rule)
        return
    inline_items = sum(1 for r in media for u in r.urls if u[:5].lower() == "data:")
    if inline_items > spec.max_inline_items:
        raise ctx.fail(MSG.TOO_MANY_INLINE.format(limit=spec.max_inline_items))
    for modality, limit in (("audio", spec.max_audio_files), ("video", spec.max_video_files)):
        count = sum(1 for r in media if r.kind == modality)
        if limit is not None and count > limit:
            raise ctx.fail(
                MSG.TOO_MANY_FILES.format(modality=modality, model=spec.name, limit=limit),
                algo=True,
            )
    for ref in media:
        if ref.kind == "frames" and not spec.frames_min <= len(ref.urls) <= spec.frames_max:
            raise ctx.fail(MSG.frames_range(spec.frames_min, spec.frames_max), algo=True)


def _check_audio_output(body: dict[str, Any], spec: ModelSpec, thinking: bool, ctx: _Ctx) -> str:
    """The rules of ``modalities: ["text","audio"]`` (§2); returns the voice."""
    if not spec.audio_output:
        raise ctx.fail(MSG.AUDIO_OUTPUT_UNSUPPORTED.format(model=spec.name))
    if thinking:
        raise ctx.fail(MSG.AUDIO_WITH_THINKING)
    audio = body.get("audio")
    audio = audio if isinstance(audio, dict) else {}
    voice = audio.get("voice")
    if not isinstance(voice, str) or not voice:
        raise ctx.fail(MSG.missing_parameter("audio.voice"))
    if spec.voices and voice not in spec.voices:
        raise ctx.fail(MSG.voice(spec.voices))
    if audio.get("format") != "wav":
        raise ctx.fail("Input should be 'wav': parameters.audio.format")
    return voice


def _check_response_format(
    body: dict[str, Any], messages: list[Any], thinking: bool, ctx: _Ctx
) -> dict[str, Any] | None:
    response_format = body.get("response_format")
    if response_format is None:
        return None
    rtype = response_format.get("type") if isinstance(response_format, dict) else None
    if rtype not in ("text", "json_object", "json_schema"):
        raise ctx.fail(
            "Unknown format of response_format, response_format should be a dict, includes "
            "'type' and an optional key 'json_schema'. The response_format type from user "
            f"is {rtype if rtype is not None else response_format}."
        )
    if rtype in ("json_object", "json_schema") and thinking:
        raise ctx.fail(MSG.JSON_WITH_THINKING)
    if rtype == "json_object" and not any("json" in message_text(m).lower() for m in messages):
        raise ctx.fail(MSG.JSON_WORD)
    assert isinstance(response_format, dict)
    return response_format


def _check_tools(
    body: dict[str, Any], spec: ModelSpec, thinking: bool, ctx: _Ctx, opts: ParseOptions
) -> tuple[list[dict[str, Any]], str | dict[str, Any] | None]:
    """``tools`` and ``tool_choice`` (§2, FC docs, ERR); returns both."""
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise ctx.fail(MSG.missing_parameter("tools"))
    if tools and not spec.tools:
        raise ctx.fail(MSG.TOOLS_UNSUPPORTED)
    for tool in tools:
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise ctx.fail(MSG.missing_parameter("tools.function.name"))
        if fn["name"] == "search":
            raise ctx.fail("Tool names are not allowed to be [search]")
    choice = body.get("tool_choice")
    if choice is None:
        return tools, None
    if isinstance(choice, str):
        allowed = (
            ("none", "auto", "required") if opts.allow_required_tool_choice else ("none", "auto")
        )
        if choice not in allowed:
            raise ctx.fail(MSG.TOOL_CHOICE_STRINGS)
        if choice == "required" and thinking:
            raise ctx.fail(MSG.TOOL_CHOICE_THINKING)
        return tools, choice
    if not isinstance(choice, dict):
        raise ctx.fail(MSG.TOOL_CHOICE_STRINGS)
    name = (choice.get("function") or {}).get("name")
    if choice.get("type") != "function" or not isinstance(name, str):
        raise ctx.fail(MSG.missing_parameter("tool_choice"))
    if name not in [t["function"]["name"] for t in tools]:
        raise ctx.fail(MSG.missing_parameter("tool_choice.function.name"))
    if thinking:  # forced choice is not allowed in thinking mode (§2)
        raise ctx.fail(MSG.TOOL_CHOICE_THINKING)
    return tools, choice


def _check_sampling(body: dict[str, Any], spec: ModelSpec, ctx: _Ctx) -> None:
    """Ranges of max_tokens, temperature, top_p, presence_penalty, top_k, repetition_penalty and
    seed (§2, ERR)."""
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool)
        or not isinstance(max_tokens, int)
        or not 1 <= max_tokens <= spec.max_output_tokens
    ):
        raise ctx.fail(MSG.max_tokens(spec.max_output_tokens))
    for key, message, ok in (
        ("temperature", MSG.TEMPERATURE, lambda v: 0 <= v < 2),
        ("top_p", MSG.TOP_P, lambda v: 0 < v <= 1),
        ("presence_penalty", MSG.PRESENCE_PENALTY, lambda v: -2 <= v <= 2),
        ("top_k", MSG.TOP_K, lambda v: v >= 0),
        ("repetition_penalty", MSG.REPETITION_PENALTY, lambda v: v > 0),
    ):
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok(value):
            raise ctx.fail(message)
    seed = body.get("seed")
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ctx.fail("'seed' must be Integer")
    if seed < 0:
        raise ctx.fail(f"{seed} is lesser than the minimum of 0 - 'seed'")
    if seed > SEED_MAX:
        raise ctx.fail(f"{seed} is greater than the maximum of {SEED_MAX} - 'seed'")


def parse_chat_request(
    raw: bytes,
    *,
    request_id: str,
    headers: dict[str, str],
    opts: ParseOptions,
) -> ChatRequest:
    """Parse and check a chat-completions body; raise :class:`ServiceError` like the gateway.

    The order follows the gateway: body, model, stream, messages and parts, parameters.
    """
    ctx = _Ctx(request_id)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ctx.fail(MSG.BODY_INVALID) from None
    if not isinstance(body, dict):
        raise ctx.fail(MSG.BODY_INVALID)

    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ServiceError(
            400,
            compat_error_body(MSG.NO_MODEL, code="invalid_request_error", request_id=request_id),
        )
    if model not in opts.models:
        raise ServiceError(
            404,
            compat_error_body(
                MSG.model_not_found(model), code="model_not_found", request_id=request_id
            ),
        )
    spec = opts.models[model]

    modalities = body.get("modalities")
    if modalities is not None and (
        not isinstance(modalities, list) or any(m not in ("text", "audio") for m in modalities)
    ):
        raise ctx.fail(MSG.missing_parameter("modalities"))
    wants_audio = "audio" in (modalities or ())

    # §1.3: the stream-only trap. Every Omni model is held to it, qwen3.8-omni-flash included
    # (its streaming requirement is UNCONFIRMED; clients always stream, so this costs nothing).
    if body.get("stream") is not True:
        raise ctx.fail(MSG.AUDIO_STREAM_ONLY if wants_audio else MSG.STREAM_ONLY)

    messages = body.get("messages")
    if not isinstance(messages, list):
        raise ctx.fail(MSG.field_required("messages"))
    if not messages:
        raise ctx.fail(MSG.EMPTY_MESSAGES)
    media = _parse_messages(messages, spec, ctx, opts)
    _check_media_counts(media, spec, ctx)

    enable_thinking = body.get("enable_thinking")
    if enable_thinking is True and spec.thinking == "none":
        raise ctx.fail(MSG.thinking_unsupported(model))
    thinking = enable_thinking is True or (
        spec.thinking == "default_on" and enable_thinking is not False
    )
    voice = _check_audio_output(body, spec, thinking, ctx) if wants_audio else None
    response_format = _check_response_format(body, messages, thinking, ctx)
    tools, tool_choice = _check_tools(body, spec, thinking, ctx, opts)
    if body.get("enable_search") is True and not spec.web_search:
        raise ctx.fail(MSG.SEARCH_UNSUPPORTED)
    _check_sampling(body, spec, ctx)

    stream_options = body.get("stream_options")
    return ChatRequest(
        request_id=request_id,
        model=model,
        spec=spec,
        body=body,
        messages=messages,
        headers=headers,
        media=media,
        tools=tools,
        tool_choice=tool_choice,
        response_format=response_format,
        wants_audio=wants_audio,
        voice=voice,
        thinking=thinking,
        include_usage=isinstance(stream_options, dict)
        and stream_options.get("include_usage") is True,
        max_tokens=body.get("max_tokens"),
        high_resolution=body.get("vl_high_resolution_images") is True,
    )
