"""``qwen-omni``: analyze media from the terminal, plan costs, run the emulator or the MCP server.

Without ``DASHSCOPE_API_KEY`` the model commands run against the local emulator and say so on
the first line; ``--live`` refuses to fall back, ``--emulator`` forces the emulator.

Exit codes: 0 success; 2 bad input (file, URL, arguments); 3 configuration (key, region,
store); 4 the service failed or could not be reached; 5 the answer was interrupted midway;
130 cancelled with Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from qwen_omni.errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    MediaError,
    QwenOmniError,
    RequestValidationError,
    StreamInterrupted,
)

__all__ = ["app", "main"]

EXIT_BAD_INPUT = 2
EXIT_CONFIG = 3
EXIT_SERVICE = 4
EXIT_INTERRUPTED = 5

app = typer.Typer(
    name="qwen-omni",
    help="Qwen-Omni for agents: analyze video, audio and images; plan costs; run the emulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EMULATOR_NOTICE = (
    "No DASHSCOPE_API_KEY set: running against the local emulator (offline; answers are "
    "synthetic and describe what the service would receive). Set DASHSCOPE_API_KEY to use "
    "Qwen-Omni for real."
)


def exit_code_for(exc: BaseException) -> int:
    """The process exit code for an error (see the module docstring)."""
    if isinstance(exc, StreamInterrupted):
        return EXIT_INTERRUPTED
    if isinstance(exc, ConfigurationError):
        return EXIT_CONFIG
    if isinstance(exc, (APIError, APIConnectionError)):
        # A 400 about the media is still the service answering: exit 4, with its message.
        return EXIT_SERVICE
    if isinstance(exc, (MediaError, RequestValidationError, ValueError, FileNotFoundError)):
        return EXIT_BAD_INPUT
    return 1


@contextlib.contextmanager
def connection(
    *, emulator: bool | None, base_url: str | None, quiet_to_stderr: bool
) -> Iterator[dict[str, Any]]:
    """Client settings for a command: the real service, or an in-process emulator.

    ``emulator``: True forces it, False (``--live``) forbids it, None picks it when no key is
    set and no base URL is given.
    """
    has_key = bool(os.environ.get("DASHSCOPE_API_KEY"))
    use_emulator = emulator if emulator is not None else (not has_key and not base_url)
    if not use_emulator:
        if not has_key and not base_url:
            raise ConfigurationError(
                "no DASHSCOPE_API_KEY: export DASHSCOPE_API_KEY=sk-... (Model Studio console, "
                "per region), or run with --emulator to work offline"
            )
        yield {"base_url": base_url} if base_url else {}
        return
    from qwen_omni.emulator import Emulator

    notice = EMULATOR_NOTICE if not has_key else "Running against the local emulator (--emulator)."
    (err if quiet_to_stderr else out).print(f"[bold yellow]{notice}[/]")
    with Emulator() as emu:
        yield {"base_url": emu.base_url, "api_key": emu.api_key}


def _fail(exc: BaseException, *, as_json: bool) -> typer.Exit:
    code = exit_code_for(exc)
    if as_json:
        payload = {"error": type(exc).__name__, "message": str(exc), "exit_code": code}
        partial = getattr(exc, "partial", None)
        if partial is not None:
            payload["partial_text"] = partial.text
        out.print_json(json.dumps(payload))
    else:
        err.print(f"[bold red]{type(exc).__name__}[/]: {exc}")
        partial = getattr(exc, "partial", None)
        if partial is not None and partial.text:
            err.print(f"[dim]partial answer so far:[/] {partial.text}")
    return typer.Exit(code)


def _part_for(source: str) -> Any:
    """A content part for a file or URL, its modality sniffed from the content (files)."""
    from qwen_omni.content import audio, image, is_url, media_source, video

    if is_url(source):
        low = source.split("?", 1)[0].lower()
        if low.endswith((".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")):
            return image(source)
        if low.endswith((".mp3", ".wav", ".aac", ".amr", ".m4a", ".flac", ".ogg", ".3gpp")):
            return audio(source)
        return video(source)
    path = media_source(source)["path"]
    if not path.is_file():
        from qwen_omni.errors import MediaNotFoundError

        raise MediaNotFoundError(f"{path}: no such file", source=str(path))
    from qwen_omni.media.probe import probe

    kind = type(probe(path)).__name__.lower()
    if kind.startswith("image"):
        return image(path)
    if kind.startswith("audio"):
        return audio(path)
    return video(path)


@app.command()
def analyze(
    source: str = typer.Argument(..., help="A media file (video, audio or image) or a URL."),
    question: str = typer.Argument(
        "Describe what you see and hear.", help="What to ask about the media."
    ),
    model: str | None = typer.Option(None, help="Model id (default qwen3-omni-flash)."),
    emulator: bool | None = typer.Option(
        None, "--emulator/--live", help="Force the local emulator, or forbid falling back to it."
    ),
    base_url: str | None = typer.Option(None, help="Any OpenAI-compatible endpoint."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (for scripts)."),
    save_audio: Path | None = typer.Option(
        None, help="Ask for a spoken reply and save it to this WAV file."
    ),
    voice: str | None = typer.Option(None, help="Voice of the spoken reply."),
) -> None:
    """Ask Qwen-Omni a question about a video, audio clip or image; stream the answer."""
    from qwen_omni.client import OmniClient
    from qwen_omni.response import TextDelta

    try:
        with connection(emulator=emulator, base_url=base_url, quiet_to_stderr=as_json) as conn:
            part = _part_for(source)
            params: dict[str, Any] = {}
            if save_audio is not None:
                params["modalities"] = ["text", "audio"]
                if voice:
                    params["voice"] = voice
            with OmniClient(model=model, **conn) as client:
                stream = client.stream([part, question], **params)
                with stream:
                    for event in stream:
                        if isinstance(event, TextDelta) and not as_json:
                            out.print(event.text, end="")
                    response = stream.response
            if not as_json:
                out.print()
            if save_audio is not None and response.audio_pcm:
                response.save_audio(save_audio)
            usage = response.usage
            if as_json:
                out.print_json(
                    json.dumps(
                        {
                            "text": response.text,
                            "model": response.model,
                            "request_id": response.request_id,
                            "finish_reason": response.finish_reason,
                            "usage": None if usage is None else usage.raw,
                            "audio_file": str(save_audio) if response.audio_pcm else None,
                        }
                    )
                )
            elif usage is not None:
                err.print(
                    f"[dim]model {response.model} · {usage.input_tokens} tokens in "
                    f"(video {usage.input_video_tokens}, audio {usage.input_audio_tokens}, "
                    f"image {usage.input_image_tokens}) · {usage.output_tokens} out[/]"
                )
    except QwenOmniError as exc:
        raise _fail(exc, as_json=as_json) from exc
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command("emulator")
def emulator_cmd(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (loopback by default)."),
    port: int = typer.Option(8000, help="Port of the model endpoint (0: any free port)."),
) -> None:
    """Run the local DashScope + OSS emulator until Ctrl-C (for offline agent tests)."""
    from qwen_omni.emulator import serve

    try:
        serve(host=host, port=port)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
