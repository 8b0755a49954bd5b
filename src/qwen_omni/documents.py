"""Media → timestamped documents for retrieval: the one pipeline behind the LangChain loader
(``QwenOmniMediaLoader``) and the LlamaIndex reader (``QwenOmniMediaReader``).

Per source (a local path, an ``http(s)`` URL, or a file on an fsspec filesystem):

1. **source**: URLs are downloaded (streamed to a temporary file; the caller's own sources,
   so private hosts are allowed), remote-filesystem files copied, local paths used as given;
   the source string itself is kept verbatim (``https://example.com/talk.mp4`` stays a URL);
2. **split**: video and audio are cut into segments of ``segment_seconds`` (default
   :data:`DEFAULT_SEGMENT_SECONDS`, never over the model's duration limit) by
   :func:`qwen_omni.media.split_media`; an image is one piece;
3. **prepare + analyse**: each piece is sent with its prompt (``{start}``/``{end}`` filled in);
   the client prepares and delivers the media (``prepare="auto"``);
4. **transcript** (optional): the piece's speech, by the same model or ``asr_model``;
5. a :class:`MediaSegment` per piece, in order, with its time range, usage and request id.

The adapters only map a :class:`MediaSegment` to their framework's ``Document`` and metadata
conventions. :attr:`MediaSegment.doc_id` is the one place a document id is made.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from qwen_omni.content import Part, Text, audio, image, video

if TYPE_CHECKING:
    from qwen_omni.client import AsyncOmniClient, OmniClient
    from qwen_omni.response import OmniResponse

__all__ = [
    "DEFAULT_PROMPTS",
    "DEFAULT_SEGMENT_SECONDS",
    "TRANSCRIPT_PROMPT",
    "MediaDocuments",
    "MediaSegment",
    "SourcePlan",
    "clock",
    "source_name",
]

Kind = Literal["image", "audio", "video"]

#: Segment length when none is given, for both frameworks: short enough that a retrieved
#: document answers "when does X happen?" precisely (30 s is about 75 words of speech, a good
#: embedding chunk), long enough to keep the request count down. Capped at the model's limit.
DEFAULT_SEGMENT_SECONDS = 30.0

DEFAULT_PROMPTS: Mapping[str, str] = {
    "video": (
        "This is the part of a video from {start} to {end}. Describe what it shows and what "
        "happens, then what is said or heard (quote speech). Be specific and factual: objects, "
        "people, colours, on-screen text, actions. No preamble."
    ),
    "audio": (
        "This is the part of a recording from {start} to {end}. Transcribe the speech "
        "verbatim; if there is none, describe the sounds. No preamble."
    ),
    "image": (
        "Describe this image in detail: objects, people, colours, on-screen text, setting. "
        "No preamble."
    ),
}

#: The transcript request (``transcript=True``); ``{language}`` is a hint or empty.
TRANSCRIPT_PROMPT = "Transcribe the speech verbatim{language}. Output only the transcript."


def clock(seconds: float) -> str:
    """``83.5`` → ``1:23.5``; whole seconds without a decimal (``1:23``); hours when needed."""
    tenths = round(max(0.0, seconds) * 10)
    minutes, tenths_left = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    secs = f"{tenths_left // 10:02d}" + (f".{tenths_left % 10}" if tenths_left % 10 else "")
    return f"{hours}:{minutes:02d}:{secs}" if hours else f"{minutes}:{secs}"


def _is_http(source: str) -> bool:
    return source[:8].lower().startswith(("http://", "https://"))


def source_name(source: str) -> str:
    """The file name of a path or URL (``https://example.com/a/talk.mp4?x=1`` → ``talk.mp4``)."""
    if _is_http(source):
        return PurePosixPath(unquote(urlsplit(source).path)).name or urlsplit(source).netloc
    return Path(source).name


@dataclass(frozen=True)
class Piece:
    """One segment of a source: the file to send and its range (None for an image)."""

    index: int
    path: Path
    start_s: float
    end_s: float | None


@dataclass(frozen=True)
class SourcePlan:
    """A source, localized, probed and split."""

    source: str
    kind: Kind
    local: Path
    mime_type: str
    pieces: list[Piece]
    #: ``local`` is a temporary copy (a URL or a remote filesystem): no path to point at
    temporary: bool


@dataclass(frozen=True)
class MediaSegment:
    """One described piece of a source: what a framework turns into one ``Document``."""

    source: str
    kind: Kind
    index: int
    count: int
    start_s: float | None
    end_s: float | None
    description: str
    model: str
    mime_type: str
    input_tokens: int = 0
    output_tokens: int = 0
    request_id: str | None = None
    transcript: str | None = None
    transcript_model: str | None = None
    #: the segment's own file when it was kept (``segments_dir``); else None
    segment_path: Path | None = None
    #: the source's local file when it is the caller's own path (not a temporary copy)
    source_path: Path | None = None
    #: SHA-256 of the source's bytes (the analysis cache's and OSS uploads' digest), when read
    media_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The text to embed: the description, then the transcript when there is one."""
        if self.transcript:
            return f"{self.description}\n\nTranscript:\n{self.transcript}"
        return self.description

    @property
    def time_range(self) -> str | None:
        """``"0:30–1:00"``, or None for an image."""
        if self.start_s is None or self.end_s is None:
            return None
        return f"{clock(self.start_s)}–{clock(self.end_s)}"

    @property
    def doc_id(self) -> str:
        """A stable id: the source, with a media fragment (``#t=30.000,60.000``) for a segment
        and the first 16 hex digits of the media digest (``sha256=…``) when known, so a changed
        file under the same name gets new ids and an unchanged one keeps its ids (docstore
        upserts then skip it).

        The one place document ids are made.
        """
        fragments = []
        if self.start_s is not None and self.end_s is not None:
            fragments.append(f"t={self.start_s:.3f},{self.end_s:.3f}")
        if self.media_sha256:
            fragments.append(f"sha256={self.media_sha256[:16]}")
        return f"{self.source}#{'&'.join(fragments)}" if fragments else self.source


def _caller_policy() -> Any:
    """The download policy for the caller's own sources: any host (also private), no sniffing.

    Agent-named URLs go through the tasks' access policy instead; these are the caller's."""
    from qwen_omni.tasks.policy import AccessPolicy

    return AccessPolicy(
        allow_private_hosts=("0.0.0.0/0", "::/0"), resolve_hosts=False, check_content=False
    )


def _is_local_fs(fs: Any) -> bool:
    protocol = getattr(fs, "protocol", "file")
    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
    return "file" in protocols or "local" in protocols


class MediaDocuments:
    """The media → documents pipeline (see the module docstring).

    Args:
        model: the Omni model (default: the client's). Segments never exceed its limit.
        segment_seconds: target segment length (cuts fall on keyframes: a little shorter).
        prompts: per kind (``video``/``audio``/``image``), with ``{start}``/``{end}``.
        transcript: also transcribe the speech of audio and video segments.
        language: a language hint for transcripts (``"en"``, ``"zh"``…).
        asr_model: a model for transcripts (e.g. ``qwen3-asr-flash``); default the Omni model.
        segments_dir: keep segment files here (else they are temporary).
        max_concurrency: segments described at once by the async path.
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        segment_seconds: float | None = None,
        prompts: Mapping[str, str] | None = None,
        transcript: bool = False,
        language: str | None = None,
        asr_model: str | None = None,
        segments_dir: str | Path | None = None,
        max_concurrency: int = 4,
    ) -> None:
        seconds = DEFAULT_SEGMENT_SECONDS if segment_seconds is None else segment_seconds
        if seconds <= 0:
            raise ValueError(f"segment_seconds must be positive, got {segment_seconds}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        self.model = model
        self.segment_seconds = float(seconds)
        self.prompts: dict[str, str] = {**DEFAULT_PROMPTS, **(prompts or {})}
        self.transcript = transcript
        self.language = language
        self.asr_model = asr_model
        self.segments_dir = Path(segments_dir) if segments_dir is not None else None
        self.max_concurrency = max_concurrency

    # --- planning ---------------------------------------------------------------------------

    def _local(self, source: str, workdir: Path, fs: Any) -> tuple[Path, bool] | None:
        """The local file of ``source`` and whether it is a temporary copy; None for a URL."""
        if fs is not None and not _is_local_fs(fs):
            return self._copy_from_fs(source, workdir, fs), True
        if _is_http(source):
            return None
        return Path(source).expanduser(), False

    @staticmethod
    async def _adownload(source: str, workdir: Path) -> tuple[Path, bool]:
        from qwen_omni.tasks.fetch import download

        target = workdir / f"source{PurePosixPath(urlsplit(source).path).suffix}"
        await download(source, target, _caller_policy())
        return target, True

    @staticmethod
    def _copy_from_fs(source: str, workdir: Path, fs: Any) -> Path:
        import shutil

        target = workdir / f"source{Path(source).suffix}"
        with fs.open(source, "rb") as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)
        return target

    def _split(
        self, source: str, local: Path, temporary: bool, workdir: Path, model: str
    ) -> SourcePlan:
        from qwen_omni.media import probe
        from qwen_omni.media.split import split_media

        info = probe(local)
        if info.kind == "image":
            return SourcePlan(
                source, "image", local, info.mime_type, [Piece(0, local, 0.0, None)], temporary
            )
        dest = workdir / "segments"
        if self.segments_dir is not None:
            import hashlib

            digest = hashlib.sha256(source.encode()).hexdigest()[:10]
            dest = self.segments_dir / f"{Path(source_name(source)).stem}-{digest}"
        segments = split_media(local, dest, segment_s=self.segment_seconds, model=model)
        pieces = [Piece(s.index, s.path, s.start_s, s.end_s) for s in segments]
        return SourcePlan(source, info.kind, local, info.mime_type, pieces, temporary)

    async def aplan(self, source: str, workdir: Path, *, model: str, fs: Any = None) -> SourcePlan:
        """Localize, probe and split ``source`` (files under ``workdir``)."""
        found = await asyncio.to_thread(self._local, source, workdir, fs)
        local, temporary = found or await self._adownload(source, workdir)
        return await asyncio.to_thread(self._split, source, local, temporary, workdir, model)

    def plan(self, source: str, workdir: Path, *, model: str, fs: Any = None) -> SourcePlan:
        """Sync :meth:`aplan` (a URL is downloaded on the core's private loop thread)."""
        found = self._local(source, workdir, fs)
        if found is None:
            from qwen_omni.loops import run_blocking

            found = run_blocking(self._adownload(source, workdir))
        local, temporary = found
        return self._split(source, local, temporary, workdir, model)

    # --- requests and results ---------------------------------------------------------------

    def request(self, plan: SourcePlan, piece: Piece) -> list[Part]:
        """The parts sent for ``piece``: the medium, then its prompt with the times."""
        part: Part
        if plan.kind == "video":
            part = video(piece.path)
        elif plan.kind == "audio":
            part = audio(piece.path)
        else:
            part = image(piece.path)
        end = piece.end_s if piece.end_s is not None else 0.0
        # Plain replacement, not str.format: a caller's prompt may hold braces (JSON examples).
        prompt = (
            self.prompts[plan.kind]
            .replace("{start}", clock(piece.start_s))
            .replace("{end}", clock(end))
        )
        return [part, Text(text=prompt)]

    def _wants_transcript(self, plan: SourcePlan) -> bool:
        return self.transcript and plan.kind in ("audio", "video")

    def transcript_request(self, plan: SourcePlan, piece: Piece, workdir: Path) -> list[Part]:
        """The parts of the transcript request: the speech (the audio track for a separate
        ASR model), then the instruction."""
        hint = f" (language: {self.language})" if self.language else ""
        prompt = Text(text=TRANSCRIPT_PROMPT.format(language=hint))
        if plan.kind == "video" and self.asr_model:
            from qwen_omni.media import extract_audio

            track = extract_audio(piece.path, workdir / f"speech-{piece.index}")
            speech = track.path if track.path is not None else track.data
            assert speech is not None  # extract_audio writes a file
            return [audio(speech), prompt]
        return [video(piece.path) if plan.kind == "video" else audio(piece.path), prompt]

    def segment(
        self,
        plan: SourcePlan,
        piece: Piece,
        response: OmniResponse,
        model: str,
        speech: OmniResponse | None = None,
    ) -> MediaSegment:
        """The :class:`MediaSegment` of ``piece`` from its answer (and transcript answer)."""
        from qwen_omni.cache.digest import file_digest

        usage = [r.usage for r in (response, speech) if r is not None and r.usage is not None]
        kept = self.segments_dir is not None and piece.path != plan.local
        return MediaSegment(
            source=plan.source,
            kind=plan.kind,
            index=piece.index,
            count=len(plan.pieces),
            start_s=None if piece.end_s is None else round(piece.start_s, 3),
            end_s=None if piece.end_s is None else round(piece.end_s, 3),
            description=response.text.strip(),
            model=response.model or model,
            mime_type=plan.mime_type,
            input_tokens=sum(u.input_tokens for u in usage),
            output_tokens=sum(u.output_tokens for u in usage),
            request_id=response.request_id,
            transcript=speech.text.strip() if speech is not None else None,
            transcript_model=(speech.model or self.asr_model or model) if speech else None,
            segment_path=piece.path if kept else None,
            source_path=None if plan.temporary else plan.local,
            media_sha256=file_digest(plan.local),  # fast path: hashed once per file version
        )

    # --- drivers ----------------------------------------------------------------------------

    @contextmanager
    def _workdir(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="qwen-omni-documents-") as tmp:
            yield Path(tmp)

    def segments(
        self, client: OmniClient, source: str | Path, *, fs: Any = None
    ) -> Iterator[MediaSegment]:
        """The segments of ``source``, one request at a time (sync)."""
        model = self.model or client.model
        with self._workdir() as workdir:
            plan = self.plan(str(source), workdir, model=model, fs=fs)
            for piece in plan.pieces:
                response = client.complete(self.request(plan, piece), model=model)
                speech = None
                if self._wants_transcript(plan):
                    speech = client.complete(
                        self.transcript_request(plan, piece, workdir),
                        model=self.asr_model or model,
                    )
                yield self.segment(plan, piece, response, model, speech)

    async def asegments(
        self, client: AsyncOmniClient, source: str | Path, *, fs: Any = None
    ) -> AsyncIterator[MediaSegment]:
        """The segments of ``source`` in order, ``max_concurrency`` described at once."""
        model = self.model or client.model
        with self._workdir() as workdir:
            plan = await self.aplan(str(source), workdir, model=model, fs=fs)
            limit = asyncio.Semaphore(self.max_concurrency)

            async def one(piece: Piece) -> MediaSegment:
                async with limit:
                    response = await client.complete(self.request(plan, piece), model=model)
                    speech = None
                    if self._wants_transcript(plan):
                        parts = await asyncio.to_thread(
                            self.transcript_request, plan, piece, workdir
                        )
                        speech = await client.complete(parts, model=self.asr_model or model)
                return self.segment(plan, piece, response, model, speech)

            # Start every segment now (bounded), hand them out in order.
            jobs = [asyncio.ensure_future(one(p)) for p in plan.pieces]
            try:
                for job in jobs:
                    yield await job
            finally:
                for job in jobs:
                    job.cancel()
                await asyncio.gather(*jobs, return_exceptions=True)
