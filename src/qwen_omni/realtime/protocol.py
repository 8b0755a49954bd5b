"""Pure: the realtime wire protocol (URL, ``session.update`` in both schemas, client events).

Facts from ``shared/reference/realtime.md`` (dashscope SDK 2.0.2 and the Model Studio realtime
pages); ``docs/realtime.md`` lists the ones this module relies on.

- URL: ``wss://<host>/api-ws/v1/realtime?model=<id>``, ``Authorization: Bearer <key>``.
- Flat session (turbo, 3, 3.5): ``modalities``, ``voice``, ``instructions``,
  ``input_audio_format``/``output_audio_format`` (``pcm``), ``turn_detection``,
  ``input_audio_transcription``, ``tools``.
- Nested session (``qwen3.8-omni-flash-realtime``): ``audio.input.format{type,sample_rate}``,
  ``audio.output.{voice,format}``; turn detection and transcription under ``audio.input``
  (UNCONFIRMED: only ``format`` and ``voice`` are in the SDK source we read).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode, urlparse

from qwen_omni.catalog import ModelSpec
from qwen_omni.errors import (
    APIError,
    BadRequestError,
    RequestValidationError,
    error_from_status,
)

__all__ = [
    "REALTIME_PATH",
    "SessionConfig",
    "TurnDetection",
    "build_session",
    "check_model",
    "client_event",
    "error_from_event",
    "realtime_tools",
    "realtime_url",
]

REALTIME_PATH = "/api-ws/v1/realtime"
#: the transcription model the SDK examples name (UNCONFIRMED for other families)
DEFAULT_TRANSCRIPTION_MODEL = "gummy-realtime-v1"

_ids = itertools.count(1)


@dataclass(frozen=True)
class TurnDetection:
    """Server turn detection. ``type=None`` is manual mode (``commit`` + ``respond``).

    ``threshold`` in [-1, 1] and ``silence_duration_ms`` in [200, 6000] (the documented ranges);
    None leaves the service's defaults (0.5 / 800 ms in the docs).
    """

    type: Literal["server_vad", "semantic_vad"] | None = "server_vad"
    threshold: float | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None

    @classmethod
    def coerce(cls, value: TurnDetection | str | Mapping[str, Any] | None) -> TurnDetection:
        """``"server_vad"``, ``"semantic_vad"``, ``None``/``"manual"``, a dict, or an instance."""
        if isinstance(value, TurnDetection):
            return value
        if value is None or value == "manual":
            return cls(type=None)
        if isinstance(value, str):
            return cls(type=value)  # type: ignore[arg-type]
        return cls(**dict(value))

    def to_wire(self) -> dict[str, Any] | None:
        if self.type is None:
            return None
        out: dict[str, Any] = {"type": self.type}
        for key in ("threshold", "prefix_padding_ms", "silence_duration_ms"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class SessionConfig:
    """Everything ``session.update`` carries; replayed as-is after a reconnect."""

    voice: str | None = None
    instructions: str | None = None
    modalities: tuple[str, ...] = ("text", "audio")
    turn_detection: TurnDetection = field(default_factory=TurnDetection)
    #: a transcription model name, or None for no input transcripts
    input_transcription: str | None = None
    #: realtime tool definitions (flat ``{"type": "function", "name", ...}``)
    tools: tuple[dict[str, Any], ...] = ()
    enable_search: bool = False
    #: extra top-level session fields passed through (e.g. ``smooth_output``)
    extra: Mapping[str, Any] = field(default_factory=dict)


def realtime_url(base_url: str, model: str) -> str:
    """The WebSocket URL for ``model`` on the host of ``base_url`` (http→ws, https→wss).

    ``https://dashscope.aliyuncs.com/compatible-mode/v1`` →
    ``wss://dashscope.aliyuncs.com/api-ws/v1/realtime?model=…``; a ``ws(s)://`` URL with a path
    is kept as given (only ``model`` is added).
    """
    parsed = urlparse(base_url)
    scheme = {"http": "ws", "https": "wss"}.get(parsed.scheme, parsed.scheme)
    path = parsed.path if parsed.scheme in ("ws", "wss") and parsed.path.strip("/") else ""
    path = path or REALTIME_PATH
    return f"{scheme}://{parsed.netloc}{path}?{urlencode({'model': model})}"


def check_model(spec: ModelSpec, config: SessionConfig) -> None:
    """Refuse, before connecting, what the catalog says the model cannot do."""
    facts = spec.realtime
    if spec.known and facts is None:
        raise RequestValidationError(
            f"{spec.name} is a chat model: realtime sessions need a -realtime model (e.g. "
            f"{spec.name}-realtime if it exists, qwen3-omni-flash-realtime, "
            "qwen3.5-omni-plus-realtime); or call OmniClient for chat completions",
            rule="realtime_model_required",
            value=spec.name,
        )
    if facts is None:
        return
    vad = config.turn_detection.type
    if vad is not None and vad not in facts.vad_types:
        raise RequestValidationError(
            f"{spec.name} does not take turn_detection {vad!r}; use one of "
            f"{', '.join(facts.vad_types)}, or None for manual turns (semantic_vad is "
            "Qwen3.5-Omni only)",
            rule="vad_type",
            value=vad,
            limit=facts.vad_types,
        )
    if config.voice is not None and not config.voice.strip():
        raise RequestValidationError(
            "voice is an empty string (the service answers 400): pass a voice name or None for "
            f"the default ({spec.default_voice})",
            rule="voice_non_empty",
            value=config.voice,
        )
    if spec.voices and config.voice and config.voice not in spec.voices:
        raise RequestValidationError(
            f"voice {config.voice!r} is not offered by {spec.name}; choose one of "
            f"{', '.join(spec.voices)}",
            rule="voice",
            value=config.voice,
            limit=spec.voices,
        )
    if config.tools and not spec.tools:
        raise RequestValidationError(
            f"{spec.name} has no function calling: drop tools=, or use qwen3.5-omni-plus-realtime",
            rule="tools_supported",
        )
    if config.tools and config.enable_search:
        raise RequestValidationError(
            "tools and enable_search are mutually exclusive in realtime sessions: pick one",
            rule="tools_or_search",
        )
    if config.enable_search and not spec.web_search:
        raise RequestValidationError(
            f"{spec.name} has no web search: drop enable_search or use qwen3.5-omni-plus-realtime",
            rule="web_search_supported",
        )
    if "audio" in config.modalities and not spec.audio_output:
        raise RequestValidationError(
            f"{spec.name} answers in text only: use modalities=('text',)",
            rule="audio_output",
        )


def build_session(spec: ModelSpec, config: SessionConfig) -> dict[str, Any]:
    """The ``session`` object of ``session.update`` in the model's schema (flat or nested)."""
    facts = spec.realtime
    nested = facts is not None and facts.schema == "nested"
    in_rate = facts.input_sample_rate if facts else 16_000
    out_rate = facts.output_sample_rate if facts else 24_000
    session: dict[str, Any] = {"modalities": list(config.modalities)}
    if config.instructions is not None:
        session["instructions"] = config.instructions
    turn = config.turn_detection.to_wire()
    transcription = (
        {"model": config.input_transcription} if config.input_transcription is not None else None
    )
    if nested:
        audio_in: dict[str, Any] = {"format": {"type": "pcm", "sample_rate": in_rate}}
        audio_in["turn_detection"] = turn
        if transcription is not None:
            audio_in["transcription"] = transcription
        audio_out: dict[str, Any] = {"format": {"type": "pcm", "sample_rate": out_rate}}
        if config.voice:
            audio_out["voice"] = config.voice
        session["audio"] = {"input": audio_in, "output": audio_out}
    else:
        if config.voice:
            session["voice"] = config.voice
        session["input_audio_format"] = "pcm"
        session["output_audio_format"] = "pcm"
        session["turn_detection"] = turn
        if transcription is not None:
            session["input_audio_transcription"] = transcription
    if config.tools:
        session["tools"] = list(config.tools)
    if config.enable_search:
        session["enable_search"] = True
    session.update(config.extra)
    return session


def client_event(kind: str, **fields: Any) -> str:
    """A client event as JSON text, with a fresh ``event_id``."""
    return json.dumps({"event_id": f"event_{next(_ids)}", "type": kind, **fields})


def realtime_tools(tools: Sequence[Any]) -> tuple[dict[str, Any], ...]:
    """Chat tool definitions (``{"type": "function", "function": {...}}``), realtime ones, or
    our registry's ``ToolDef`` objects → the realtime shape ``{"type": "function", "name", …}``.

    The realtime shape (function fields at the top, as in OpenAI's realtime API) is what the
    DashScope realtime pages show for Qwen3.5-Omni; UNCONFIRMED for other families.
    """
    out = []
    for tool in tools:
        if hasattr(tool, "input_schema") and hasattr(tool, "name"):
            out.append(
                {
                    "type": "function",
                    "name": tool.name,
                    "description": getattr(tool, "description", ""),
                    "parameters": tool.input_schema(),
                }
            )
            continue
        if not isinstance(tool, Mapping):
            raise TypeError(f"not a tool definition: {tool!r}")
        fn = tool.get("function")
        if isinstance(fn, Mapping):
            out.append({"type": "function", **dict(fn)})
        else:
            out.append(dict(tool))
    return tuple(out)


def error_from_event(data: Mapping[str, Any]) -> APIError:
    """An ``error`` server event → our error tree (the same mapping as HTTP 400 bodies)."""
    err = data.get("error") if isinstance(data.get("error"), Mapping) else data
    assert isinstance(err, Mapping)
    code = str(err.get("code") or err.get("type") or "")
    message = str(err.get("message") or code or "realtime error")
    low = f"{code} {message}".lower()
    if "auth" in low or "apikey" in low.replace(" ", "") or "api key" in low:
        return error_from_status(401, {"error": dict(err)})
    if "quota" in low or "throttl" in low or "rate limit" in low:
        return error_from_status(429, {"error": dict(err)})
    if "internal" in low or "server_error" in low:
        return error_from_status(500, {"error": dict(err)})
    mapped = error_from_status(400, {"error": dict(err)})
    if isinstance(mapped, BadRequestError) and mapped.code is None:
        mapped.code = code or None
    return mapped
