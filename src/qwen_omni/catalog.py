"""Per-model facts, as data: the one place where model limits, token constants and prices live.

Everything here comes from ``shared/reference/dashscope_api.md`` (sections named in comments).
Where the reference marks a value UNCONFIRMED the comment says so, and the code that uses it
must tolerate both possibilities (a rule we are unsure of is only enforced when ``confirmed``).

Use :func:`get_model` to look a model up: unknown names get the generic rules (``known=False``),
so a new snapshot works before this table learns about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

__all__ = [
    "CONSERVATIVE_CONTEXT_WINDOW",
    "DATA_URI_MAX_BYTES",
    "GENERIC",
    "IMAGE_BUDGET_MAX_PIXELS",
    "IMAGE_BUDGET_MIN_PIXELS",
    "MODELS",
    "ModelSpec",
    "Prices",
    "RealtimeFacts",
    "TokenConstants",
    "get_model",
    "known_models",
    "planning_window",
    "realtime_models",
]

#: The field guide's image budget (seeds/qwen-omni-field-guide): ``max_pixels=1280*720`` —
#: "almost no quality loss, big cost savings" — and ``min_pixels=640*480`` "so the model never
#: scales up tiny crops". Sent with every image that has no bounds of its own, unless the
#: client is built with ``image_budget=False``.
IMAGE_BUDGET_MAX_PIXELS = 1280 * 720
IMAGE_BUDGET_MIN_PIXELS = 640 * 480

#: Gateway cap on one data-URI item, encoded (§4.1: "max bytes per data-uri item : 10485760").
DATA_URI_MAX_BYTES = 10_485_760

MB = 1024 * 1024
GB = 1024 * MB

ThinkingMode = Literal["none", "hybrid", "default_on"]


@dataclass(frozen=True)
class TokenConstants:
    """Constants of the official token estimators (§6).

    ``image_patch`` is the side in pixels of one visual token (after the 2×2 merge): 32 for
    Qwen3.x-Omni, 28 for Turbo and Qwen2.5-Omni.
    """

    image_patch: int
    image_min_tokens: int
    image_max_tokens: int
    #: Qwen3.5-Omni with ``vl_high_resolution_images``; None where the switch is unsupported.
    image_max_tokens_hires: int | None
    video_min_pixels: int
    video_max_pixels: int
    video_fps: float
    video_min_frames: int
    video_max_frames: int
    video_total_pixels: int
    audio_in_tokens_per_s: float
    audio_out_tokens_per_s: float
    frame_factor: int = 2
    max_ratio: int = 200
    #: the most a request's video ``max_pixels`` may ask for (APIREF: 2,048,000 on
    #: Qwen3.5-Omni); None: UNCONFIRMED, a request may only lower ``video_max_pixels``
    video_max_pixels_limit: int | None = None
    #: the least a request's video ``min_pixels`` may ask for (APIREF: 4,096 on Qwen3.5-Omni)
    video_min_pixels_limit: int | None = None


@dataclass(frozen=True)
class Prices:
    """CNY per 1M tokens for one model in one region (§6.4)."""

    input_text: float
    input_audio: float
    input_image_video: float
    #: output text when the input was text only
    output_text: float
    #: output text when the input held image, audio or video
    output_text_multimodal: float
    #: output audio tokens (the text of a spoken reply is then free)
    output_audio: float
    confirmed: bool = True
    currency: str = "CNY"


@dataclass(frozen=True)
class RealtimeFacts:
    """What a realtime (WebSocket) model takes, from ``shared/reference/realtime.md``.

    Attributes:
        schema: ``flat`` (turbo / 3 / 3.5: ``voice``, ``input_audio_format`` at the top of the
            session) or ``nested`` (``qwen3.8-omni-flash-realtime``: ``audio.input.format``,
            ``audio.output.voice``).
        vad_types: the ``turn_detection.type`` values the model accepts (None: manual).
        chat_model: the chat-completions model of the same family (for hints).
        max_session_s: the longest session. The sources disagree (120 min EN, 30 min ID mirror,
            LiveKit's default 20 min): UNCONFIRMED, we keep the shortest documented value.
        idle_timeout_s: the service closes a socket idle this long; WebSocket pings do not
            count (measured by a gateway; the exact activity rule is UNCONFIRMED).
    """

    schema: Literal["flat", "nested"]
    vad_types: tuple[str, ...]
    chat_model: str
    input_sample_rate: int = 16_000
    output_sample_rate: int = 24_000
    #: ``input_image_buffer.append``: JPEG, at most 256 KB of base64, at most 1 frame/s
    image_max_base64_bytes: int = 256 * 1024
    image_max_fps: float = 1.0
    image_max_side: int = 1080
    max_session_s: float = 30 * 60
    idle_timeout_s: float = 300.0
    #: ``response.create`` may omit ``response`` and ``session.finish`` is not acknowledged
    finish_acknowledged: bool = True


@dataclass(frozen=True)
class ModelSpec:
    """What one Qwen-Omni model accepts, returns and costs."""

    name: str
    family: str
    known: bool
    context_window: int
    max_input_tokens: int
    max_output_tokens: int
    #: max input tokens when thinking is on (None: the model does not think)
    max_input_tokens_thinking: int | None
    max_reasoning_tokens: int | None
    thinking: ThinkingMode
    audio_output: bool
    tools: bool
    web_search: bool
    #: False: a user message holds text plus ONE other modality (§2 multi-turn rules)
    mixed_modalities: bool
    #: max audio / video files in one request (None: bounded by tokens only)
    max_audio_files: int | None
    max_video_files: int | None
    max_inline_items: int
    audio_max_seconds: float | None
    video_max_seconds: float | None
    image_url_max_bytes: int | None
    audio_url_max_bytes: int | None
    video_url_max_bytes: int | None
    frames_min: int
    frames_max: int
    voices: tuple[str, ...]
    default_voice: str | None
    tokens: TokenConstants
    prices: dict[str, Prices] = field(default_factory=dict)
    regions: tuple[str, ...] = ("beijing", "singapore")
    #: True when this model's limits come from a primary source; False for guesses.
    confirmed: bool = True
    #: qwen-omni-turbo ignores the system prompt when it speaks (§2, "System message")
    system_prompt_with_audio: bool = True
    #: the input modalities the model takes (Omni: all four; companion models fewer)
    inputs: tuple[str, ...] = ("text", "image", "audio", "video")
    #: False when the token constants are borrowed from another family (not documented for
    #: this model): estimates say so
    tokens_confirmed: bool = True
    #: ``chat``: chat completions (HTTP); ``realtime``: the realtime WebSocket only
    api: Literal["chat", "realtime"] = "chat"
    #: the realtime protocol facts (only for ``api == "realtime"``)
    realtime: RealtimeFacts | None = None

    def max_input(self, *, thinking: bool) -> int:
        """Max input tokens for the chosen mode."""
        if thinking and self.max_input_tokens_thinking is not None:
            return self.max_input_tokens_thinking
        return self.max_input_tokens

    def price(self, region: str) -> Prices | None:
        """Prices for a region (``beijing``, ``singapore``…), or None when unknown."""
        return self.prices.get(region)


# --- token constants (§6) ---------------------------------------------------------------------

_F32 = 32 * 32
_F28 = 28 * 28

TOKENS_QWEN35 = TokenConstants(
    image_patch=32,
    image_min_tokens=24,
    image_max_tokens=1280,
    image_max_tokens_hires=16384,
    video_min_pixels=64 * _F32,
    video_max_pixels=640 * _F32,
    video_fps=2.0,
    video_min_frames=2,
    video_max_frames=2048,
    video_total_pixels=180224 * _F32,
    audio_in_tokens_per_s=7.0,
    audio_out_tokens_per_s=12.5,
    video_max_pixels_limit=2_048_000,
    video_min_pixels_limit=4_096,
)

# OMNI-35 gives VIDEO_MIN_PIXELS 64*32*32 and FPS_MIN_FRAMES 2 for Flash; the older OMNI-2602
# said 128*32*32 and 4. We follow the newer page.
TOKENS_QWEN3_FLASH = TokenConstants(
    image_patch=32,
    image_min_tokens=4,
    image_max_tokens=1280,
    image_max_tokens_hires=None,
    video_min_pixels=64 * _F32,
    video_max_pixels=768 * _F32,
    video_fps=2.0,
    video_min_frames=2,
    video_max_frames=128,
    video_total_pixels=16384 * _F32,
    audio_in_tokens_per_s=12.5,
    audio_out_tokens_per_s=12.5,
)

TOKENS_TURBO = TokenConstants(
    image_patch=28,
    image_min_tokens=4,
    image_max_tokens=1280,
    image_max_tokens_hires=None,
    video_min_pixels=64 * _F28,
    video_max_pixels=768 * _F28,
    video_fps=2.0,
    video_min_frames=4,
    video_max_frames=80,
    video_total_pixels=16384 * _F28,
    audio_in_tokens_per_s=25.0,
    audio_out_tokens_per_s=25.0,
)

# --- voices (§2) --------------------------------------------------------------------------------

VOICES_TURBO = ("Cherry", "Serena", "Ethan", "Chelsie")
VOICES_QWEN25_7B = ("Ethan", "Chelsie")
VOICES_FLASH_0915 = (
    "Cherry", "Ethan", "Nofish", "Jennifer", "Ryan", "Katerina", "Elias", "Jada", "Dylan",
    "Sunny", "Li", "Marcus", "Roy", "Peter", "Rocky", "Kiki", "Eric",
)  # fmt: skip
# The reference lists 49 voices for 2025-12-01 but truncates the list ("…"); the names we know:
VOICES_FLASH_1201 = (
    *VOICES_FLASH_0915,
    "Serena", "Chelsie", "Momo", "Vivian", "Moon", "Maia", "Kai", "Bella", "Aiden",
    "Eldric Sage", "Mia", "Mochi", "Bellona", "Vincent", "Bunny", "Neil", "Arthur", "Nini",
    "Ebona", "Seren", "Pip", "Stella", "Bodega", "Sonrisa", "Alek", "Dolce", "Sohee",
    "Ono Anna", "Lenn", "Emilien", "Andre", "Radio Gol",
)  # fmt: skip
# Qwen3.5-Omni has 55 voices; only "Tina" is named in the reference. An empty tuple below means
# "list unknown": the voice is not checked locally.

# --- prices (§6.4) ------------------------------------------------------------------------------

PRICES_FLASH = {
    "beijing": Prices(1.8, 15.8, 3.3, 6.9, 12.7, 62.6),
    # MODELS says 3.3 for image/video in Singapore, PRICE says 5.725: we take the higher.
    "singapore": Prices(3.156, 27.962, 5.725, 12.183, 22.458, 110.896),
}
PRICES_TURBO = {
    "beijing": Prices(0.4, 25.0, 1.5, 1.6, 4.5, 50.0),
    "singapore": Prices(0.514, 32.586, 1.541, 1.982, 4.624, 65.246),
}
PRICES_QWEN25_7B = {
    "beijing": Prices(0.6, 38.0, 2.0, 2.4, 6.0, 76.0),
    # The reference gives only the per-1K Beijing prices (§6.4); these Singapore figures are
    # the price page's as quoted in issue 17, not in the reference: UNCONFIRMED. Their ratios
    # to Beijing (×1.22 text, ×1.31 audio, ×1.03 image/video) match qwen-omni-turbo's.
    "singapore": Prices(0.734, 49.613, 2.055, 2.936, 6.165, 99.153, confirmed=False),
}
# Qwen3.5-Omni prices conflict between doc revisions: UNCONFIRMED (PRICE page values).
PRICES_QWEN35_PLUS = {
    "beijing": Prices(7.0, 53.0, 7.0, 40.0, 40.0, 213.0, confirmed=False),
    "singapore": Prices(10.49, 82.44, 10.49, 62.2, 62.2, 329.74, confirmed=False),
}
PRICES_QWEN35_FLASH = {
    "beijing": Prices(2.2, 18.0, 2.2, 13.3, 13.3, 72.0, confirmed=False),
    "singapore": Prices(3.0, 22.48, 3.0, 16.49, 16.49, 89.18, confirmed=False),
}


def _qwen35(name: str, prices: dict[str, Prices]) -> ModelSpec:
    return ModelSpec(
        name=name,
        family="qwen3.5-omni",
        known=True,
        context_window=262_144,
        max_input_tokens=196_608,
        max_output_tokens=65_536,
        max_input_tokens_thinking=None,
        max_reasoning_tokens=None,
        thinking="none",
        audio_output=True,
        tools=True,
        web_search=True,
        mixed_modalities=True,
        max_audio_files=2048,
        max_video_files=512,
        max_inline_items=250,
        audio_max_seconds=3 * 3600,
        video_max_seconds=3600,
        image_url_max_bytes=20 * MB,
        audio_url_max_bytes=2 * GB,
        video_url_max_bytes=2 * GB,
        frames_min=2,
        frames_max=2048,
        voices=(),
        default_voice="Tina",
        tokens=TOKENS_QWEN35,
        prices=prices,
    )


def _flash(name: str, voices: tuple[str, ...]) -> ModelSpec:
    return ModelSpec(
        name=name,
        family="qwen3-omni-flash",
        known=True,
        context_window=65_536,
        max_input_tokens=49_152,
        max_output_tokens=16_384,
        max_input_tokens_thinking=16_384,
        max_reasoning_tokens=32_768,
        thinking="hybrid",
        audio_output=True,
        tools=True,
        web_search=False,
        mixed_modalities=False,
        max_audio_files=1,
        max_video_files=1,
        max_inline_items=250,
        # OMNI-35's table: audio ≤ 20 min, video ≤ 150 s.
        audio_max_seconds=20 * 60,
        video_max_seconds=150,
        image_url_max_bytes=10 * MB,
        audio_url_max_bytes=100 * MB,
        video_url_max_bytes=256 * MB,
        frames_min=2,
        frames_max=128,
        voices=voices,
        default_voice="Cherry",
        tokens=TOKENS_QWEN3_FLASH,
        prices=PRICES_FLASH,
    )


def _turbo(name: str, *, regions: tuple[str, ...] = ("beijing", "singapore")) -> ModelSpec:
    return ModelSpec(
        name=name,
        family="qwen-omni-turbo",
        known=True,
        context_window=32_768,
        max_input_tokens=30_720,
        max_output_tokens=2_048,
        max_input_tokens_thinking=None,
        max_reasoning_tokens=None,
        thinking="none",
        audio_output=True,
        # Not in the function-calling model lists: assumed unsupported (§2, inference).
        tools=False,
        web_search=False,
        mixed_modalities=False,
        max_audio_files=1,
        max_video_files=1,
        max_inline_items=250,
        audio_max_seconds=180,
        video_max_seconds=40,
        image_url_max_bytes=10 * MB,
        audio_url_max_bytes=10 * MB,
        video_url_max_bytes=150 * MB,
        frames_min=4,
        frames_max=80,
        voices=VOICES_TURBO,
        default_voice="Cherry",
        tokens=TOKENS_TURBO,
        prices=PRICES_TURBO,
        regions=regions,
        system_prompt_with_audio=False,
    )


def _build() -> dict[str, ModelSpec]:
    models: dict[str, ModelSpec] = {}

    def add(spec: ModelSpec, *aliases: str) -> None:
        models[spec.name] = spec
        for alias in aliases:
            models[alias] = replace(spec, name=alias)

    add(_qwen35("qwen3.5-omni-plus", PRICES_QWEN35_PLUS), "qwen3.5-omni-plus-2026-03-15")
    add(_qwen35("qwen3.5-omni-flash", PRICES_QWEN35_FLASH), "qwen3.5-omni-flash-2026-03-15")
    add(_flash("qwen3-omni-flash", VOICES_FLASH_1201), "qwen3-omni-flash-2025-12-01")
    add(
        _flash("qwen3-omni-flash-2025-09-15", VOICES_FLASH_0915),
        "qwen3-omni-flash-0915",
    )
    add(
        _turbo("qwen-omni-turbo"),
        "qwen-omni-turbo-latest",
        "qwen-omni-turbo-2025-03-26",
        "qwen-omni-turbo-0326",
    )
    add(
        _turbo("qwen-omni-turbo-2025-01-19", regions=("beijing",)),
        "qwen-omni-turbo-0119",
    )
    add(
        replace(
            _turbo("qwen2.5-omni-7b", regions=("beijing", "singapore")),
            family="qwen2.5-omni",
            voices=VOICES_QWEN25_7B,
            default_voice="Chelsie",
            prices=PRICES_QWEN25_7B,
        )
    )
    # qwen3.8-omni-flash (Q38): text output only, thinking on by default, function calling,
    # web search, six regions; context 1M, input 991,808 (983,616 thinking), output 131,072.
    # Its media limits (durations, file counts, URL sizes, frame lists) and token constants are
    # NOT documented: no limit of Qwen3.5-Omni's is copied as a rule (the gateway's 10 MB
    # inline cap still holds), and estimates use Qwen3.5-Omni's constants flagged UNCONFIRMED.
    # Prices: the reference has none (third-party USD figures only), so estimates carry no
    # price and say so.
    add(
        replace(
            _qwen35("qwen3.8-omni-flash", {}),
            family="qwen3.8-omni",
            context_window=1_000_000,
            max_input_tokens=991_808,
            max_input_tokens_thinking=983_616,
            max_output_tokens=131_072,
            thinking="default_on",
            audio_output=False,
            tools=True,
            web_search=True,
            voices=(),
            default_voice=None,
            max_audio_files=None,
            max_video_files=None,
            audio_max_seconds=None,
            video_max_seconds=None,
            image_url_max_bytes=None,
            audio_url_max_bytes=None,
            video_url_max_bytes=None,
            frames_min=GENERIC.frames_min,
            frames_max=GENERIC.frames_max,
            confirmed=True,
            tokens_confirmed=False,
            regions=("beijing", "singapore", "hongkong", "tokyo", "frankfurt", "us"),
        )
    )
    # Open-weight Qwen3-Omni served by plain vLLM (oss.md Part C): the registry maps them to
    # the *thinker*, so they answer in text only (speech needs vLLM-Omni, another API shape).
    # The Captioner describes audio and takes nothing else. Their limits are the server's
    # (--max-model-len, --limit-mm-per-prompt): not enforced here (confirmed=False); 32-px
    # patches as for Qwen3-Omni-Flash (UNCONFIRMED, §10.2).
    for variant, thinking, inputs in (
        ("Instruct", "none", ("text", "image", "audio", "video")),
        ("Thinking", "default_on", ("text", "image", "audio", "video")),
        ("Captioner", "none", ("audio",)),
    ):
        add(
            replace(
                GENERIC,
                name=f"Qwen/Qwen3-Omni-30B-A3B-{variant}",
                family="qwen3-omni-open",
                known=True,
                confirmed=False,
                tokens_confirmed=False,
                audio_output=False,
                thinking=thinking,  # type: ignore[arg-type]
                tools=variant != "Captioner",
                inputs=inputs,
                default_voice=None,
                regions=(),
            )
        )
    models.update(_realtime_models(models))
    return models


# Per 1M tokens, quoted from the model market by one third-party comment (qwen-audio-agent#130):
# audio in 80, audio out 300, non-audio in 10, non-audio out 60. UNCONFIRMED.
PRICES_QWEN35_PLUS_REALTIME = {"beijing": Prices(10.0, 80.0, 10.0, 60.0, 60.0, 300.0, False)}


def _realtime_models(chat: dict[str, ModelSpec]) -> dict[str, ModelSpec]:
    """The ``-realtime`` models: the chat family's media facts, the realtime protocol's rules.

    Realtime prices other than qwen3.5-omni-plus-realtime's are not in the reference: unknown
    (costs are then None), never guessed from the chat prices.
    """
    flat_35 = ("server_vad", "semantic_vad")  # semantic_vad: Qwen3.5-Omni only

    def rt(name: str, base: str, facts: RealtimeFacts, **changes: object) -> ModelSpec:
        changes.setdefault("prices", {})
        return replace(chat[base], name=name, api="realtime", realtime=facts, **changes)  # type: ignore[arg-type]

    out = {
        "qwen3.5-omni-plus-realtime": rt(
            "qwen3.5-omni-plus-realtime",
            "qwen3.5-omni-plus",
            RealtimeFacts("flat", flat_35, "qwen3.5-omni-plus"),
            prices=PRICES_QWEN35_PLUS_REALTIME,
        ),
        "qwen3.5-omni-flash-realtime": rt(
            "qwen3.5-omni-flash-realtime",
            "qwen3.5-omni-flash",
            RealtimeFacts("flat", flat_35, "qwen3.5-omni-flash"),
        ),
        # Tools over realtime are documented for Qwen3.5-Omni only; Flash's chat model has
        # function calling, so we let it through (UNCONFIRMED for realtime).
        "qwen3-omni-flash-realtime": rt(
            "qwen3-omni-flash-realtime",
            "qwen3-omni-flash",
            RealtimeFacts("flat", ("server_vad",), "qwen3-omni-flash"),
            thinking="none",
            max_input_tokens_thinking=None,
        ),
        "qwen-omni-turbo-realtime": rt(
            "qwen-omni-turbo-realtime",
            "qwen-omni-turbo",
            RealtimeFacts("flat", ("server_vad",), "qwen-omni-turbo"),
            default_voice="Chelsie",
        ),
        # dashscope 2.0.2, protocol omni_v38: nested session, default voice longanlingxin, no
        # session.finished ACK. It speaks over realtime (the chat model answers in text only).
        "qwen3.8-omni-flash-realtime": rt(
            "qwen3.8-omni-flash-realtime",
            "qwen3.8-omni-flash",
            RealtimeFacts(
                "nested", ("server_vad",), "qwen3.8-omni-flash", finish_acknowledged=False
            ),
            audio_output=True,
            thinking="none",
            max_input_tokens_thinking=None,
            default_voice="longanlingxin",
            voices=(),
        ),
    }
    out["qwen-omni-turbo-realtime-latest"] = replace(
        out["qwen-omni-turbo-realtime"], name="qwen-omni-turbo-realtime-latest"
    )
    return out


def _companion(name: str, family: str, inputs: tuple[str, ...]) -> ModelSpec:
    """A non-Omni model the tools use next to Omni (text summaries, speech recognition).

    The reference documents none of their limits (UNCONFIRMED): generic values, not enforced.
    """
    return replace(
        GENERIC,
        name=name,
        family=family,
        known=True,
        confirmed=False,
        audio_output=False,
        thinking="none" if family == "asr" else "hybrid",
        tools=family == "text",
        inputs=inputs,
        max_output_tokens=8_192,
        regions=("beijing", "singapore"),
    )


#: Companion models: qwen-plus summarizes segment summaries (field guide), ASR transcribes.
COMPANIONS = {
    "qwen-plus": ("text", ("text",)),
    "qwen-max": ("text", ("text",)),
    "qwen-turbo": ("text", ("text",)),
    "qwen-flash": ("text", ("text",)),
    "qwen3-asr-flash": ("asr", ("text", "audio")),
}

#: The rules for a model this table does not know: only the gateway's own limits.
GENERIC = ModelSpec(
    name="",
    family="unknown",
    known=False,
    context_window=1_000_000,
    max_input_tokens=1_000_000,
    max_output_tokens=131_072,
    max_input_tokens_thinking=None,
    max_reasoning_tokens=None,
    thinking="hybrid",
    audio_output=True,
    tools=True,
    web_search=False,
    mixed_modalities=True,
    max_audio_files=None,
    max_video_files=None,
    max_inline_items=250,
    audio_max_seconds=None,
    video_max_seconds=None,
    image_url_max_bytes=None,
    audio_url_max_bytes=None,
    video_url_max_bytes=None,
    frames_min=2,
    frames_max=2048,
    voices=(),
    default_voice="Cherry",
    tokens=TOKENS_QWEN3_FLASH,
    confirmed=False,
    regions=(),
)


MODELS: dict[str, ModelSpec] = _build()

MODELS.update(
    {name: _companion(name, family, inputs) for name, (family, inputs) in COMPANIONS.items()}
)


def get_model(name: str) -> ModelSpec:
    """The spec of ``name``; unknown models get the generic rules with ``known=False``."""
    spec = MODELS.get(name)
    if spec is not None:
        return spec
    return replace(GENERIC, name=name)


#: The window frameworks are told for a model this table does not know (a new snapshot, a
#: self-hosted endpoint): the smallest Omni window (qwen-omni-turbo's), so that memory buffers
#: and trimming stay on the safe side. Requests are not refused on it: the endpoint decides.
CONSERVATIVE_CONTEXT_WINDOW = 32_768


def planning_window(spec: ModelSpec) -> tuple[int, int]:
    """``(context_window, max_input_tokens)`` for a framework to plan with (memory, trimming).

    The catalog's figures for a known model; :data:`CONSERVATIVE_CONTEXT_WINDOW` for both when
    the model is unknown (the generic rules' gateway maximum is far too optimistic for that).
    """
    if spec.known:
        return spec.context_window, spec.max_input_tokens
    return CONSERVATIVE_CONTEXT_WINDOW, CONSERVATIVE_CONTEXT_WINDOW


def known_models() -> list[str]:
    """Every model id and alias the catalog knows."""
    return sorted(MODELS)


def realtime_models() -> list[str]:
    """The realtime (WebSocket-only) model ids."""
    return sorted(name for name, spec in MODELS.items() if spec.api == "realtime")
