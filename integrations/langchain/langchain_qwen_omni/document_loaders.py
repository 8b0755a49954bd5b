"""``QwenOmniMediaLoader``: videos, audio and images → ``Document``s for retrieval."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from langchain_qwen_omni._runtime import TaskRuntime

if TYPE_CHECKING:
    from qwen_omni.response import OmniResponse
    from qwen_omni.tasks import AsyncOmniTasks
    from qwen_omni.tasks.sources import ResolvedMedia
    from qwen_omni.tasks.toolkit import Piece

__all__ = ["DEFAULT_PROMPT", "QwenOmniMediaLoader"]

DEFAULT_PROMPT = (
    "Describe this media for a search index: what is shown and heard, who appears, what is "
    "said (in brief), any text on screen, and notable events in order. Plain prose, no preamble."
)

_END = object()


class QwenOmniMediaLoader(BaseLoader):
    """Load videos, audio and images as ``Document``s: one per segment, described by Qwen-Omni.

    Video and audio are cut into segments (``segment_seconds``, 90 s by default, never over the
    model's limit) and each segment is described (and transcribed when ``transcript=True``);
    an image gives one document. The text is ready to embed; the metadata says where it comes
    from::

        {"source": "talk.mp4", "kind": "video", "segment": 0, "segments": 4,
         "start_s": 0.0, "end_s": 90.0, "model": "qwen3-omni-flash",
         "input_tokens": 5210, "output_tokens": 180, "request_id": "…"}

    (images have no ``start_s``/``end_s``; ``transcript`` holds the transcript when asked).

    Setup:
        ``pip install langchain-qwen-omni`` and set ``DASHSCOPE_API_KEY``.

    Instantiate and load:
        .. code-block:: python

            from langchain_qwen_omni import QwenOmniMediaLoader

            loader = QwenOmniMediaLoader(["talk.mp4", "https://example.com/call.mp3"],
                                         transcript=True)
            for doc in loader.lazy_load():
                print(doc.metadata["start_s"], doc.page_content[:80])
            docs = await loader.aload()     # async end to end

    The sources are the caller's own: local paths and URLs are read as given (no agent access
    policy applies here).

    Args:
        sources: a path or URL, or a list of them.
        prompt: what to ask about each segment.
        transcript: also transcribe speech (audio, and the sound of video segments).
        language: a language hint for transcripts (``"en"``, ``"zh"``…).
        segment_seconds: video segment length (default 90 s, capped at the model's limit).
        max_concurrency: segments described at once.
        model, api_key, base_url, region, asr_model, delivery, timeout, max_retries:
            connection settings, as for ``ChatQwenOmni``.
    """

    def __init__(
        self,
        sources: str | Path | Sequence[str | Path],
        *,
        prompt: str = DEFAULT_PROMPT,
        transcript: bool = False,
        language: str | None = None,
        segment_seconds: float | None = None,
        max_concurrency: int = 4,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        region: str | None = None,
        asr_model: str | None = None,
        delivery: Any = None,
        timeout: float | None = None,
        max_retries: int = 2,
    ) -> None:
        if isinstance(sources, (str, Path)):
            sources = [sources]
        self.sources = [str(s) for s in sources]
        if not self.sources:
            raise ValueError("QwenOmniMediaLoader needs at least one source")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        self.prompt = prompt
        self.transcript = transcript
        self.language = language
        self.segment_seconds = segment_seconds
        self.max_concurrency = max_concurrency
        self._runtime = TaskRuntime(
            model=model,
            api_key=api_key,
            base_url=base_url,
            region=region,
            asr_model=asr_model,
            delivery=delivery,
            timeout=timeout,
            max_retries=max_retries,
        )

    # --- BaseLoader -------------------------------------------------------------------------

    def lazy_load(self) -> Iterator[Document]:
        """Documents one at a time, in source and segment order."""
        stream = self._stream()
        try:
            while True:
                doc = self._runtime.run(lambda _tasks: _next(stream))
                if doc is _END:
                    return
                yield doc
        finally:
            self._runtime.run(lambda _tasks: stream.aclose())

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Documents one at a time, natively async."""
        async for doc in self._stream():
            yield doc

    # --- the work ------------------------------------------------------------------------------

    async def _stream(self) -> AsyncGenerator[Document, None]:
        tasks = self._runtime.async_tasks()
        for source in self.sources:
            async for doc in self._source_documents(tasks, source):
                yield doc

    async def _source_documents(
        self, tasks: AsyncOmniTasks, source: str
    ) -> AsyncIterator[Document]:
        from qwen_omni.tasks.sources import resolve_media

        spec = tasks.spec()
        media = await resolve_media(
            source, expect=("video", "audio", "image"), policy=None, spec=spec
        )
        with tempfile.TemporaryDirectory(prefix="lc-qwen-omni-", dir=tasks.workdir) as tmp:
            workdir = Path(tmp)
            pieces = await self._pieces(tasks, media, workdir)
            limit = asyncio.Semaphore(self.max_concurrency)

            async def one(index: int) -> Document:
                async with limit:
                    folder = workdir / f"segment-{index}"
                    folder.mkdir()
                    return await self._describe(tasks, source, pieces, index, folder)

            # Start every segment now (bounded), hand them out in order.
            jobs = [asyncio.ensure_future(one(i)) for i in range(len(pieces))]
            try:
                for job in jobs:
                    yield await job
            finally:
                for job in jobs:
                    job.cancel()
                await asyncio.gather(*jobs, return_exceptions=True)

    async def _pieces(
        self, tasks: AsyncOmniTasks, media: ResolvedMedia, workdir: Path
    ) -> list[Piece]:
        """The segments of a medium: video and audio cut to ``segment_seconds``; an image whole."""
        from qwen_omni.tasks.toolkit import Piece

        if media.kind == "image":
            return [Piece(media, 0.0, 0.0)]
        spec = tasks.spec()
        local = await tasks.localize(media, workdir, policy=None)
        seconds = tasks.segment_length(self.segment_seconds, spec)
        if media.kind == "video":
            return await tasks.split(local, seconds, spec, workdir)
        # Audio: the same cut as video (the tasks' split() wraps its pieces as video).
        from qwen_omni.content import audio
        from qwen_omni.media import split_media
        from qwen_omni.tasks.sources import ResolvedMedia

        assert local.path is not None
        segments = await asyncio.to_thread(
            split_media, local.path, workdir / "segments", segment_s=seconds, model=spec
        )
        if len(segments) == 1:
            return [Piece(local, segments[0].start_s, segments[0].end_s)]
        return [
            Piece(
                ResolvedMedia(
                    part=audio(seg.path),
                    kind="audio",
                    sent=local.sent.model_copy(
                        update={"duration_s": round(seg.duration_s, 3), "prepared": True}
                    ),
                    path=seg.path,
                ),
                seg.start_s,
                seg.end_s,
            )
            for seg in segments
        ]

    async def _describe(
        self,
        tasks: AsyncOmniTasks,
        source: str,
        pieces: list[Piece],
        index: int,
        workdir: Path,
    ) -> Document:
        from qwen_omni.tasks.sources import check_duration

        piece = pieces[index]
        spec = tasks.spec()
        media = piece.media
        check_duration(media.sent.source, media.kind, media.duration_s, spec, hint=_LONG_HINT)
        prepared = await tasks.prepare(media, spec, workdir)
        response = await tasks.ask([prepared.part], self.prompt)
        description = response.text.strip()
        metadata: dict[str, Any] = {
            "source": source,
            "kind": media.kind,
            "segment": index,
            "segments": len(pieces),
        }
        if media.kind != "image":
            metadata["start_s"] = round(piece.start_s, 3)
            metadata["end_s"] = round(piece.end_s, 3)
        metadata["model"] = response.model or spec.name
        _add_usage(metadata, response)
        content = description
        if self.transcript and media.kind in ("audio", "video"):
            speech = await tasks.prepare(media, spec, workdir, audio_only=True)
            result = await tasks.transcriber.transcribe(
                tasks.context(), speech, language=self.language
            )
            metadata["transcript"] = result.text
            metadata["transcript_model"] = result.model
            content = f"{description}\n\nTranscript:\n{result.text}"
            if result.sent is not None and result.sent.usage is not None:
                metadata["input_tokens"] += result.sent.usage.input_tokens
                metadata["output_tokens"] += result.sent.usage.output_tokens
        return Document(page_content=content, metadata=metadata)


_LONG_HINT = "split it first (video is split automatically), or use a model with a higher limit"


def _add_usage(metadata: dict[str, Any], response: OmniResponse) -> None:
    usage = response.usage
    metadata["input_tokens"] = usage.input_tokens if usage else 0
    metadata["output_tokens"] = usage.output_tokens if usage else 0
    if response.request_id:
        metadata["request_id"] = response.request_id


async def _next(stream: AsyncIterator[Document]) -> Any:
    try:
        return await stream.__anext__()
    except StopAsyncIteration:
        return _END
