"""Generation parameters of a request (:class:`RequestParams`), public and checked.

The client validates keyword arguments into this model (an unknown name is refused, so a typo
does not pass silently); :mod:`qwen_omni.rules` checks them against the model's catalog entry
and :mod:`qwen_omni._wire` writes them into the request body.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RequestParams"]


class RequestParams(BaseModel):
    """Generation parameters. Unknown names are rejected (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    modalities: tuple[Literal["text", "audio"], ...] | None = None
    """``("text",)`` (default) or ``("text", "audio")`` for a spoken reply."""
    voice: str | None = None
    """Voice of the spoken reply (e.g. "Cherry"); defaults to the model's default voice."""
    audio_format: str = "wav"
    """``audio.format``; the service only supports "wav" (and sends raw PCM anyway)."""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    repetition_penalty: float | None = None
    enable_thinking: bool | None = None
    """Qwen3-Omni-Flash only: stream reasoning before the answer."""
    tools: tuple[dict[str, Any], ...] | None = None
    """OpenAI-style tool definitions: ``{"type": "function", "function": {...}}``."""
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    """``{"type": "json_object"}`` (the prompt must mention JSON)."""
    stop: str | tuple[str, ...] | None = None
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Extra top-level fields, e.g. ``{"vl_high_resolution_images": True}``."""

    @property
    def wants_audio(self) -> bool:
        """True when a spoken reply is requested."""
        return bool(self.modalities and "audio" in self.modalities)

    @property
    def high_resolution(self) -> bool:
        """True when ``extra_body`` asks for ``vl_high_resolution_images`` (Qwen3.5-Omni)."""
        return self.extra_body.get("vl_high_resolution_images") is True
