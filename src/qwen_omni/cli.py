"""``qwen-omni``: analyze media from the terminal, plan costs, run the emulator or the MCP server.

Without ``DASHSCOPE_API_KEY`` the model commands run against the local emulator and say so on
the first line; ``--live`` refuses to fall back, ``--emulator`` forces the emulator.
The files and URLs you name are your own: the agent access policy does not apply here (it
guards what an agent asks for); the delivery rules (what the service can fetch) still do.

Exit codes: 0 success; 2 bad input (file, URL, arguments); 3 configuration (key, region,
store); 4 the service failed or could not be reached; 5 the answer was interrupted midway;
130 cancelled with Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from qwen_omni.errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    MediaError,
    QwenOmniError,
    RequestValidationError,
    StreamInterrupted,
)

__all__ = ["app", "exit_code_for", "main"]

EXIT_BAD_INPUT = 2
EXIT_CONFIG = 3
EXIT_SERVICE = 4
EXIT_INTERRUPTED = 5

app = typer.Typer(
    name="qwen-omni",
    help="Qwen-Omni for agents: analyze video, audio and images; plan costs; run the emulator "
    "and the MCP server. Without DASHSCOPE_API_KEY, model commands use the local emulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

T = TypeVar("T")

# Options shared by the model commands.
ModelOpt = typer.Option(None, "--model", help="Model id (default qwen3-omni-flash).")
EmulatorOpt = typer.Option(
    None, "--emulator/--live", help="Force the local emulator, or forbid falling back to it."
)
BaseUrlOpt = typer.Option(None, "--base-url", help="Any OpenAI-compatible endpoint.")
JsonOpt = typer.Option(False, "--json", help="Print one JSON object (for scripts).")


def exit_code_for(exc: BaseException) -> int:
    """The process exit code for an error (see the module docstring)."""
    if isinstance(exc, StreamInterrupted):
        return EXIT_INTERRUPTED
    if isinstance(exc, ConfigurationError):
        return EXIT_CONFIG
    if isinstance(exc, (APIError, APIConnectionError)):
        return EXIT_SERVICE
    if isinstance(exc, (MediaError, RequestValidationError, ValueError, OSError)):
        return EXIT_BAD_INPUT
    return 1


@contextlib.contextmanager
def connection(
    *, emulator: bool | None, base_url: str | None, notice_to_stderr: bool
) -> Iterator[dict[str, Any]]:
    """Client settings for a command: the real service, or an in-process emulator.

    ``emulator``: True forces it, False (``--live``) forbids it, None picks it when no key is
    set and no base URL is given (decided by :func:`qwen_omni.fallback.use_emulator`).
    """
    from qwen_omni.fallback import service_or_emulator

    console = err if notice_to_stderr else out

    def announce(notice: str) -> None:
        console.print(f"[bold yellow]{notice}[/]")

    with service_or_emulator(emulator=emulator, base_url=base_url, announce=announce) as conn:
        yield conn


def _fail(exc: BaseException, *, as_json: bool) -> typer.Exit:
    code = exit_code_for(exc)
    partial = getattr(exc, "partial", None)
    if as_json:
        payload: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
        payload["exit_code"] = code
        if partial is not None:
            payload["partial_text"] = partial.text
        out.print_json(json.dumps(payload))
    else:
        err.print(f"[bold red]{type(exc).__name__}[/]: {exc}")
        if partial is not None and partial.text:
            err.print(f"[dim]partial answer so far:[/] {partial.text}")
    return typer.Exit(code)


def _run_task(
    work: Callable[[Any, Callable[[Any], None]], Awaitable[T]],
    *,
    model: str | None,
    emulator: bool | None,
    base_url: str | None,
    as_json: bool,
    tasks_kwargs: dict[str, Any] | None = None,
) -> T:
    """Run one task on ``AsyncOmniTasks`` with a progress display; map errors to exit codes."""
    from qwen_omni.tasks import AsyncOmniTasks

    try:
        bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
            disable=as_json,
        )
        bars: dict[str, Any] = {}

        def on_progress(p: Any) -> None:
            if p.stage not in bars:
                bars[p.stage] = bar.add_task(p.message or p.stage, total=p.total)
            bar.update(bars[p.stage], completed=p.done, total=p.total, description=p.message)

        with connection(emulator=emulator, base_url=base_url, notice_to_stderr=as_json) as conn:

            async def go() -> T:
                kwargs = {**conn, **(tasks_kwargs or {})}
                async with AsyncOmniTasks(model=model, **kwargs) as tasks:
                    return await work(tasks, on_progress)

            with bar:
                return asyncio.run(go())
    except QwenOmniError as exc:
        raise _fail(exc, as_json=as_json) from exc
    except (ValueError, OSError) as exc:
        raise _fail(exc, as_json=as_json) from exc
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _kind_of(source: str) -> str:
    """``image``, ``audio`` or ``video``: sniffed from a file's content, guessed for a URL."""
    from qwen_omni.content import is_url

    if is_url(source):
        low = source.split("?", 1)[0].lower()
        if low.endswith((".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")):
            return "image"
        if low.endswith((".mp3", ".wav", ".aac", ".amr", ".m4a", ".flac", ".ogg", ".3gpp")):
            return "audio"
        return "video"
    path = Path(source).expanduser()
    if not path.is_file():
        from qwen_omni.errors import MediaNotFoundError

        raise MediaNotFoundError(f"{path}: no such file", source=str(path))
    from qwen_omni.media import probe

    return probe(path).kind


def _print_result(result: Any, *, as_json: bool) -> None:
    if as_json:
        out.print_json(result.model_dump_json())
    else:
        out.print(result.to_text())


@app.command()
def analyze(
    source: str = typer.Argument(..., help="A media file (video, audio or image) or a URL."),
    question: str = typer.Argument(
        "Describe what you see and hear.", help="What to ask about the media."
    ),
    model: str | None = ModelOpt,
    emulator: bool | None = EmulatorOpt,
    base_url: str | None = BaseUrlOpt,
    as_json: bool = JsonOpt,
    save_audio: Path | None = typer.Option(
        None, help="Ask for a spoken reply too and save it to this WAV file."
    ),
    voice: str | None = typer.Option(None, help="Voice of the spoken reply (with --save-audio)."),
    prepare: bool = typer.Option(
        True, "--prepare/--as-is", help="Resize and resample to the cost budget before sending."
    ),
) -> None:
    """Ask Qwen-Omni a question about a video, audio clip or image; stream the answer."""
    if save_audio is not None:
        _analyze_spoken(source, question, model, emulator, base_url, as_json, save_audio, voice)
        return
    try:
        kind = _kind_of(source)
    except QwenOmniError as exc:
        raise _fail(exc, as_json=as_json) from exc

    def on_text(text: str) -> None:
        if not as_json:
            out.print(text, end="")

    async def work(tasks: Any, progress: Callable[[Any], None]) -> Any:
        method = getattr(tasks, f"analyze_{kind}")
        return await method(source, question, progress=progress, on_text=on_text)

    result = _run_task(
        work,
        model=model,
        emulator=emulator,
        base_url=base_url,
        as_json=as_json,
        tasks_kwargs={"prepare": prepare},
    )
    if as_json:
        out.print_json(result.model_dump_json())
        return
    out.print()
    sent = result.sent
    usage = sent.usage
    media = "; ".join(
        f"{m.kind} {'prepared (' + ', '.join(m.preparation) + ')' if m.prepared else 'as is'}"
        f", {m.bytes:,} B" + (f", ~{m.estimated_tokens:,} tokens" if m.estimated_tokens else "")
        for m in sent.media
    )
    tokens = f"{usage.input_tokens:,} tokens in, {usage.output_tokens:,} out" if usage else ""
    cost = f" · ~{sent.cost_cny:.4f} CNY" if sent.cost_cny is not None else ""
    err.print(f"[dim]{sent.model} · {media} · {tokens}{cost}[/]")


def _analyze_spoken(
    source: str,
    question: str,
    model: str | None,
    emulator: bool | None,
    base_url: str | None,
    as_json: bool,
    save_audio: Path,
    voice: str | None,
) -> None:
    """A spoken reply: the core client directly (the tools answer in text)."""
    from qwen_omni.client import OmniClient
    from qwen_omni.content import audio, image, video
    from qwen_omni.response import TextDelta

    try:
        builders: dict[str, Callable[[str], Any]] = {"image": image, "audio": audio, "video": video}
        builder = builders[_kind_of(source)]
        with connection(emulator=emulator, base_url=base_url, notice_to_stderr=as_json) as conn:
            params: dict[str, Any] = {"modalities": ["text", "audio"]}
            if voice:
                params["voice"] = voice
            with OmniClient(model=model, **conn) as client:
                with client.stream([builder(source), question], **params) as stream:
                    for event in stream:
                        if isinstance(event, TextDelta) and not as_json:
                            out.print(event.text, end="")
                response = stream.response
        if response.audio_pcm:
            response.save_audio(save_audio)
        if as_json:
            out.print_json(
                json.dumps(
                    {
                        "text": response.text,
                        "model": response.model,
                        "request_id": response.request_id,
                        "audio_file": str(save_audio) if response.audio_pcm else None,
                        "audio_seconds": round(response.audio_seconds, 3),
                        "usage": response.usage.raw if response.usage else None,
                    }
                )
            )
        else:
            out.print()
            err.print(f"[dim]spoken reply: {response.audio_seconds:.1f} s → {save_audio}[/]")
    except QwenOmniError as exc:
        raise _fail(exc, as_json=as_json) from exc


@app.command()
def mention(
    source: str = typer.Argument(..., help="A call recording (audio or video file, or URL)."),
    topics: list[str] = typer.Argument(..., help="Topics to look for, e.g. pricing refund."),
    model: str | None = ModelOpt,
    emulator: bool | None = EmulatorOpt,
    base_url: str | None = BaseUrlOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Did a call mention these topics? Evidence, time and confidence per topic."""

    async def work(tasks: Any, progress: Callable[[Any], None]) -> Any:
        return await tasks.did_call_mention(source, topics, progress=progress)

    result = _run_task(work, model=model, emulator=emulator, base_url=base_url, as_json=as_json)
    _print_result(result, as_json=as_json)


@app.command()
def caption(
    source: str = typer.Argument(..., help="A product video file or URL."),
    model: str | None = ModelOpt,
    emulator: bool | None = EmulatorOpt,
    base_url: str | None = BaseUrlOpt,
    as_json: bool = JsonOpt,
) -> None:
    """A structured caption: scene, product features, target audience, music style."""

    async def work(tasks: Any, progress: Callable[[Any], None]) -> Any:
        return await tasks.caption_product_video(source, progress=progress)

    result = _run_task(work, model=model, emulator=emulator, base_url=base_url, as_json=as_json)
    _print_result(result, as_json=as_json)


@app.command()
def summarize(
    source: str = typer.Argument(..., help="A (long) video file or URL."),
    focus: str | None = typer.Option(None, help="What the summary should focus on."),
    segment_seconds: float | None = typer.Option(
        None, help="Segment length in seconds (default 90, capped by the model's limit)."
    ),
    summary_model: str | None = typer.Option(None, help="Text model for the final summary."),
    model: str | None = ModelOpt,
    emulator: bool | None = EmulatorOpt,
    base_url: str | None = BaseUrlOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Summarize a long video: split, analyze segments concurrently, summarize the summaries."""

    async def work(tasks: Any, progress: Callable[[Any], None]) -> Any:
        return await tasks.summarize_long_video(
            source,
            focus=focus,
            segment_seconds=segment_seconds,
            summary_model=summary_model,
            progress=progress,
        )

    result = _run_task(work, model=model, emulator=emulator, base_url=base_url, as_json=as_json)
    _print_result(result, as_json=as_json)


@app.command()
def transcribe(
    source: str = typer.Argument(..., help="An audio or video file or URL."),
    language: str | None = typer.Option(None, help="Language hint, e.g. en or zh."),
    asr_model: str | None = typer.Option(
        None, help="A cheaper speech-recognition model (paraformer-v2, qwen3-asr-flash…)."
    ),
    model: str | None = ModelOpt,
    emulator: bool | None = EmulatorOpt,
    base_url: str | None = BaseUrlOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Transcribe speech (Paraformer when --asr-model is set, else Qwen-Omni)."""

    async def work(tasks: Any, progress: Callable[[Any], None]) -> Any:
        return await tasks.transcribe(source, language=language, progress=progress)

    result = _run_task(
        work,
        model=model,
        emulator=emulator,
        base_url=base_url,
        as_json=as_json,
        tasks_kwargs={"asr_model": asr_model} if asr_model else None,
    )
    _print_result(result, as_json=as_json)


@app.command()
def plan(
    source: Path = typer.Argument(..., help="A local media file."),
    model: str = typer.Option("qwen3-omni-flash", "--model", help="Model to plan for."),
    region: str = typer.Option("beijing", help="Price region: beijing or singapore."),
    as_json: bool = JsonOpt,
) -> None:
    """What would be sent, bytes, tokens, cost and split, without sending anything."""
    from qwen_omni.media import plan_media

    try:
        result = plan_media(source, model=model, region=region)
    except QwenOmniError as exc:
        raise _fail(exc, as_json=as_json) from exc
    if as_json:
        out.print_json(json.dumps(_plan_dict(result)))
    else:
        out.print(result.summary())


def _plan_dict(p: Any) -> dict[str, Any]:
    def variant(v: Any) -> dict[str, Any] | None:
        if v is None:
            return None
        return {
            "label": v.label,
            "description": v.description,
            "bytes": v.size_bytes,
            "bytes_estimated": v.size_estimated,
            "tokens": v.tokens.total,
            "request_tokens": v.request_tokens.total,
            "cost": None if v.cost is None else round(v.cost.input_cost, 6),
            "currency": None if v.cost is None else v.cost.currency,
            "delivery": v.delivery,
        }

    return {
        "source": p.source,
        "kind": p.kind,
        "model": p.model,
        "region": p.region,
        "as_is": variant(p.as_is),
        "prepared": variant(p.prepared),
        "prepare_steps": list(p.reasons),
        "must_split": p.must_split,
        "segments": p.segments,
        "segment_s": p.segment_s,
        "fits_context": p.fits_context,
        "notes": list(p.notes),
    }


@app.command()
def models() -> None:
    """The models the catalog knows, with their main limits."""
    from qwen_omni.catalog import MODELS

    for name, spec in sorted(MODELS.items()):
        video_limit = f"{spec.video_max_seconds:g} s" if spec.video_max_seconds else "-"
        out.print(
            f"{name:32} in {spec.max_input_tokens:>9,}  out {spec.max_output_tokens:>7,}  "
            f"video ≤ {video_limit:>6}  "
            f"{'mixed media' if spec.mixed_modalities else 'one medium/message':18}  "
            f"{'tools' if spec.tools else 'no tools':8}  {'speech' if spec.audio_output else ''}"
        )


@app.command("emulator")
def emulator_cmd(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (loopback by default)."),
    port: int = typer.Option(8000, help="Port of the model endpoint (0: any free port)."),
) -> None:
    """Run the local DashScope + OSS emulator until Ctrl-C (for offline agent tests)."""
    from qwen_omni.fallback import emulator_server

    try:
        server = emulator_server()
    except ConfigurationError as exc:
        raise _fail(exc, as_json=False) from None
    try:
        server.serve(host=host, port=port)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command(
    "mcp",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def mcp_cmd(ctx: typer.Context) -> None:
    """Serve the agent tools over MCP (stdio or streamable HTTP); see `qwen-omni mcp --help`.

    Options: --transport stdio|http, --host, --port, --root DIR (allow local files there),
    --allow-host H, --allow-private-host H, --tool NAME, --model, --base-url.
    """
    from qwen_omni.fallback import use_emulator
    from qwen_omni.mcp_server import main as mcp_main

    args = list(ctx.args)
    given_base_url = next((a for a in args if a.startswith("--base-url")), None)
    if use_emulator(base_url=given_base_url) and not ({"-h", "--help"} & set(args)):
        # stdout is the MCP channel: say it on stderr.
        err.print(
            "[bold yellow]No DASHSCOPE_API_KEY set: the tools will fail until you export it. "
            "To test an agent offline, run `qwen-omni emulator` and pass --base-url with the "
            "URL it prints (and DASHSCOPE_API_KEY=emu-key).[/]"
        )
    raise typer.Exit(mcp_main(args))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
