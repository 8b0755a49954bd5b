"""Pure: check a request against the model's rules from the catalog, before anything is sent.

Each failure raises ``RequestValidationError`` naming the rule, the value, the limit and the
fix. Unknown models get only the generic rules (the gateway's own), so new snapshots work.
Media durations and sizes are checked where the media is measured (``qwen_omni.media``).
"""

from __future__ import annotations

from qwen_omni.catalog import ModelSpec
from qwen_omni.content import Audio, Image, Message, Text, Video, VideoFrames
from qwen_omni.errors import RequestValidationError

__all__ = ["check_request", "modality_of"]

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


def _fail(message: str, rule: str, value: object, limit: object) -> RequestValidationError:
    return RequestValidationError(message, rule=rule, value=value, limit=limit)


def _check_params(spec: ModelSpec, params: object) -> None:
    from qwen_omni._wire import RequestParams

    assert isinstance(params, RequestParams)
    name = spec.name
    thinking = bool(params.enable_thinking) or (
        spec.thinking == "default_on" and params.enable_thinking is not False
    )
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
    if params.tools and not spec.tools:
        raise _fail(
            f"{name} does not support tool calling: use qwen3-omni-flash or qwen3.5-omni-plus",
            "tools_supported",
            len(params.tools),
            0,
        )
    if thinking and isinstance(params.tool_choice, dict):
        raise _fail(
            "a forced tool_choice is not allowed in thinking mode: use tool_choice='auto' or "
            "enable_thinking=False",
            "tool_choice_thinking",
            params.tool_choice,
            "auto",
        )
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


def check_request(spec: ModelSpec, messages: list[Message], params: object) -> None:
    """Raise ``RequestValidationError`` for the first rule the request breaks."""
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
    _check_params(spec, params)
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
