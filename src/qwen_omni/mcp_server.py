"""The agent tools over the Model Context Protocol (official ``mcp`` SDK): stdio or HTTP.

``qwen-omni mcp`` calls :func:`serve`; tests and hosts that embed the server call
:func:`build_server` and connect to it. Every tool of :data:`qwen_omni.tasks.TOOLS` is listed
with its description, input schema and output schema; a call validates the arguments, applies
the access policy (the same :class:`~qwen_omni.tasks.AccessPolicy` as every other agent path)
and answers with the result as text plus structured content, or, for a refusal, an error
result whose text tells the agent what to do instead. Progress of long tools (segments of
``summarize_long_video``) goes out as MCP progress notifications when the client asks, with
``total`` whenever the amount of work is known (see :class:`ProgressScale`).

Local files: the directories given with ``--root`` (or ``QWEN_OMNI_TOOL_ROOTS``); when none
is given, the client's roots (``roots/list``, asked at each tool call so that a change is seen
at once, as the reference filesystem server does); when the client has none either, no local
files. Paths outside the roots are refused either way.

Streamable HTTP binds to loopback only unless ``allow_remote=True``; it keeps the SDK's DNS
rebinding protection (Host and Origin checked against loopback names).

Command line (``python -m qwen_omni.mcp_server --help``): ``--root DIR`` (repeatable) allows
local files under DIR; ``--allow-private-host`` opens a private host; the model endpoint and
key come from the usual settings (``DASHSCOPE_API_KEY``, ``QWEN_OMNI_BASE_URL``…).
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from qwen_omni.errors import (
    AuthenticationError,
    ConfigurationError,
    PermissionDeniedError,
    QwenOmniError,
)
from qwen_omni.tasks import (
    TOOLS,
    AccessPolicy,
    AsyncOmniTasks,
    Progress,
    ToolDef,
    ToolRefusal,
    to_text,
)

if TYPE_CHECKING:
    from mcp.server.lowlevel.server import Server

__all__ = [
    "DEFAULT_HTTP_PORT",
    "SERVER_NAME",
    "ProgressScale",
    "build_server",
    "main",
    "serve",
    "serve_async",
]

logger = logging.getLogger("qwen_omni.mcp")

SERVER_NAME = "qwen-omni"
DEFAULT_HTTP_PORT = 8765
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

def instructions(tools: Sequence[ToolDef]) -> str:
    """What the server tells an agent about its tools (named from the registry)."""
    return (
        f"Tools that see and hear media with Qwen-Omni: {', '.join(t.name for t in tools)}. "
        "Give each tool a public http(s) URL of the media file, or a path under the media "
        "directory the user allowed. A refused call explains why and what to pass instead."
    )


def _schema(model_schema: dict[str, Any]) -> dict[str, Any]:
    """A tool schema: an object at the root (pydantic already produces one)."""
    schema = dict(model_schema)
    schema.setdefault("type", "object")
    return schema


class ProgressScale:
    """Task :class:`~qwen_omni.tasks.Progress` events → MCP ``(progress, total)`` pairs.

    MCP requires ``progress`` to increase with every notification; a task reports per stage
    (prepare, then segments 0..n, then the summary), and a concurrent task may return to an
    earlier stage (a segment prepared while others are analysed). Stages are laid end to end
    in the order they first appear: each starts where the ones before it end, ``progress`` is
    that offset plus the units done, and ``total`` is the sum of every stage seen so far when
    this event's stage has a known total (None otherwise). An event that does not advance (a
    new message, an earlier stage) moves ``progress`` up by a thousandth so that it still
    increases.
    """

    STEP = 0.001

    def __init__(self) -> None:
        self._base: dict[str, float] = {}
        self._span: dict[str, float] = {}
        self._last = -1.0

    def __call__(self, event: Progress) -> tuple[float, float | None]:
        """The ``(progress, total)`` to send for ``event``."""
        if event.stage not in self._base:
            self._base[event.stage] = sum(self._span.values())
            self._span[event.stage] = 0.0
        span = max(self._span[event.stage], float(event.done), float(event.total or 0))
        self._span[event.stage] = span
        value = self._base[event.stage] + event.done
        if value <= self._last:
            value = self._last + self.STEP
        self._last = value
        total = None if event.total is None else max(sum(self._span.values()), value)
        return round(value, 6), None if total is None else round(total, 6)


def _file_roots(roots: Any) -> list[Path]:
    """The local directories among the client's roots (``file://`` URIs; others ignored)."""
    from urllib.parse import unquote, urlsplit

    found = []
    for root in roots:
        parts = urlsplit(str(root.uri))
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            found.append(Path(unquote(parts.path)))
    return found


#: the first protocol revision where a server asks the client through the tool call's result
#: (``InputRequiredResult``) instead of a request of its own mid-call
INPUT_REQUIRED_PROTOCOL = "2026-07-28"


async def _client_roots(ctx: Any, params: Any) -> list[Path] | Any | None:
    """The client's local roots; None when it declares no roots capability or cannot answer.

    Two protocol eras: up to 2025-11-25 the server sends ``roots/list`` mid-call; from
    2026-07-28 the first call answers ``InputRequiredResult`` asking for the roots and the
    client calls again with them in ``input_responses`` (that result is returned here, for
    the caller to send).
    """
    import mcp.types as types

    session = ctx.session
    if not session.check_client_capability(types.ClientCapabilities(roots=types.RootsCapability())):
        return None
    if str(ctx.protocol_version or "") >= INPUT_REQUIRED_PROTOCOL:  # ISO dates compare as text
        answer = (params.input_responses or {}).get("roots")
        if answer is None:
            return types.InputRequiredResult(input_requests={"roots": types.ListRootsRequest()})
        return _file_roots(answer.roots) if isinstance(answer, types.ListRootsResult) else None
    try:
        with warnings.catch_warnings():
            # the 2026-07-28 protocol deprecates roots (SEP-2577); hosts of today still
            # announce them, and the reference filesystem server relies on them
            warnings.simplefilter("ignore")
            listed = await session.list_roots()
    except Exception as exc:  # a client that cannot answer: no roots, as if it had none
        logger.warning("could not list the client's roots: %s", exc)
        return None
    return _file_roots(listed.roots)


def _tool_listing(tool: ToolDef) -> Any:
    import mcp.types as types

    return types.Tool(
        name=tool.name,
        title=tool.name.replace("_", " "),
        description=tool.description,
        input_schema=_schema(tool.input_schema()),
        output_schema=_schema(tool.output_schema()),
        annotations=types.ToolAnnotations(
            read_only_hint=tool.read_only,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=True,
        ),
    )


def build_server(
    tasks: AsyncOmniTasks | None = None,
    *,
    policy: AccessPolicy | None = None,
    tools: Sequence[str] | None = None,
    name: str = SERVER_NAME,
    client_roots: bool = True,
    **tasks_kwargs: Any,
) -> Server:
    """A low-level MCP ``Server`` serving the tools.

    Args:
        tasks: the tools' shared state (client, policy, models); built from ``policy`` and
            ``tasks_kwargs`` (client settings such as ``base_url``, ``api_key``) when None.
        policy: the access policy (only when ``tasks`` is None; default: no local files).
        tools: names of the tools to serve (default: all).
        name: the server name announced to clients.
        client_roots: when the policy has no roots, adopt the client's roots (asked at each
            call); False keeps local files disabled.
    """
    import mcp.types as types
    from mcp.server.lowlevel.server import Server

    if tasks is None:
        tasks = AsyncOmniTasks(policy=policy, **tasks_kwargs)
    elif policy is not None or tasks_kwargs:
        raise TypeError("pass either tasks= or policy=/client settings, not both")
    chosen = [t for t in TOOLS if tools is None or t.name in tools]
    if tools is not None:
        unknown = set(tools) - {t.name for t in TOOLS}
        if unknown:
            raise ValueError(f"unknown tools: {sorted(unknown)}")
    by_name = {t.name: t for t in chosen}
    listing = [_tool_listing(t) for t in chosen]
    served_tasks = tasks
    adopt_roots = client_roots and not tasks.policy.roots

    async def tasks_for(ctx: Any, params: Any) -> AsyncOmniTasks | types.InputRequiredResult:
        """The tasks for one call: with the client's roots when we adopt them (or the
        question for them, in the 2026-07-28 protocol)."""
        if not adopt_roots:
            return served_tasks
        roots = await _client_roots(ctx, params)
        if isinstance(roots, types.InputRequiredResult):
            return roots
        if not roots:
            return served_tasks
        return served_tasks.with_policy(served_tasks.policy.with_roots(*roots))

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listing)

    async def call_tool(
        ctx: Any, params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        tool = by_name.get(params.name)
        if tool is None:
            return types.CallToolResult(
                content=[
                    types.TextContent(
                        type="text",
                        text=f"unknown tool {params.name!r}; tools: {', '.join(by_name)}",
                    )
                ],
                is_error=True,
            )
        scale = ProgressScale()

        async def progress(event: Progress) -> None:
            value, total = scale(event)
            count = f" {event.done}/{event.total}" if event.total else ""
            await ctx.session.report_progress(
                value, total, f"[{event.stage}{count}] {event.message}"
            )

        call_tasks = await tasks_for(ctx, params)
        if isinstance(call_tasks, types.InputRequiredResult):
            return call_tasks
        try:
            result = await tool.arun(call_tasks, params.arguments or {}, progress=progress)
        except (ConfigurationError, AuthenticationError, PermissionDeniedError) as exc:
            # the operator must act; the agent can only tell the user
            logger.error("tool %s: server configuration problem: %s", tool.name, exc)
            return types.CallToolResult(
                content=[
                    types.TextContent(
                        type="text",
                        text=f"The qwen-omni tool server is not configured correctly ({exc}). "
                        "Tell the user; retrying will not help.",
                    )
                ],
                is_error=True,
            )
        text = to_text(result)
        if isinstance(result, ToolRefusal):
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=text)], is_error=True
            )
        from qwen_omni.redact import redact_value

        structured = redact_value(result.model_dump(mode="json"))
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)],
            structured_content=structured,
            is_error=False,
        )

    from qwen_omni._version import __version__

    return Server(
        name,
        version=__version__,
        instructions=instructions(chosen)
        + " Access policy: "
        + tasks.policy.describe()
        + (" Local files: under the client's roots, when it has any." if adopt_roots else ""),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_async(
    transport: Literal["stdio", "http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = DEFAULT_HTTP_PORT,
    *,
    server: Server | None = None,
    allow_remote: bool = False,
    ready: Any = None,
    **build_kwargs: Any,
) -> None:
    """Serve until cancelled (stdio: until stdin closes). See :func:`serve`."""
    if server is None:
        server = build_server(**build_kwargs)
    elif build_kwargs:
        raise TypeError("pass either server= or build_server arguments, not both")
    if transport == "stdio":
        from mcp.server.stdio import stdio_server

        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
        return
    if transport != "http":
        raise ValueError(f"transport must be 'stdio' or 'http', got {transport!r}")
    if not _is_loopback(host) and not allow_remote:
        from qwen_omni.errors import ConfigurationError

        raise ConfigurationError(
            f"the MCP HTTP server binds to loopback only (got --host {host}); it has no "
            "authentication, so anyone who can reach the port could spend your API key and "
            "read your media roots. Use --host 127.0.0.1, or pass --allow-remote deliberately "
            "(allow_remote=True) when an authenticating proxy sits in front"
        )
    import uvicorn

    app = server.streamable_http_app(host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    web = uvicorn.Server(config)
    if ready is not None:
        # tests pass a threading.Event / asyncio.Event / callable to learn when the port accepts
        # connections: uvicorn calls startup() before serving, so wrap it
        startup = web.startup

        async def announced_startup(*args: Any, **kwargs: Any) -> None:
            await startup(*args, **kwargs)
            ready.set() if hasattr(ready, "set") else ready()

        web.startup = announced_startup  # type: ignore[method-assign]
    await web.serve()


def serve(
    transport: Literal["stdio", "http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = DEFAULT_HTTP_PORT,
    **kwargs: Any,
) -> None:
    """Serve the tools over MCP (blocking): ``stdio`` or streamable ``http`` on loopback.

    ``kwargs`` go to :func:`build_server` (``tasks``, ``policy``, ``tools``, client settings)
    or are ``server=`` / ``allow_remote=``. HTTP serves at ``http://{host}:{port}/mcp``.
    """
    import anyio

    async def run() -> None:
        await serve_async(transport, host, port, **kwargs)

    anyio.run(run)


def _is_loopback(host: str) -> bool:
    from qwen_omni.addresses import classify_address, parse_ip_literal

    if host in _LOOPBACK:
        return True
    addr = parse_ip_literal(host)
    return addr is not None and classify_address(addr) == "loopback" and not addr.is_unspecified


def main(argv: list[str] | None = None) -> int:
    """``python -m qwen_omni.mcp_server``: parse the command line and :func:`serve`."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="qwen-omni mcp", description="Serve the Qwen-Omni agent tools over MCP."
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="listen on a non-loopback --host (no authentication: only behind an auth proxy)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_HTTP_PORT)
    parser.add_argument(
        "--root",
        action="append",
        default=[],
        help="allow local files under this directory (default: the client's roots)",
    )
    parser.add_argument(
        "--no-client-roots",
        action="store_true",
        help="without --root, do not adopt the client's roots (no local files)",
    )
    parser.add_argument("--max-bytes", type=int, default=None, help="largest file or download")
    parser.add_argument(
        "--allow-host", action="append", default=None, help="only allow URLs on these hosts"
    )
    parser.add_argument(
        "--allow-private-host",
        action="append",
        default=[],
        help="allow this private/loopback host or CIDR (explicitly trusted)",
    )
    parser.add_argument("--tool", action="append", default=None, help="serve only these tools")
    parser.add_argument("--model", default=None, help="the Omni model")
    parser.add_argument("--summary-model", default=None, help="text model for long summaries")
    parser.add_argument("--asr-model", default=None, help="speech-recognition model")
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint")
    args = parser.parse_args(argv)

    overrides: dict[str, Any] = {}
    if args.root:
        overrides["roots"] = tuple(args.root)
    if args.max_bytes:
        overrides["max_bytes"] = args.max_bytes
    if args.allow_host:
        overrides["allowed_hosts"] = tuple(args.allow_host)
    if args.allow_private_host:
        overrides["allow_private_hosts"] = tuple(args.allow_private_host)
    try:
        policy = AccessPolicy.from_env(**overrides)
    except ValueError as exc:
        sys.stderr.write(f"qwen-omni mcp: invalid tool policy setting: {exc}\n")
        return 3
    tasks_kwargs: dict[str, Any] = {}
    if args.model:
        tasks_kwargs["model"] = args.model
    if args.summary_model:
        tasks_kwargs["summary_model"] = args.summary_model
    if args.asr_model:
        tasks_kwargs["asr_model"] = args.asr_model
    if args.base_url:
        tasks_kwargs["base_url"] = args.base_url
    logging.basicConfig(level=logging.WARNING)
    if args.allow_remote and not _is_loopback(args.host):
        sys.stderr.write(
            f"warning: serving the MCP tools on {args.host}:{args.port} without authentication "
            "(--allow-remote); put an authenticating proxy in front\n"
        )
    try:
        serve(
            args.transport,
            args.host,
            args.port,
            policy=policy,
            tools=args.tool,
            allow_remote=args.allow_remote,
            client_roots=not args.no_client_roots,
            **tasks_kwargs,
        )
    except QwenOmniError as exc:
        from qwen_omni.redact import redact

        # stdout is the MCP channel: a user's mistake is one line on stderr, no traceback.
        sys.stderr.write(f"qwen-omni mcp: {redact(str(exc))}\n")
        return 3
    return 0


def describe_tools() -> str:
    """The tool list as JSON (name, description, input schema), for docs and debugging."""
    return json.dumps(
        [
            {"name": t.name, "description": t.description, "input_schema": t.input_schema()}
            for t in TOOLS
        ],
        indent=2,
    )


if __name__ == "__main__":
    raise SystemExit(main())
