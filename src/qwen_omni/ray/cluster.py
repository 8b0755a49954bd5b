"""Starting or joining a Ray cluster for ingestion."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

__all__ = ["init_ray"]

logger = logging.getLogger("qwen_omni.ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def init_ray(address: str | None = None, *, num_cpus: int | None = None, attempts: int = 3) -> Any:
    """``ray.init`` for ingestion: join ``address``, or start a local, loopback-only cluster.

    Ray 2.60's raylet waits a hard-coded 15 s for its agents' port files and dies when a busy
    machine makes them slower (ray-project/ray#65983); choosing those ports up front is the
    documented workaround, so a local cluster gets them chosen here, and a start that still
    times out is retried (``attempts``).
    """
    import ray
    from ray._private import parameter, services

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address is not None:
        return ray.init(address=address, log_to_driver=False)
    # Under `uv run`, Ray 2.60 starts every worker through `uv run` again, in a copy of the
    # working directory (its uv hook): a relative uv path or a project that does not resolve
    # offline then leaves workers that never register. A local cluster's workers run this
    # interpreter's environment anyway, so the hook is turned off for it (read at call time).
    from ray._private import ray_constants

    ray_constants.RAY_ENABLE_UV_RUN_RUNTIME_ENV = False
    # Ray maps 127.0.0.1 to the machine's outward address ("remotely reachable"); a local
    # ingestion cluster stays on loopback, as Ray's own single-node mode does (the flag is read
    # at call time here and from the environment by the processes the cluster starts).
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    ray_constants.ENABLE_RAY_CLUSTER = False
    original = parameter.RayParams.__init__
    original_start = services.start_ray_process
    listen_port = _free_port()

    def pinned(self: Any, *args: Any, **kwargs: Any) -> None:
        for name in ("metrics_agent_port", "metrics_export_port", "runtime_env_agent_port"):
            if not kwargs.get(name):
                kwargs[name] = _free_port()
        kwargs["dashboard_agent_listen_port"] = listen_port
        original(self, *args, **kwargs)

    def start(command: list[str], process_type: str, *args: Any, **kwargs: Any) -> Any:
        # The raylet is not told the agent's listen port by ray.init, so it waits for the
        # agent's port file; told, it does not.
        if process_type == "raylet":
            command = [*command, f"--dashboard_agent_listen_port={listen_port}"]
        return original_start(command, process_type, *args, **kwargs)

    parameter.RayParams.__init__ = pinned  # type: ignore[method-assign]
    services.start_ray_process = start
    try:
        for attempt in range(attempts):
            try:
                return ray.init(
                    num_cpus=num_cpus,
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",
                    log_to_driver=False,
                    configure_logging=False,
                )
            except Exception as exc:
                ray.shutdown()
                if attempt == attempts - 1:
                    raise
                logger.warning("Ray did not start (%s); retrying", exc)
    finally:
        parameter.RayParams.__init__ = original  # type: ignore[method-assign]
        services.start_ray_process = original_start
    raise AssertionError("unreachable")
