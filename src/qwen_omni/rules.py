"""Pure: check a request against the model's rules from the catalog, before anything is sent.

Each failure raises ``RequestValidationError`` naming the rule, the value, the limit and the
fix. Unknown models get only the generic rules (the gateway's own), so new snapshots work.
Media durations and sizes are checked where the media is measured (``qwen_omni.media``).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from qwen_omni.catalog import ModelSpec
from qwen_omni.content import Audio, Image, Message, Text, Video, VideoFrames
from qwen_omni.errors import RequestValidationError
from qwen_omni.params import RequestParams

__all__ = [
    "REQUIRED_TOOL_CHOICES",
    "check_request",
    "close_match",
    "modality_of",
    "resolve_tool_choice",
    "thinking_on",
]

SEED_MAX = 2**31 - 1


def modality_of(part: object) -> str:
    """``text``, ``image``, ``audio`` or ``video`` (frame lists are video)."""
    if isinstance(part, Text):
        return "text"
    if isinstance(part, Image):
        return "image"
    if isinstance(part, Audio):
        return "audio"
    if isinstance(part, (Video, VideoFrames)):
        return "video"
    raise TypeError(f"not a content part: {type(part).__name__}")


def close_match(name: str, accepted: Iterable[str]) -> str | None:
    """The accepted name ``name`` is most likely a typo of (``temprature`` → ``temperature``)."""
    found = difflib.get_close_matches(name, list(accepted), n=1, cutoff=0.8)
    return found[0] if found else None


def thinking_on(spec: ModelSpec, enable_thinking: bool | None) -> bool:
    """Whether a request thinks: asked for, or the model's default (``default_on``)."""
    return bool(enable_thinking) or (spec.thinking == "default_on" and enable_thinking is not False)


# --- tool_choice: the one policy every surface applies ------------------------------------------

#: The framework spellings of "the model must call a tool" (LangChain ``"any"``/``True``, OpenAI
#: and LlamaIndex ``"required"``; LlamaIndex's ``tool_required=True`` is passed as True).
REQUIRED_TOOL_CHOICES = ("required", "any", True)


def _forced(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def resolve_tool_choice(
    choice: str | bool | dict[str, Any] | None,
    tool_names: Sequence[str],
    *,
    spec: ModelSpec,
    dialect: str = "dashscope",
    enable_thinking: bool | None = None,
) -> str | dict[str, Any] | None:
    """The ``tool_choice`` to send for what a framework asked; the one policy of all surfaces.

    DashScope documents ``"auto"``, ``"none"`` and a forced ``{"type": "function", ...}`` and
    refuses ``"required"`` (reference §2); a forced choice is not allowed in thinking mode.
    A self-hosted vLLM endpoint (``dialect="vllm"``) accepts ``"required"``. So:

    - ``None``/``False``: nothing is sent (the service's default, ``"auto"``);
    - ``"auto"``/``"none"``: sent as given;
    - a tool name or an OpenAI function dict: that tool is forced; it must be one of
      ``tool_names`` (a ``RequestValidationError`` otherwise). Forcing while thinking is the
      caller's contradiction: :func:`check_request` refuses it with the fix;
    - "a call is required" (``"required"``, ``"any"``, ``True``): with one tool and no
      thinking, that tool is forced; on vLLM ``"required"`` is sent; otherwise the service
      cannot express it, so ``"auto"`` is sent with a ``UserWarning`` (the model may answer
      without a call: the framework's own "no tool call" handling then decides).
    """
    if choice is None or choice is False:
        return None
    if choice in ("auto", "none"):
        return choice
    names = list(tool_names)
    if choice in REQUIRED_TOOL_CHOICES:
        if not names:
            raise RequestValidationError(
                f"tool_choice={choice!r} asks for a tool call, but no tools are bound: bind tools "
                "first, or drop tool_choice",
                rule="tool_choice_tools",
                value=choice,
                limit=0,
            )
        thinking = thinking_on(spec, enable_thinking)
        if len(names) == 1 and not thinking:
            return _forced(names[0])
        if dialect == "vllm":
            return "required"
        why = (
            f"{spec.name or 'the model'} thinks, and thinking mode allows no forced tool_choice"
            if thinking
            else "DashScope has no tool_choice='required' and several tools are bound"
        )
        warnings.warn(
            f"tool_choice={choice!r}: {why}, so 'auto' is sent (the model may answer without a "
            "call); pass one tool name to force that tool"
            + (", with enable_thinking=False" if thinking else ""),
            UserWarning,
            stacklevel=3,
        )
        return "auto"
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if choice.get("type") != "function" or not isinstance(name, str):
            raise RequestValidationError(
                f"tool_choice {choice!r} is not a function choice: use "
                "{'type': 'function', 'function': {'name': ...}}, 'auto' or 'none'",
                rule="tool_choice",
                value=choice,
            )
    elif isinstance(choice, str):
        name = choice
    else:
        raise RequestValidationError(
            f"unsupported tool_choice {choice!r}: use 'auto', 'none', 'required' or a tool name",
            rule="tool_choice",
            value=choice,
        )
    if name not in names:
        raise RequestValidationError(
            f"tool_choice={name!r} names no bound tool; bound: {', '.join(names) or 'none'}",
            rule="tool_choice_tools",
            value=name,
            limit=names,
        )
    return _forced(name)


def _tool_names(tools: Sequence[dict[str, Any]] | None) -> list[str]:
    return [t["function"]["name"] for t in tools or () if isinstance(t.get("function"), dict)]


def _check_tool_choice(spec: ModelSpec, params: Any, thinking: bool, dialect: str) -> None:
    choice = params.tool_choice
    if choice is None:
        return
    if choice == "required" and dialect != "vllm":
        raise _fail(
            "tool_choice='required' is refused by DashScope (it accepts 'auto', 'none' or one "
            "function): force one tool by name, or let qwen_omni.resolve_tool_choice pick",
            "tool_choice_required",
            choice,
            ["auto", "none", "function"],
        )
    if isinstance(choice, str) and choice not in ("auto", "none", "required"):
        raise _fail(
            f"tool_choice={choice!r} is not a tool choice: use 'auto', 'none' or "
            "{'type': 'function', 'function': {'name': ...}}",
            "tool_choice",
            choice,
            ["auto", "none", "function"],
        )
    if isinstance(choice, dict):
        if thinking:
            raise _fail(
                "a forced tool_choice is not allowed in thinking mode: use tool_choice='auto' "
                "or enable_thinking=False",
                "tool_choice_thinking",
                choice,
                "auto",
            )
        name = (choice.get("function") or {}).get("name")
        names = _tool_names(params.tools)
        if params.tools and name not in names:
            raise _fail(
                f"tool_choice forces {name!r}, which is not among the tools: {', '.join(names)}",
                "tool_choice_tools",
                name,
                names,
            )


def _fail(message: str, rule: str, value: object, limit: object) -> RequestValidationError:
    return RequestValidationError(message, rule=rule, value=value, limit=limit)


def _check_params(spec: ModelSpec, params: RequestParams, dialect: str) -> None:
    name = spec.name
    thinking = thinking_on(spec, params.enable_thinking)
    if params.enable_thinking and spec.thinking == "none" and spec.known:
        raise _fail(
            f"{name} has no thinking mode: drop enable_thinking, or use qwen3-omni-flash",
            "thinking_supported",
            True,
            False,
        )
    if params.wants_audio:
        if not spec.audio_output:
            raise _fail(
                f"{name} answers in text only: drop modalities=['text','audio'] or use a model "
                "that speaks (qwen3-omni-flash, qwen3.5-omni-plus)",
                "audio_output",
                list(params.modalities or ()),
                ["text"],
            )
        if thinking:
            raise _fail(
                f"{name} cannot speak in thinking mode: set enable_thinking=False or "
                "modalities=['text']",
                "audio_with_thinking",
                list(params.modalities or ()),
                ["text"],
            )
        voice = params.voice or spec.default_voice
        if not voice:
            raise _fail(
                f"a spoken reply needs a voice: pass voice=... (e.g. {', '.join(spec.voices[:4])})",
                "voice_required",
                None,
                spec.voices,
            )
        if spec.voices and voice not in spec.voices:
            raise _fail(
                f"voice {voice!r} is not offered by {name}; choose one of {', '.join(spec.voices)}",
                "voice",
                voice,
                spec.voices,
            )
    if params.audio_format != "wav":
        raise _fail(
            f"audio.format {params.audio_format!r} is not supported: the service only accepts "
            "'wav' (and streams raw PCM16 24 kHz, which qwen-omni wraps as WAV for you)",
            "audio_format",
            params.audio_format,
            "wav",
        )
    if (
        "vl_high_resolution_images" in params.extra_body
        and spec.known
        and spec.tokens.image_max_tokens_hires is None
        and params.extra_body["vl_high_resolution_images"] is not False
    ):
        # OMNI-35: only Qwen3.5-Omni has the switch; Qwen3-Omni-Flash and Turbo do not. Sent
        # anyway, the service may ignore it and the estimate would be 13× too high.
        raise _fail(
            f"{name} does not support vl_high_resolution_images (only Qwen3.5-Omni raises the "
            "image cap to 16,384 tokens): drop it from extra_body, or use qwen3.5-omni-plus",
            "high_resolution_supported",
            True,
            False,
        )
    if params.tools and not spec.tools:
        raise _fail(
            f"{name} does not support tool calling: use qwen3-omni-flash or qwen3.5-omni-plus",
            "tools_supported",
            len(params.tools),
            0,
        )
    _check_tool_choice(spec, params, thinking, dialect)
    if (
        thinking
        and params.response_format
        and params.response_format.get("type") in ("json_object", "json_schema")
    ):
        raise _fail(
            "JSON mode does not work with thinking: set enable_thinking=False",
            "json_with_thinking",
            params.response_format,
            None,
        )
    if params.max_tokens is not None and not 1 <= params.max_tokens <= spec.max_output_tokens:
        raise _fail(
            f"max_tokens={params.max_tokens} is outside [1, {spec.max_output_tokens}] for {name}",
            "max_tokens",
            params.max_tokens,
            spec.max_output_tokens,
        )
    if params.temperature is not None and not 0 <= params.temperature < 2:
        raise _fail(
            f"temperature={params.temperature} is outside [0, 2)",
            "temperature",
            params.temperature,
            "[0, 2)",
        )
    if params.top_p is not None and not 0 < params.top_p <= 1:
        raise _fail(f"top_p={params.top_p} is outside (0, 1]", "top_p", params.top_p, "(0, 1]")
    if params.seed is not None and not 0 <= params.seed <= SEED_MAX:
        raise _fail(f"seed={params.seed} is outside [0, {SEED_MAX}]", "seed", params.seed, SEED_MAX)
    if params.presence_penalty is not None and not -2 <= params.presence_penalty <= 2:
        raise _fail(
            f"presence_penalty={params.presence_penalty} is outside [-2, 2]",
            "presence_penalty",
            params.presence_penalty,
            "[-2, 2]",
        )


def _check_context_window(
    spec: ModelSpec, messages: list[Message], params: RequestParams
) -> None:
    """The text alone over the model's input limit (a lower bound: media only adds tokens).

    Enforced for models the catalog knows; the service checks the whole input again.
    """
    if not spec.known:
        return
    from qwen_omni.media.tokens import text_tokens

    limit = spec.max_input(thinking=thinking_on(spec, params.enable_thinking))
    tokens = sum(text_tokens(m.text) for m in messages)
    if tokens > limit:
        raise _fail(
            f"the messages' text alone is about {tokens:,} tokens; {spec.name} accepts "
            f"{limit:,} input tokens: drop or summarize earlier messages, or use a model with "
            "a larger window (qwen3.5-omni-plus)",
            "context_window",
            tokens,
            limit,
        )


def check_request(
    spec: ModelSpec, messages: list[Message], params: RequestParams, dialect: str = "dashscope"
) -> None:
    """Raise ``RequestValidationError`` for the first rule the request breaks.

    ``dialect`` is the endpoint's (``dashscope`` or ``vllm``): vLLM accepts
    ``tool_choice="required"``, DashScope does not.
    """
    if spec.api == "realtime" and spec.realtime is not None:
        raise _fail(
            f"{spec.name} is a realtime model: it only answers over the realtime WebSocket. "
            "Use qwen_omni.realtime.AsyncRealtimeSession (or `qwen-omni talk`), or call the "
            f"chat model {spec.realtime.chat_model} here",
            "chat_model_required",
            spec.name,
            spec.realtime.chat_model,
        )
    if not messages:
        raise _fail("a request needs at least one message", "messages_non_empty", 0, 1)
    _check_params(spec, params, dialect)
    _check_context_window(spec, messages, params)
    audio_files = video_files = inline_items = 0
    for position, message in enumerate(messages):
        parts = message.parts
        media = [p for p in parts if not isinstance(p, Text)]
        if message.role != "user" and media:
            raise _fail(
                f"message {position} ({message.role}) holds media: only user messages may "
                "carry images, audio or video",
                "media_in_user_messages_only",
                message.role,
                "user",
            )
        modalities = {modality_of(p) for p in media}
        refused = sorted(m for m in modalities if m not in spec.inputs)
        if refused:
            raise _fail(
                f"message {position} holds {', '.join(refused)}: {spec.name} takes "
                f"{', '.join(spec.inputs)} only; send media to an Omni model "
                "(qwen3-omni-flash, qwen3.5-omni-plus)",
                "input_modalities",
                refused,
                spec.inputs,
            )
        if len(modalities) > 1 and not spec.mixed_modalities:
            raise _fail(
                f"message {position} mixes {', '.join(sorted(modalities))}: {spec.name} accepts "
                "text plus ONE other modality per message; split them over several user "
                "messages, or use qwen3.5-omni-plus, which takes any combination",
                "one_modality_per_message",
                sorted(modalities),
                1,
            )
        for part in media:
            if isinstance(part, Audio):
                audio_files += 1
            elif isinstance(part, Video):
                video_files += 1
            elif isinstance(part, VideoFrames):
                n = len(part.frames)
                if not spec.frames_min <= n <= spec.frames_max:
                    raise _fail(
                        f"a frame-list video has {n} frames; {spec.name} accepts "
                        f"{spec.frames_min} to {spec.frames_max}: sample fewer frames or send "
                        "the video file",
                        "video_frames_count",
                        n,
                        (spec.frames_min, spec.frames_max),
                    )
            for item in part.frames if isinstance(part, VideoFrames) else (part,):
                if item.url is None or item.url.startswith("data:"):
                    inline_items += 1
    if spec.max_audio_files is not None and audio_files > spec.max_audio_files:
        raise _fail(
            f"{audio_files} audio files in one request; {spec.name} accepts "
            f"{spec.max_audio_files}: send one per request (e.g. with a task per file)",
            "max_audio_files",
            audio_files,
            spec.max_audio_files,
        )
    if spec.max_video_files is not None and video_files > spec.max_video_files:
        raise _fail(
            f"{video_files} video files in one request; {spec.name} accepts "
            f"{spec.max_video_files}: send one per request, or use qwen3.5-omni-plus",
            "max_video_files",
            video_files,
            spec.max_video_files,
        )
    if inline_items > spec.max_inline_items:
        raise _fail(
            f"{inline_items} inline (base64) items; the service accepts {spec.max_inline_items}: "
            "upload some of them (delivery='oss')",
            "max_inline_items",
            inline_items,
            spec.max_inline_items,
        )
