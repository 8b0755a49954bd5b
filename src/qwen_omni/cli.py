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
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Optional, TypeVar

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
from qwen_omni.redact import redact

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


def check_model(name: str | None) -> str | None:
    """``--model``: a catalog id, or an id the catalog does not know (a new model, a dated
    snapshot) with a warning; a near miss of a known id is refused with "did you mean"."""
    if name is None:
        return None
    import difflib

    from qwen_omni.catalog import MODELS, known_models

    if name in MODELS:
        return name
    known = known_models()
    snapshot = any(name.startswith(k + "-") for k in known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.8)
    if close and not snapshot:
        raise typer.BadParameter(
            f"unknown model {name!r}; did you mean {' or '.join(repr(c) for c in close)}? "
            "(`qwen-omni models` lists the catalog)"
        )
    err.print(
        f"[yellow]{_clean(name)} is not in the catalog: sent as given, checked with the "
        "generic rules (`qwen-omni models` lists the known ones).[/]",
        markup=True,
    )
    return name


# Options shared by the model commands.
ModelOpt = typer.Option(
    None, "--model", help="Model id (default qwen3-omni-flash).", callback=check_model
)
EmulatorOpt = typer.Option(
    None, "--emulator/--live", help="Force the local emulator, or forbid falling back to it."
)
CacheOpt = typer.Option(
    False,
    "--cache",
    help="Reuse answers already paid for (same media bytes, same question) and keep new ones.",
)
CachePathOpt = typer.Option(
    None,
    "--cache-path",
    help="The analysis cache: an SQLite file or a directory (default ~/.cache/qwen-omni).",
)


def _check_base_url(value: str | None) -> str | None:
    """``--base-url`` must be an http(s) URL; say so naming the option (exit 2)."""
    if value is None:
        return None
    from qwen_omni.config import check_base_url
    from qwen_omni.errors import ConfigurationError

    try:
        return check_base_url(value)
    except ConfigurationError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--base-url'") from None


BaseUrlOpt = typer.Option(
    None, "--base-url", help="Any OpenAI-compatible endpoint.", callback=_check_base_url
)
JsonOpt = typer.Option(False, "--json", help="Print one JSON object (for scripts).")


def _show_version(value: bool) -> None:
    if value:
        from qwen_omni._version import __version__

        out.print(f"qwen-omni {__version__}", markup=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Qwen-Omni for agents: analyze video, audio and images; plan costs; run the emulator
    and the MCP server. Without DASHSCOPE_API_KEY, model commands use the local emulator."""


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


def _clean(text: str) -> str:
    """Text for the terminal: secrets masked, Rich markup escaped."""
    from rich.markup import escape

    return escape(redact(text))


def _print_json(text: str) -> None:
    """One JSON object on stdout, configured secrets masked (even if a service echoed one)."""
    out.print_json(redact(text))


def _fail(exc: BaseException, *, as_json: bool) -> typer.Exit:
    code = exit_code_for(exc)
    partial = getattr(exc, "partial", None)
    if as_json:
        payload: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
        payload["exit_code"] = code
        if partial is not None:
            payload["partial_text"] = partial.text
        _print_json(json.dumps(payload))
    else:
        err.print(f"[bold red]{type(exc).__name__}[/]: {_clean(str(exc))}", markup=True)
        if partial is not None and partial.text:
            err.print(f"[dim]partial answer so far:[/] {_clean(partial.text)}")
    return typer.Exit(code)


@contextlib.contextmanager
def _exit_codes(*, as_json: bool) -> Iterator[None]:
    """Turn our errors, bad input and Ctrl-C into the documented exit codes."""
    try:
        yield
    except (QwenOmniError, ValueError, OSError) as exc:
        raise _fail(exc, as_json=as_json) from exc
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


class Status:
    """One status line on stderr saying what is happening now (checking, preparing,
    uploading, asking the model, segment 3/8…), with a bar when the amount of work is known.

    It is a progress callback; :meth:`stop` removes it for good. Nothing may be printed to
    the terminal while it is live (rich redraws it over the text), so the answer's first
    words call :meth:`stop` before they are printed.
    """

    def __init__(self, *, disabled: bool = False) -> None:
        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
            disable=disabled,
        )
        self._task = self._bar.add_task("starting", total=None)
        self._stopped = False

    def __call__(self, p: Any) -> None:
        """Show a :class:`~qwen_omni.tasks.Progress` event: its message replaces the label."""
        if self._stopped:
            return
        # Messages name the user's file: "[" in a file name is text, not markup.
        label = _clean(p.message or p.stage)
        self._bar.update(self._task, description=label, completed=p.done, total=p.total)

    def __enter__(self) -> Status:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Remove the status line (idempotent): from now on the terminal is the answer's."""
        if not self._stopped:
            self._stopped = True
            self._bar.stop()


def _run_task(
    work: Callable[[Any, Status], Awaitable[T]],
    *,
    model: str | None,
    emulator: bool | None,
    base_url: str | None,
    as_json: bool,
    tasks_kwargs: dict[str, Any] | None = None,
) -> T:
    """Run one task on ``AsyncOmniTasks`` with a progress display; map errors to exit codes."""
    from qwen_omni.tasks import AsyncOmniTasks

    with _exit_codes(as_json=as_json):
        status = Status(disabled=as_json)
        with connection(emulator=emulator, base_url=base_url, notice_to_stderr=as_json) as conn:

            async def go() -> T:
                kwargs = {**conn, **(tasks_kwargs or {})}
                async with AsyncOmniTasks(model=model, **kwargs) as tasks:
                    return await work(tasks, status)

            with status:
                return asyncio.run(go())


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


def print_answer(text: str, *, end: str = "\n") -> None:
    """Print the model's text as it is (``[...]`` is not Rich markup, ``:x:`` no emoji code),
    configured secrets masked."""
    out.print(redact(text), end=end, markup=False, emoji=False)


def _print_result(result: Any, *, as_json: bool) -> None:
    if as_json:
        _print_json(result.model_dump_json())
    else:
        print_answer(result.to_text())


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
    cache: bool = CacheOpt,
    cache_path: Path | None = CachePathOpt,
) -> None:
    """Ask Qwen-Omni a question about a video, audio clip or image; stream the answer."""
    if save_audio is not None:
        _analyze_spoken(source, question, model, emulator, base_url, as_json, save_audio, voice)
        return
    try:
        kind = _kind_of(source)
    except QwenOmniError as exc:
        raise _fail(exc, as_json=as_json) from exc

    async def work(tasks: Any, status: Status) -> Any:
        def on_text(text: str) -> None:
            if not as_json:
                status.stop()  # the status line would be redrawn over the answer
                print_answer(text, end="")

        method = getattr(tasks, f"analyze_{kind}")
        return await method(source, question, progress=status, on_text=on_text)

    result = _run_task(
        work,
        model=model,
        emulator=emulator,
        base_url=base_url,
        as_json=as_json,
        tasks_kwargs={"prepare": prepare, **_cache_kwargs(cache, cache_path)},
    )
    if as_json:
        _print_json(result.model_dump_json())
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
    err.print(f"[dim]{_clean(f'{sent.model} · {media} · {tokens}{cost}')}[/]")
    if cache:
        err.print(f"[dim]cache: {_open_cache(cache_path).stats().summary()}[/]")


def _open_cache(path: Path | None) -> Any:
    """The CLI's analysis cache. Asking for ``--cache`` is the opt-in to reuse sampled answers."""
    from qwen_omni.cache import AnalysisCache

    return AnalysisCache(path, sampled=True)


def _cache_kwargs(cache: bool, path: Path | None) -> dict[str, Any]:
    return {"cache": _open_cache(path)} if cache or path is not None else {}


def _save_target_problem(path: Path) -> str | None:
    """Why the spoken reply could not be written to ``path`` (None when it can)."""
    if path.is_dir():
        return "is a directory: give a file name, e.g. reply.wav"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"the folder {parent} does not exist: create it or choose another path"
    if not os.access(parent, os.W_OK):
        return f"the folder {parent} is not writable: choose another path"
    if path.exists() and not os.access(path, os.W_OK):
        return "exists and is not writable: choose another path"
    return None


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

    problem = _save_target_problem(save_audio)
    if problem is not None:
        # Checked before anything is paid for.
        raise _fail(ValueError(f"--save-audio {save_audio}: {problem}"), as_json=as_json)
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
                            print_answer(event.text, end="")
                response = stream.response
        save_error: str | None = None
        if response.audio_pcm:
            try:
                response.save_audio(save_audio)
            except OSError as exc:
                # The reply is paid for: it is printed anyway, with where it could not go.
                save_error = f"could not save the spoken reply to {save_audio}: {exc.strerror}"
        if as_json:
            _print_json(
                json.dumps(
                    {
                        "text": response.text,
                        "model": response.model,
                        "request_id": response.request_id,
                        "audio_file": (
                            str(save_audio) if response.audio_pcm and not save_error else None
                        ),
                        "audio_seconds": round(response.audio_seconds, 3),
                        "audio_error": save_error,
                        "usage": response.usage.raw if response.usage else None,
                    }
                )
            )
        else:
            out.print()
            if save_error:
                err.print(f"[bold red]{_clean(save_error)}[/] (the text reply is above)")
            else:
                err.print(f"[dim]spoken reply: {response.audio_seconds:.1f} s → {save_audio}[/]")
        if save_error:
            raise typer.Exit(EXIT_BAD_INPUT)
    except QwenOmniError as exc:
        raise _fail(exc, as_json=as_json) from exc


# --- one command per agent tool, generated from the registry (qwen_omni.tasks.TOOLS) ---------

#: Help of the AsyncOmniTasks settings a tool may offer as options (ToolDef.cli_settings).
SETTING_HELP = {
    "summary_model": "Text model for the final summary.",
    "asr_model": "A cheaper speech-recognition model (paraformer-v2, qwen3-asr-flash…).",
}


def _tool_help(description: str) -> str:
    # The agent-facing note on what a source may be is not for a terminal user.
    from qwen_omni.tasks.tool import SOURCES_NOTE

    return description.replace(SOURCES_NOTE, "")


def _tool_command(tool: Any) -> Callable[..., None]:
    """A typer command for ``tool``: its required arguments positional, the optional ones as
    options, its ``cli_settings`` and the model-command options."""
    import inspect

    params: list[inspect.Parameter] = []
    fields = tool.input_model.model_fields
    for name, info in fields.items():
        if info.is_required():
            help_text = "A media file or URL." if name == "source" else info.description
            default: Any = typer.Argument(..., help=help_text)
        else:
            default = typer.Option(
                info.default, f"--{name.replace('_', '-')}", help=info.description
            )
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params.append(inspect.Parameter(name, kind, default=default, annotation=info.annotation))
    for setting in tool.cli_settings:
        option = typer.Option(
            None, f"--{setting.replace('_', '-')}", help=SETTING_HELP.get(setting, setting)
        )
        params.append(
            inspect.Parameter(
                setting, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=option,
                annotation=Optional[str],
            )
        )  # fmt: skip
    common = {"model": ModelOpt, "emulator": EmulatorOpt, "base_url": BaseUrlOpt}
    annotations = {"model": Optional[str], "emulator": Optional[bool], "base_url": Optional[str]}
    for name, option in common.items():
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=option,
                annotation=annotations[name],
            )
        )  # fmt: skip
    params.append(
        inspect.Parameter(
            "as_json", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=JsonOpt, annotation=bool
        )
    )

    def command(**values: Any) -> None:
        arguments = {k: values[k] for k in fields if values.get(k) is not None}
        settings = {k: values[k] for k in tool.cli_settings if values.get(k)}

        async def work(tasks: Any, status: Status) -> Any:
            return await getattr(tasks, tool.name)(**arguments, progress=status)

        result = _run_task(
            work,
            model=values["model"],
            emulator=values["emulator"],
            base_url=values["base_url"],
            as_json=values["as_json"],
            tasks_kwargs=settings or None,
        )
        _print_result(result, as_json=values["as_json"])

    command.__name__ = tool.name
    command.__doc__ = _tool_help(tool.description)
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return command


def add_tool_commands(target: typer.Typer | None = None) -> None:
    """Register a command for every tool of the registry that has a ``cli_name``."""
    from qwen_omni.tasks import TOOLS

    target = target or app
    registered = {c.name for c in target.registered_commands}
    for tool in TOOLS:
        if tool.cli_name and tool.cli_name not in registered:
            target.command(tool.cli_name)(_tool_command(tool))


add_tool_commands()


@app.command()
def plan(
    source: str = typer.Argument(..., help="A local media file, or an http(s) URL of one."),
    model: str = typer.Option(
        "qwen3-omni-flash", "--model", help="Model to plan for.", callback=check_model
    ),
    region: str = typer.Option("beijing", help="Price region: beijing or singapore."),
    as_json: bool = JsonOpt,
) -> None:
    """What would be sent, bytes, tokens, cost and split, without sending anything.

    A URL is downloaded to a temporary file to be measured (nothing goes to the model).
    """
    import tempfile

    from qwen_omni.content import is_url
    from qwen_omni.media import plan_media

    try:
        region = _check_region(region)
        with tempfile.TemporaryDirectory(prefix="qwen-omni-plan-") as tmp:
            if is_url(source):
                result = _plan_url(source, Path(tmp), model=model, region=region)
            else:
                result = plan_media(Path(source).expanduser(), model=model, region=region)
    except QwenOmniError as exc:
        raise _fail(exc, as_json=as_json) from exc
    if as_json:
        _print_json(json.dumps(_plan_dict(result)))
    else:
        print_answer(result.summary())


def _plan_url(url: str, workdir: Path, *, model: str, region: str) -> Any:
    """Plan a URL: download it (the user's own URL: no agent policy), measure the copy, and
    report it under the URL, noting that the service fetches URLs itself."""
    import dataclasses
    from urllib.parse import urlsplit

    from qwen_omni.errors import MediaNotFetchableError
    from qwen_omni.media import plan_media
    from qwen_omni.tasks.fetch import download
    from qwen_omni.tasks.pipeline import _UNCHECKED
    from qwen_omni.tasks.policy import AccessRefused

    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise MediaNotFetchableError(
            f"{url}: only http(s) URLs can be planned (download it and plan the file)",
            source=url,
        )
    name = Path(urlsplit(url).path).name or "media"
    target = workdir / name
    try:
        with err.status(f"downloading {url} to measure it"):
            asyncio.run(download(url, target, _UNCHECKED))
    except AccessRefused as exc:  # the agent policy's wording; here it is the user's URL
        message = f"could not download it to measure it: {exc}"
        raise MediaNotFetchableError(message, source=url) from exc
    result = plan_media(target, model=model, region=region)
    note = "a URL: sent as is, the service fetches it (inline size limits do not apply)"
    return dataclasses.replace(result, source=url, notes=(note, *result.notes))


def _check_region(region: str) -> str:
    """The region's canonical name; an unknown ``--region`` is a configuration error naming
    the known ones (exit 3)."""
    from qwen_omni.config import _normalise_region

    try:
        return _normalise_region(region)
    except ConfigurationError as exc:
        raise ConfigurationError(f"--region: {exc}") from None


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
def talk(
    source: Path = typer.Argument(..., help="An audio or video file (WAV, MP3, MP4…)."),
    out_file: Path = typer.Option(Path("reply.wav"), "--out", "-o", help="The spoken reply."),
    model: str = typer.Option("qwen3-omni-flash-realtime", "--model", help="A -realtime model."),
    voice: str = typer.Option(None, "--voice", help="Reply voice (default: the model's)."),
    instructions: str = typer.Option(None, "--instructions", "-i", help="System prompt."),
    pace: bool = typer.Option(
        True, "--pace/--no-pace", help="Send in real time, as a live source would."
    ),
    emulator: bool = EmulatorOpt,
    base_url: str = BaseUrlOpt,
    as_json: bool = JsonOpt,
) -> None:
    """One realtime voice turn over a file: its sound (and 1 fps frames of a video) go in as a
    live stream, the transcripts are printed and the spoken reply is saved as WAV."""
    from qwen_omni.realtime import (
        AsyncRealtimeSession,
        InputTranscript,
        ResponseDone,
        TranscriptDelta,
        feed_file,
    )
    from qwen_omni.realtime.protocol import DEFAULT_TRANSCRIPTION_MODEL

    async def go(conn: dict[str, Any]) -> tuple[Any, str, Any]:
        heard = ""
        async with AsyncRealtimeSession(
            model=model,
            voice=voice,
            instructions=instructions,
            turn_detection=None,  # one turn: the whole file, then a reply
            input_transcription=DEFAULT_TRANSCRIPTION_MODEL,
            **conn,
        ) as session:
            fed = await feed_file(session, source, pace=pace)
            await session.commit()
            await session.respond()
            async for event in session.events():
                if isinstance(event, InputTranscript) and event.final:
                    heard = event.text
                    if not as_json:
                        err.print(f"[dim]you:[/] {event.text}")
                elif isinstance(event, TranscriptDelta) and not as_json:
                    out.print(event.text, end="")
                elif isinstance(event, ResponseDone):
                    return event.turn, heard, fed
        raise APIConnectionError("the realtime session closed before the reply ended")

    with _exit_codes(as_json=as_json):
        if not source.exists():
            raise MediaError(f"{source}: no such file", source=str(source))
        with connection(emulator=emulator, base_url=base_url, notice_to_stderr=as_json) as conn:
            turn, heard, fed = asyncio.run(go(conn))
        if turn.audio_pcm:
            turn.save_audio(out_file)
    if as_json:
        payload = {
            "heard": heard,
            "reply": turn.transcript or turn.text,
            "status": turn.status,
            "audio_file": str(out_file) if turn.audio_pcm else None,
            "audio_seconds": round(turn.audio_seconds, 3),
            "sent_audio_seconds": round(fed.audio_seconds, 3),
            "frames_sent": fed.frames_sent,
            "usage": turn.usage,
            "cost": turn.cost,
        }
        out.print_json(json.dumps(payload))
    else:
        out.print()
        saved = f" → {out_file}" if turn.audio_pcm else " (no audio)"
        err.print(f"[dim]spoken reply: {turn.audio_seconds:.1f} s{saved}[/]")


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
            + ("  realtime only (qwen-omni talk)" if spec.api == "realtime" else "")
        )


cache_app = typer.Typer(help="The analysis cache: what it holds and what it saved.")
app.add_typer(cache_app, name="cache")


@cache_app.command("stats")
def cache_stats(cache_path: Path | None = CachePathOpt, as_json: bool = JsonOpt) -> None:
    """Answers stored, their size, hits and what the hits saved (tokens, CNY)."""
    stats = _open_cache(cache_path).stats()
    if as_json:
        _print_json(json.dumps(stats.__dict__))
    else:
        out.print(stats.summary())


@cache_app.command("clear")
def cache_clear(
    cache_path: Path | None = CachePathOpt,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Forget every stored answer."""
    cache = _open_cache(cache_path)
    if not yes and not typer.confirm(f"Forget every answer in {cache.store.location}?"):
        raise typer.Exit(1)
    out.print(f"removed {cache.clear():,} answers from {cache.store.location}")


@app.command()
def ingest(
    folder: Path = typer.Argument(
        ..., help="A folder of media files, or a manifest (.txt/.csv/.jsonl)."
    ),
    out_path: Path = typer.Option(..., "--out", help="Where to write the rows (Parquet)."),
    prompt: str | None = typer.Option(None, help="The question asked of every file."),
    address: str | None = typer.Option(
        None, "--address", help="An existing Ray cluster (default: start a local one)."
    ),
    rpm: float = typer.Option(60.0, help="Requests per minute across the cluster."),
    tpm: float | None = typer.Option(None, help="Tokens per minute across the cluster."),
    max_in_flight: int = typer.Option(16, help="Requests streaming at once across the cluster."),
    budget: float | None = typer.Option(None, "--budget", help="Stop sending at this many CNY."),
    concurrency: int = typer.Option(2, help="Ray actors (one client each)."),
    cache_path: Path | None = CachePathOpt,
    no_cache: bool = typer.Option(False, "--no-cache", help="Send every file, keep nothing."),
    model: str | None = ModelOpt,
    emulator: bool | None = EmulatorOpt,
    base_url: str | None = BaseUrlOpt,
) -> None:
    """Analyse every file of a folder on Ray (local or --address), within rate limits and a
    budget; re-runs pay only for new or changed files (the analysis cache)."""
    try:
        import ray

        from qwen_omni.cache import AnalysisCache
        from qwen_omni.ray import RateLimit, init_ray
        from qwen_omni.ray import ingest as run_ingest
    except ImportError as exc:
        raise _fail(
            ImportError(f"{exc}: install the Ray extra: pip install 'qwen-omni[ray]'"),
            as_json=False,
        ) from exc
    try:
        with connection(emulator=emulator, base_url=base_url, notice_to_stderr=True) as conn:
            started_here = not ray.is_initialized()
            if started_here:
                init_ray(address)
            try:
                result = run_ingest(
                    folder,
                    out=out_path,
                    prompt=prompt,
                    model=model,
                    rate_limit=RateLimit(rpm=rpm, tpm=tpm, max_in_flight=max_in_flight),
                    concurrency=concurrency,
                    cache=False if no_cache else AnalysisCache(cache_path),
                    budget_cny=budget,
                    on_progress=lambda p: err.print(f"[dim]{p.summary()}[/]"),
                    **conn,
                )
            finally:
                if started_here:
                    ray.shutdown()
    except QwenOmniError as exc:
        raise _fail(exc, as_json=False) from exc
    except (ValueError, OSError) as exc:
        raise _fail(exc, as_json=False) from exc
    out.print(f"{result.status}: {result.progress.summary()}; rows in {out_path}")
    if result.progress.budget_exhausted:
        raise typer.Exit(3)


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


def _ascii_safe_streams() -> None:
    """On a terminal that cannot encode some characters (``LANG=C``, an ASCII pipe), print
    a replacement instead of failing with ``UnicodeEncodeError``."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="replace")


def main() -> None:
    """Console-script entry point."""
    _ascii_safe_streams()
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
