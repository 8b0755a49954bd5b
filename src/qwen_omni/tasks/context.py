"""What a task receives: :class:`TaskContext` (the client, the shared settings, the access policy
of this call and where its progress goes). Tasks never reach back into
:class:`~qwen_omni.tasks.AsyncOmniTasks`; it builds one context per call.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from qwen_omni.catalog import ModelSpec, get_model
from qwen_omni.tasks.policy import AccessPolicy
from qwen_omni.tasks.progress import Progress, ProgressCallback, emit
from qwen_omni.tasks.sources import ResolvedMedia

if TYPE_CHECKING:
    from qwen_omni.client import AsyncOmniClient

__all__ = [
    "DEFAULT_SEGMENT_SECONDS",
    "DEFAULT_SUMMARY_MODEL",
    "TaskContext",
    "TaskSettings",
    "Transcriber",
]

#: The field guide's "summarize the summaries with qwen-plus".
DEFAULT_SUMMARY_MODEL = "qwen-plus"
#: The field guide's chunk length for long video.
DEFAULT_SEGMENT_SECONDS = 90.0


@dataclass(frozen=True)
class TaskSettings:
    """Settings every tool shares (see :class:`~qwen_omni.tasks.AsyncOmniTasks` for each)."""

    model: str | None = None
    summary_model: str = DEFAULT_SUMMARY_MODEL
    max_concurrency: int = 8
    segment_seconds: float = DEFAULT_SEGMENT_SECONDS
    json_mode: bool = True
    price_region: str | None = None
    workdir: str | None = None
    prepare: bool = True

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {self.max_concurrency}")
        if self.segment_seconds <= 0:
            raise ValueError(f"segment_seconds must be positive, got {self.segment_seconds}")


@runtime_checkable
class Transcriber(Protocol):
    """Something that turns a resolved medium into a transcript.

    ``transcribe`` must return a :class:`~qwen_omni.tasks.TranscriptResult` (typed ``Any``
    here because that model belongs to the ``transcribe`` tool, which depends on this module;
    the tool checks it).
    """

    model: str | None

    async def transcribe(
        self, tasks: TaskContext, media: ResolvedMedia, *, language: str | None
    ) -> Any:
        """Transcribe ``media``."""
        ...


@dataclass(frozen=True)
class TaskContext:
    """One tool call's world.

    Attributes:
        client: the shared client.
        settings: the shared :class:`TaskSettings`.
        transcriber: who transcribes (``transcribe``).
        policy: the access policy of an agent call; None for the user's own calls (they read
            what the user names).
        progress: where progress events go (None: nowhere).
        json_unsupported: models that refused JSON mode (shared by every call of one toolkit).
    """

    client: AsyncOmniClient
    settings: TaskSettings
    transcriber: Transcriber
    policy: AccessPolicy | None = None
    progress: ProgressCallback | None = None
    json_unsupported: set[str] = field(default_factory=set)

    def for_call(
        self, *, policy: AccessPolicy | None, progress: ProgressCallback | None
    ) -> TaskContext:
        """The same context for one call with ``policy`` and ``progress``."""
        return replace(self, policy=policy, progress=progress)

    @property
    def model(self) -> str:
        """The Omni model the tools use."""
        return self.settings.model or self.client.model

    def spec(self, model: str | None = None) -> ModelSpec:
        """Catalog facts of ``model`` (default: :attr:`model`)."""
        return get_model(model or self.model)

    @property
    def price_region(self) -> str | None:
        """Region whose list prices compute costs."""
        return self.settings.price_region or self.client.settings.region

    @property
    def workdir(self) -> str | None:
        """Where temporary files go (None: the system temp dir)."""
        return self.settings.workdir

    def segment_length(self, requested: float | None, spec: ModelSpec) -> float:
        """Segment length: requested or default, never over the model's video limit."""
        seconds = requested or self.settings.segment_seconds
        if spec.video_max_seconds is not None:
            seconds = min(seconds, spec.video_max_seconds)
        return seconds

    def scratch(self) -> tempfile.TemporaryDirectory[str]:
        """A temporary directory for one tool call (prepared files, downloads, segments)."""
        return tempfile.TemporaryDirectory(prefix="qwen-omni-task-", dir=self.settings.workdir)

    async def report(
        self, stage: str, done: int, total: int | None, message: str = ""
    ) -> None:
        """Send a progress event (if anyone listens)."""
        await emit(self.progress, Progress(stage, done, total, message))
