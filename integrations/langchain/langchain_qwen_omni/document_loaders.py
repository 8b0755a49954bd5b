"""``QwenOmniMediaLoader``: videos, audio and images → ``Document``s for retrieval.

A thin adapter over the core pipeline ``qwen_omni.documents.MediaDocuments`` (shared with
LlamaIndex's ``QwenOmniMediaReader``): sources, split, prepare, analyse and timestamps happen
there; this module maps each ``MediaSegment`` to a LangChain ``Document`` and its metadata.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from qwen_omni.documents import DEFAULT_PROMPTS, MediaDocuments, MediaSegment
from qwen_omni.loops import PerLoop

if TYPE_CHECKING:
    from qwen_omni import AsyncOmniClient, OmniClient

__all__ = ["DEFAULT_PROMPT", "QwenOmniMediaLoader", "to_document"]

#: The default question about a video segment (audio and images have their own, from the core).
DEFAULT_PROMPT = DEFAULT_PROMPTS["video"]


def to_document(segment: MediaSegment) -> Document:
    """A core ``MediaSegment`` as a LangChain ``Document`` (this package's metadata keys)."""
    metadata: dict[str, Any] = {
        "source": segment.source,
        "kind": segment.kind,
        "segment": segment.index,
        "segments": segment.count,
    }
    if segment.start_s is not None:
        metadata["start_s"] = segment.start_s
        metadata["end_s"] = segment.end_s
    metadata["model"] = segment.model
    metadata["input_tokens"] = segment.input_tokens
    metadata["output_tokens"] = segment.output_tokens
    if segment.request_id:
        metadata["request_id"] = segment.request_id
    if segment.transcript is not None:
        metadata["transcript"] = segment.transcript
        metadata["transcript_model"] = segment.transcript_model
    return Document(page_content=segment.text, metadata=metadata, id=segment.doc_id)


class QwenOmniMediaLoader(BaseLoader):
    """Load videos, audio and images as ``Document``s: one per segment, described by Qwen-Omni.

    Video and audio are cut into segments (``segment_seconds``, 30 s by default, never over the
    model's limit) and each segment is described (and transcribed when ``transcript=True``);
    an image gives one document. The text is ready to embed; the metadata says where it comes
    from::

        {"source": "talk.mp4", "kind": "video", "segment": 0, "segments": 4,
         "start_s": 0.0, "end_s": 30.0, "model": "qwen3-omni-flash",
         "input_tokens": 5210, "output_tokens": 180, "request_id": "…"}

    (images have no ``start_s``/``end_s``; ``transcript`` holds the transcript when asked).
    ``Document.id`` is the source with its time range (``talk.mp4#t=0.000,30.000``).

    The pipeline is the core's ``qwen_omni.documents.MediaDocuments``, the same as LlamaIndex's
    ``QwenOmniMediaReader``: same segments, prompts and timestamps.

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
        prompt: what to ask about each segment (``{start}``/``{end}`` become its times);
            default: the core's prompt for the medium's kind.
        transcript: also transcribe speech (audio, and the sound of video segments).
        language: a language hint for transcripts (``"en"``, ``"zh"``…).
        segment_seconds: segment length (default 30 s, capped at the model's limit).
        max_concurrency: segments described at once.
        model, api_key, base_url, region, asr_model, delivery, timeout, max_retries:
            connection settings, as for ``ChatQwenOmni``.
    """

    def __init__(
        self,
        sources: str | Path | Sequence[str | Path],
        *,
        prompt: str | None = None,
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
        prompts = {kind: prompt for kind in DEFAULT_PROMPTS} if prompt is not None else None
        self.pipeline = MediaDocuments(
            model=model,
            segment_seconds=segment_seconds,
            prompts=prompts,
            transcript=transcript,
            language=language,
            asr_model=asr_model,
            max_concurrency=max_concurrency,
        )
        self._client_kwargs: dict[str, Any] = {
            "api_key": api_key,
            "model": model,
            "base_url": base_url,
            "region": region,
            "delivery": delivery,
            "timeout": timeout,
            "max_retries": max_retries,
        }

    @cached_property
    def _client(self) -> OmniClient:
        from qwen_omni import OmniClient

        return OmniClient(**self._client_kwargs)

    @cached_property
    def _async_clients(self) -> PerLoop[AsyncOmniClient]:
        from qwen_omni import AsyncOmniClient

        return PerLoop(lambda: AsyncOmniClient(**self._client_kwargs))

    # --- BaseLoader -------------------------------------------------------------------------

    def lazy_load(self) -> Iterator[Document]:
        """Documents one at a time, in source and segment order."""
        for source in self.sources:
            for segment in self.pipeline.segments(self._client, source):
                yield to_document(segment)

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Documents one at a time, natively async (segments of a source concurrently)."""
        client = self._async_clients.get()
        for source in self.sources:
            async for segment in self.pipeline.asegments(client, source):
                yield to_document(segment)
