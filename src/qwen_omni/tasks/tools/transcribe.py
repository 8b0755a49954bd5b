"""transcribe: speech to text, routed to a speech-recognition model when one is configured.

The field guide: use Paraformer for transcription only (cheaper), Qwen-Omni when understanding
is needed. Routing by ``asr_model`` (see :func:`transcriber_for`):

- None: Qwen-Omni with a verbatim-transcription prompt;
- ``paraformer-*`` / ``fun-asr*``: the DashScope file-transcription REST API (asynchronous:
  submit, poll, download the result). It reads files only by URL: local files are uploaded
  through the client's delivery (OSS or the temporary upload), never inlined;
- anything else (e.g. ``qwen3-asr-flash``): an ASR model on the OpenAI-compatible chat
  endpoint, sent the audio alone.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qwen_omni.errors import APIError, ConfigurationError, QwenOmniError, error_from_status
from qwen_omni.tasks.context import TaskContext, Transcriber
from qwen_omni.tasks.pipeline import SOURCE_HELP, ask, prepare
from qwen_omni.tasks.report import RequestReport, report_for
from qwen_omni.tasks.sources import ResolvedMedia, check_duration, resolve_media
from qwen_omni.tasks.tool import SOURCES_NOTE, ToolDef

__all__ = [
    "TOOL",
    "ChatAsrTranscriber",
    "OmniTranscriber",
    "ParaformerTranscriber",
    "TranscribeInput",
    "Transcriber",
    "TranscriptResult",
    "TranscriptSegment",
    "run_transcribe",
    "transcriber_for",
]

_LONG_HINT = "split it first, or configure a speech-recognition model (asr_model='paraformer-v2')"


class TranscribeInput(BaseModel):
    """Arguments of transcribe."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=4096, description=SOURCE_HELP)
    language: str | None = Field(
        default=None,
        max_length=16,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        description="Optional language hint as an ISO code, e.g. 'en', 'zh', 'ja'.",
    )


class TranscriptSegment(BaseModel):
    """A sentence with its time range (speech-recognition engines only)."""

    start_s: float
    end_s: float
    text: str


class TranscriptResult(BaseModel):
    """The transcript and how it was made."""

    text: str
    engine: Literal["omni", "asr", "paraformer"] = Field(
        description="'omni': Qwen-Omni; 'asr': a chat ASR model; 'paraformer': file ASR."
    )
    model: str
    language: str | None = None
    segments: list[TranscriptSegment] = Field(default_factory=list)
    sent: RequestReport | None = None

    def to_text(self) -> str:
        return self.text


class OmniTranscriber:
    """Qwen-Omni, asked for a verbatim transcript (the default)."""

    def __init__(self, model: str | None = None) -> None:
        self.model = model

    async def transcribe(
        self, tasks: TaskContext, media: ResolvedMedia, *, language: str | None
    ) -> TranscriptResult:
        model = self.model or tasks.model
        lang = f" The speech is in language '{language}'." if language else ""
        prompt = (
            "Transcribe the speech in this recording verbatim, in the language spoken."
            + lang
            + " Output only the transcript text, without comments, timestamps or speaker labels."
        )
        response = await ask(tasks, [media.part], prompt, model=model)
        report = report_for(response, model=model, media=[media.sent], region=tasks.price_region)
        return TranscriptResult(
            text=response.text.strip(), engine="omni", model=model, language=language, sent=report
        )


class ChatAsrTranscriber:
    """An ASR model on the chat endpoint (e.g. ``qwen3-asr-flash``): the audio alone.

    The language hint goes in ``asr_options`` (Qwen-ASR's documented extra field; not in our
    reference: UNCONFIRMED, so it is only sent when a language is given).
    """

    def __init__(self, model: str) -> None:
        self.model: str | None = model

    async def transcribe(
        self, tasks: TaskContext, media: ResolvedMedia, *, language: str | None
    ) -> TranscriptResult:
        model = self.model or tasks.model
        params: dict[str, Any] = {}
        if language:
            params["extra_body"] = {"asr_options": {"language": language}}
        response = await tasks.client.complete([media.part], model=model, **params)
        report = report_for(response, model=model, media=[media.sent], region=tasks.price_region)
        return TranscriptResult(
            text=response.text.strip(), engine="asr", model=model, language=language, sent=report
        )


class ParaformerTranscriber:
    """DashScope file transcription (Paraformer, Fun-ASR): submit, poll, fetch the result.

    REST shape (Paraformer RESTful API page; not in our reference, so kept in this one class):
    ``POST {api}/services/audio/asr/transcription`` with ``X-DashScope-Async: enable`` and
    ``{"model", "input": {"file_urls": [...]}, "parameters": {"language_hints": [...]}}`` →
    ``output.task_id``; ``GET {api}/tasks/{task_id}`` until ``output.task_status`` is
    ``SUCCEEDED`` or ``FAILED``; ``output.results[0].transcription_url`` holds the JSON with
    ``transcripts[].text`` and ``sentences[].{begin_time,end_time,text}`` (milliseconds).
    """

    def __init__(
        self,
        model: str = "paraformer-v2",
        *,
        api_base_url: str | None = None,
        poll_interval_s: float = 1.0,
        timeout_s: float = 900.0,
    ) -> None:
        self.model: str | None = model
        self.api_base_url = api_base_url
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s

    async def _url_for(self, tasks: TaskContext, media: ResolvedMedia) -> tuple[str, bool]:
        if media.url is not None and media.url[:4].lower() == "http":
            return media.url, False
        from qwen_omni.delivery import MediaDelivery

        ctx = tasks.client._delivery_context(tasks.spec(self.model))
        delivery = tasks.client.delivery
        if delivery.policy == "inline":
            raise ConfigurationError(
                f"{self.model} reads files only by URL, but delivery is 'inline': configure "
                "OSS (OSS_BUCKET…) or use delivery='dashscope_temp' to transcribe local files"
            )
        if delivery.policy == "auto":
            # never inline for ASR: ask the same stores for an upload
            delivery = MediaDelivery(
                "oss" if getattr(delivery, "oss", None) is not None else "dashscope_temp",
                oss=getattr(delivery, "oss", None),
            )
        out = await delivery.adeliver(media.part, ctx)
        if out.url.startswith("data:"):
            raise ConfigurationError(
                f"{self.model} reads files only by URL: configure OSS delivery to transcribe "
                "local files"
            )
        return out.url, out.oss_resolve

    async def transcribe(
        self, tasks: TaskContext, media: ResolvedMedia, *, language: str | None
    ) -> TranscriptResult:
        import httpx

        settings = tasks.client.settings
        api = (self.api_base_url or settings.api_base_url).rstrip("/")
        key = settings.require_key()
        url, oss_resolve = await self._url_for(tasks, media)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        if oss_resolve:
            # UNCONFIRMED for file transcription: documented for chat calls (reference §7).
            headers["X-DashScope-OssResourceResolve"] = "enable"
        body: dict[str, Any] = {"model": self.model, "input": {"file_urls": [url]}}
        if language:
            body["parameters"] = {"language_hints": [language]}
        deadline = time.monotonic() + self.timeout_s
        async with httpx.AsyncClient(timeout=30.0, trust_env=False) as http:
            submit = await http.post(
                f"{api}/services/audio/asr/transcription",
                json=body,
                headers={**headers, "X-DashScope-Async": "enable"},
            )
            data = _json_or_raise(submit)
            task_id = (data.get("output") or {}).get("task_id")
            if not task_id:
                raise APIError(f"transcription submit returned no task_id: {data}", body=data)
            while True:
                polled = _json_or_raise(await http.get(f"{api}/tasks/{task_id}", headers=headers))
                output = polled.get("output") or {}
                status = output.get("task_status")
                if status == "SUCCEEDED":
                    break
                if status in ("FAILED", "CANCELED", "UNKNOWN"):
                    raise APIError(
                        f"transcription task {task_id} {status}: "
                        f"{output.get('message') or output.get('code') or polled}",
                        code=output.get("code"),
                        request_id=polled.get("request_id"),
                        body=polled,
                    )
                if time.monotonic() > deadline:
                    raise QwenOmniError(
                        f"transcription task {task_id} still {status} after {self.timeout_s:.0f} s"
                    )
                await asyncio.sleep(self.poll_interval_s)
            results = output.get("results") or []
            first = results[0] if results else {}
            if first.get("subtask_status", "SUCCEEDED") != "SUCCEEDED":
                raise APIError(
                    f"transcription of {media.sent.source} failed: "
                    f"{first.get('message') or first.get('code')}",
                    code=first.get("code"),
                    body=polled,
                )
            result_url = first.get("transcription_url")
            if not result_url:
                raise APIError(f"transcription task {task_id} returned no result URL", body=polled)
            transcript = _json_or_raise(await http.get(result_url))
        text_parts: list[str] = []
        segments: list[TranscriptSegment] = []
        for channel in transcript.get("transcripts") or []:
            text_parts.append(str(channel.get("text", "")).strip())
            for sentence in channel.get("sentences") or []:
                segments.append(
                    TranscriptSegment(
                        start_s=float(sentence.get("begin_time", 0)) / 1000.0,
                        end_s=float(sentence.get("end_time", 0)) / 1000.0,
                        text=str(sentence.get("text", "")),
                    )
                )
        model = self.model or "paraformer-v2"
        report = RequestReport(model=model, media=[media.sent], request_id=data.get("request_id"))
        return TranscriptResult(
            text="\n".join(t for t in text_parts if t),
            engine="paraformer",
            model=model,
            language=language,
            segments=segments,
            sent=report,
        )


def _json_or_raise(response: Any) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        raise error_from_status(response.status_code, body, headers=response.headers)
    try:
        data = response.json()
    except ValueError as exc:
        raise APIError(
            f"expected JSON from {response.request.url}, got {response.text[:80]!r}"
        ) from exc
    if not isinstance(data, dict):
        raise APIError(f"expected a JSON object from {response.request.url}")
    return data


def transcriber_for(asr_model: str | None) -> Transcriber:
    """The transcriber for an ``asr_model`` name (None: Qwen-Omni)."""
    if not asr_model:
        return OmniTranscriber()
    low = asr_model.lower()
    if low.startswith(("paraformer", "fun-asr")):
        return ParaformerTranscriber(asr_model)
    return ChatAsrTranscriber(asr_model)


async def run_transcribe(ctx: TaskContext, inp: TranscribeInput) -> TranscriptResult:
    """Transcribe with the configured transcriber."""
    transcriber = ctx.transcriber
    spec = ctx.spec(None if isinstance(transcriber, OmniTranscriber) else transcriber.model)
    await ctx.report("prepare", 0, 1, f"checking {inp.source}")
    with ctx.scratch() as tmp:
        media = await resolve_media(
            inp.source, expect=("audio", "video"), policy=ctx.policy, spec=spec, needs_sound=True
        )
        if isinstance(transcriber, OmniTranscriber):
            check_duration(media.sent.source, media.kind, media.duration_s, spec, hint=_LONG_HINT)
        media = await prepare(ctx, media, spec, Path(tmp), audio_only=True)
        await ctx.report("request", 0, 1, f"transcribing with {transcriber.model or spec.name}")
        result = await transcriber.transcribe(ctx, media, language=inp.language)
    await ctx.report("request", 1, 1, "done")
    if not isinstance(result, TranscriptResult):
        raise TypeError(
            f"{type(transcriber).__name__}.transcribe returned {type(result).__name__}; a "
            "Transcriber must return a TranscriptResult"
        )
    return result


async def _job(ctx: TaskContext, inp: TranscribeInput, **options: Any) -> BaseModel:
    return await run_transcribe(ctx, inp, **options)


TOOL = ToolDef(
    name="transcribe",
    description=(
        "Transcribe the speech in an audio or video recording to text (verbatim). Use "
        "analyze_audio or did_call_mention when you need understanding rather than words."
        + SOURCES_NOTE
    ),
    input_model=TranscribeInput,
    result_model=TranscriptResult,
    job=_job,
    order=70,
    cli_settings=("asr_model",),
)
