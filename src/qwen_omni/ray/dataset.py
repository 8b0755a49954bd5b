"""Ray Data ingestion: analyse every medium of a dataset inside DashScope's limits and a budget.

Ray Data's own concurrency knob says how many actors run, not how many requests are in the
air, and engines differ wildly there (issue #15 measured Daft letting 5,000 of 5,000 coroutines
fly and Ray Data keeping 1–2 per worker). So the integration owns the limits: each actor runs
one ``AsyncOmniClient`` and many rows at once on its own event loop, and every request first
asks the cluster-wide limiter actor (pace, tokens, in-flight cap, 429 pause) and the run's
budget actor.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import ray

from qwen_omni.cache import AnalysisCache, CacheStore, open_cache
from qwen_omni.ray.actors import NAMESPACE, Progress, get_limiter, limiter_name, new_run
from qwen_omni.ray.limits import RateLimit

__all__ = [
    "MEDIA_SUFFIXES",
    "IngestResult",
    "analyze_dataset",
    "ingest",
    "media_dataset",
]

logger = logging.getLogger("qwen_omni.ray")

#: File suffixes listed by :func:`media_dataset` (lower case, without the dot).
_AUDIO = frozenset(["mp3", "wav", "m4a", "aac", "flac", "ogg", "oga", "opus", "amr", "wma"])
_IMAGE = frozenset(["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "heic"])
_VIDEO = frozenset(["mp4", "mov", "mkv", "webm", "avi", "m4v", "flv", "3gp", "mpeg", "mpg", "ts"])
MEDIA_SUFFIXES = _AUDIO | _IMAGE | _VIDEO

DEFAULT_PROMPT = "Describe this media: what it shows or says, and anything notable."
#: The output tokens assumed for a request's estimate when ``max_tokens`` is not set.
DEFAULT_OUTPUT_ESTIMATE = 512


def media_dataset(source: str | Path | Iterable[str], *, recursive: bool = True) -> Any:
    """A ``ray.data.Dataset`` of rows with a ``path`` or ``url`` column.

    ``source``: a folder (its media files, sorted; ``recursive`` descends), a manifest file
    (``.txt``: one path or URL a line; ``.jsonl``/``.csv``: a ``path`` or ``url`` field;
    relative paths are relative to the manifest), or an iterable of paths and URLs.
    """
    rows = _media_rows(source, recursive=recursive)
    if not rows:
        raise ValueError(
            f"no media found in {source!s}: a folder needs files with media suffixes "
            f"({', '.join(sorted(_IMAGE)[:4])}, mp3, mp4, …), a manifest needs path or url entries"
        )
    return ray.data.from_items(rows)


def _row_for(value: str, base: Path | None) -> dict[str, str | None]:
    if "://" in value or value.startswith("data:"):
        return {"path": None, "url": value}
    path = Path(value).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    return {"path": str(path.resolve()), "url": None}


def _media_rows(source: str | Path | Iterable[str], *, recursive: bool) -> list[dict[str, Any]]:
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if path.is_dir():
            files = path.rglob("*") if recursive else path.glob("*")
            return [
                {"path": str(f.resolve()), "url": None}
                for f in sorted(files)
                if f.is_file() and f.suffix.lower().lstrip(".") in MEDIA_SUFFIXES
            ]
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such folder or manifest")
        base = path.parent
        if path.suffix.lower() == ".jsonl":
            items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            return [_row_for(str(i.get("path") or i.get("url")), base) for i in items]
        if path.suffix.lower() == ".csv":
            import csv

            with path.open(newline="") as fh:
                return [
                    _row_for(r.get("path") or r.get("url") or "", base) for r in csv.DictReader(fh)
                ]
        lines = [ln.strip() for ln in path.read_text().splitlines()]
        return [_row_for(ln, base) for ln in lines if ln and not ln.startswith("#")]
    return [_row_for(str(v), None) for v in source]


def _part(path: str | None, url: str | None) -> Any:
    from qwen_omni.content import audio, image, video

    source = path or url or ""
    name = source.split("?", 1)[0].rsplit(".", 1)[-1].lower()
    if name in _IMAGE:
        return image(source)
    if name in _AUDIO:
        return audio(source)
    return video(source)


@dataclass
class _Config:
    client: dict[str, Any]
    cache: AnalysisCache | None
    prompt: str
    schema: type | None
    params: dict[str, Any]
    limiter: str
    run: Any
    on_error: str
    max_rate_limit_retries: int
    output_estimate: int
    estimate: bool
    budgeted: bool
    fields: list[str] = field(default_factory=list)


def _columns(fields: list[str]) -> list[str]:
    return [
        "path", "url", "status", "text", "json", *fields, "cached", "input_tokens",
        "output_tokens", "total_tokens", "cost_cny", "request_id", "error_class",
        "error_message", "elapsed_s",
    ]  # fmt: skip


class _Analyzer:
    """A Ray Data actor: one AsyncOmniClient on one event loop, a batch's rows at once."""

    def __init__(self, config: _Config) -> None:
        from qwen_omni.catalog import get_model
        from qwen_omni.client import AsyncOmniClient

        self.config = config
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        # Retries of 429s are the limiter's business (they pause everyone); the client's own
        # in-process cap is off because the cluster-wide one is the limiter's.
        self.client = AsyncOmniClient(
            **config.client, cache=config.cache, max_retries=0, max_concurrency=None
        )
        self.limiter = ray.get_actor(config.limiter, namespace=NAMESPACE)
        self.spec = get_model(config.client["model"])

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows = [
            dict(zip(batch, values, strict=True)) for values in zip(*batch.values(), strict=True)
        ]
        future = asyncio.run_coroutine_threadsafe(self._rows(rows), self.loop)
        results = future.result()
        columns = _columns(self.config.fields)
        return {c: [r.get(c) for r in results] for c in columns}

    async def _rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(self._row(r) for r in rows)))

    def _messages(self, part: Any) -> list[Any]:
        return [part, self.config.prompt]

    async def _row(self, row: dict[str, Any]) -> dict[str, Any]:
        from qwen_omni.errors import QwenOmniError

        started = time.monotonic()
        out: dict[str, Any] = {"path": row.get("path"), "url": row.get("url"), "cached": False}
        cfg = self.config
        spend = {"estimate": 0.0, "requests": 0}
        try:
            messages = self._messages(_part(row.get("path"), row.get("url")))
            hit = await asyncio.to_thread(self.client.cached, messages, **cfg.params)
            if hit is not None:
                self._answer(out, hit, status="cached", cost=0.0)
                out["cached"] = True
            else:
                await self._send(out, messages, spend)
        except QwenOmniError as exc:
            if cfg.on_error == "raise":
                raise
            out.update(
                status="failed", error_class=type(exc).__name__, error_message=str(exc)[:2000]
            )
        out["elapsed_s"] = round(time.monotonic() - started, 4)
        # One call settles the budget and counts the row (actor calls cost time on busy nodes).
        await cfg.run.row_done.remote(
            out["status"],
            int(out.get("total_tokens") or 0),
            float(out.get("cost_cny") or 0.0),
            spend["estimate"],
            spend["requests"],
        )
        return out

    async def _send(self, out: dict[str, Any], messages: list[Any], spend: dict[str, Any]) -> None:
        from qwen_omni.errors import RateLimitError
        from qwen_omni.tasks.report import cost_cny

        cfg = self.config
        tokens = 0.0
        if cfg.estimate:
            # Only a token bucket or a budget needs the estimate (it probes the media).
            output = cfg.params.get("max_tokens") or cfg.output_estimate
            estimate = await asyncio.to_thread(
                self.client.estimate, messages, output_tokens=output, **cfg.params
            )
            tokens = float(estimate.tokens.total + output)
            est_cny = estimate.cost.total if estimate.cost is not None else 0.0
            if cfg.budgeted and not await cfg.run.reserve.remote(est_cny):
                out.update(
                    status="skipped",
                    error_class="BudgetExhausted",
                    error_message="not sent: the run's budget_cny was reached",
                )
                return
            spend["estimate"] = est_cny if cfg.budgeted else 0.0
        for attempt in range(cfg.max_rate_limit_retries + 1):
            await self.limiter.acquire.remote(tokens)
            spend["requests"] += 1
            try:
                response = await self.client.complete(messages, **cfg.params)
            except RateLimitError as exc:
                self.limiter.release.remote(tokens, 0.0)
                await self.limiter.pause.remote(exc.retry_after)
                if attempt == cfg.max_rate_limit_retries:
                    raise
                continue
            except BaseException:
                self.limiter.release.remote(tokens, None)
                raise
            usage = response.usage
            self.limiter.release.remote(tokens, float(usage.total_tokens) if usage else None)
            cost = 0.0
            if usage is not None:
                region = self.client.settings.region
                cost = cost_cny(usage, self.spec, region, multimodal_input=True) or 0.0
            self._answer(out, response, status="ok", cost=cost)
            return

    def _answer(self, out: dict[str, Any], response: Any, *, status: str, cost: float) -> None:
        cfg = self.config
        usage = response.usage
        out.update(
            status=status,
            text=response.text,
            request_id=response.request_id,
            input_tokens=usage.input_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
            total_tokens=usage.total_tokens if usage else None,
            cost_cny=round(cost, 6),
        )
        if cfg.schema is not None:
            from qwen_omni.tasks.jsonout import OutputValidationError, parse_model_json

            try:
                value: Any = parse_model_json(response.text, cfg.schema)[0]
            except OutputValidationError as exc:
                out.update(
                    status="failed", error_class="InvalidModelOutput", error_message=str(exc)
                )
                return
            data = value.model_dump(mode="json")
            out["json"] = json.dumps(data, ensure_ascii=False)
            for name in cfg.fields:
                v = data.get(name)
                out[name] = json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v


def analyze_dataset(
    ds: Any,
    *,
    prompt: str | None = None,
    schema: type | None = None,
    model: str | None = None,
    rate_limit: RateLimit | None = None,
    concurrency: int = 2,
    batch_size: int = 32,
    calls_per_actor: int = 4,
    num_cpus: float = 0.5,
    cache: AnalysisCache | CacheStore | str | Path | bool | None = True,
    budget_cny: float | None = None,
    prepare: Literal["auto", "always", "never"] = "auto",
    delivery: Any = None,
    on_error: Literal["row", "raise"] = "row",
    temperature: float | None = 0.0,
    max_tokens: int | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    region: str | None = None,
    max_rate_limit_retries: int = 5,
    _run: Any = None,
) -> Any:
    """Analyse every row of ``ds`` (a ``path`` or ``url`` column) with Qwen-Omni on Ray Data.

    Returns a lazy ``ray.data.Dataset`` with one output row per input row: ``path``, ``url``,
    ``status`` (``ok``, ``cached``, ``failed``, ``skipped`` when the budget was reached),
    ``text``, ``json`` and one column per ``schema`` field (when a schema is given),
    ``cached``, ``input_tokens``, ``output_tokens``, ``total_tokens``, ``cost_cny``,
    ``request_id``, ``error_class``, ``error_message``, ``elapsed_s``.

    Args:
        prompt: the question asked of every medium (default: a description).
        schema: a pydantic model: the answer is requested as JSON, validated, and spread into
            columns (nested values as JSON text).
        model: the model (default the client's).
        rate_limit: the cluster-wide limits (``RateLimit(rpm, tpm, max_in_flight)``), held by a
            named limiter actor per (region, workspace, model); default 60 rpm.
        concurrency: Ray Data actors, each with one ``AsyncOmniClient`` (``num_cpus`` each:
            the work is waiting on the network).
        batch_size, calls_per_actor: rows per batch and batches an actor works on at once
            (their requests all wait for the limiter).
        cache: the analysis cache (default True: the default SQLite file; use a directory on a
            shared filesystem for a multi-machine cluster). A re-run pays only for what it lacks.
        budget_cny: stop sending once estimates plus actual costs would pass this (CNY).
        prepare, delivery: as for ``OmniClient``.
        on_error: ``row`` (a failed row records the error class and message) or ``raise``.
        temperature: 0 by default so answers are reproducible and cacheable.
    """
    from pydantic import BaseModel

    from qwen_omni.config import resolve_settings

    limit = rate_limit or RateLimit(rpm=60)
    settings = resolve_settings(api_key=api_key, base_url=base_url, region=region, model=model)
    key = settings.api_key.get_secret_value() if settings.api_key else None
    name = limiter_name(settings.region, key, settings.model, settings.base_url)
    get_limiter(name, limit)
    analysis_cache = open_cache(cache)
    if analysis_cache is not None and temperature != 0 and not analysis_cache.sampled:
        logger.warning("temperature=%s: answers will not be cached (resumability off)", temperature)
    params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
    fields: list[str] = []
    question = prompt or DEFAULT_PROMPT
    if schema is not None:
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise TypeError("schema must be a pydantic BaseModel subclass")
        from qwen_omni.tasks.jsonout import schema_prompt

        fields = list(schema.model_fields)
        question = f"{question}\n{schema_prompt(schema)}"
        params["response_format"] = {"type": "json_object"}
    config = _Config(
        client={
            "api_key": api_key,
            "base_url": settings.base_url,
            "region": region,
            "model": settings.model,
            "prepare": prepare,
            "delivery": delivery,
        },
        cache=analysis_cache,
        prompt=question,
        schema=schema,
        params={k: v for k, v in params.items() if v is not None},
        limiter=name,
        run=_run if _run is not None else new_run(budget_cny, None),
        on_error=on_error,
        max_rate_limit_retries=max_rate_limit_retries,
        output_estimate=DEFAULT_OUTPUT_ESTIMATE,
        estimate=limit.tpm is not None or budget_cny is not None,
        budgeted=budget_cny is not None,
        fields=fields,
    )
    # Ray Data runs one call per actor at a time by default and waits seconds between batches
    # on a busy node; several calls per actor (threads feeding the actor's one event loop)
    # keep rows waiting at the limiter, so the limiter, not the engine, sets the pace.
    compute = ray.data.ActorPoolStrategy(
        size=concurrency,
        max_tasks_in_flight_per_actor=calls_per_actor,
        max_concurrent_calls_per_actor=calls_per_actor,
        enable_true_multi_threading=True,
    )
    return ds.map_batches(
        _Analyzer,
        fn_constructor_args=(config,),
        batch_size=batch_size,
        compute=compute,
        num_cpus=num_cpus,
        batch_format="numpy",
        zero_copy_batch=False,
    )


@dataclass
class IngestResult:
    """What ``ingest`` did: the progress at the end, the limiter's counters, the output file."""

    progress: Progress
    limiter: dict[str, Any]
    out: Path | None
    rows: list[dict[str, Any]]

    @property
    def status(self) -> str:
        """``complete``, ``stopped: budget reached`` or ``complete with N failed rows``."""
        p = self.progress
        if p.budget_exhausted:
            return (
                f"stopped: budget reached after {p.done - p.skipped:,} of {p.total or p.done:,} "
                f"rows ({p.cost_cny:.4f} CNY spent; {p.skipped:,} rows not sent)"
            )
        if p.failed:
            return f"complete with {p.failed:,} failed rows"
        return "complete"


def ingest(
    source: Any,
    *,
    out: str | Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    progress_every_s: float = 1.0,
    budget_cny: float | None = None,
    **kwargs: Any,
) -> IngestResult:
    """Run :func:`analyze_dataset` to the end over a folder, manifest, path list or dataset,
    write the rows to ``out`` (Parquet) and return the result with its progress.

    ``on_progress`` is called from this process about every ``progress_every_s`` seconds
    (rows done / cached / failed, tokens, CNY, ETA) and once at the end. Ray must be
    initialised (``ray.init()`` starts a local cluster; ``ray.init(address=...)`` joins one).
    """
    ds = source if hasattr(source, "map_batches") else media_dataset(source)
    total = ds.count()
    run = new_run(budget_cny, total)
    result_ds = analyze_dataset(ds, budget_cny=budget_cny, _run=run, **kwargs)
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(progress_every_s):
            if on_progress is not None:
                on_progress(Progress(**ray.get(run.snapshot.remote())))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        rows = result_ds.take_all()
    finally:
        stop.set()
        poller.join()
    progress = Progress(**ray.get(run.snapshot.remote()))
    if on_progress is not None:
        on_progress(progress)
    limiter = ray.get_actor(result_ds_limiter(kwargs), namespace=NAMESPACE)
    written = None
    if out is not None:
        written = Path(out)
        _write_parquet(rows, written)
    stats: dict[str, Any] = _get(limiter.stats.remote())
    return IngestResult(progress, stats, written, rows)


def result_ds_limiter(kwargs: dict[str, Any]) -> str:
    """The limiter name ``analyze_dataset`` uses for these arguments."""
    from qwen_omni.config import resolve_settings

    settings = resolve_settings(
        api_key=kwargs.get("api_key"),
        base_url=kwargs.get("base_url"),
        region=kwargs.get("region"),
        model=kwargs.get("model"),
    )
    key = settings.api_key.get_secret_value() if settings.api_key else None
    return limiter_name(settings.region, key, settings.model, settings.base_url)


def _get(ref: Any) -> Any:
    """``ray.get`` (its stubs type every result as a list)."""
    getter: Any = ray.get
    return getter(ref)


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
