"""``QwenOmniMediaReader``: video, audio and images → ``Document``s that Qwen-Omni wrote.

A thin adapter over the core pipeline ``qwen_omni.documents.MediaDocuments`` (shared with
LangChain's ``QwenOmniMediaLoader``): sources (paths, URLs, fsspec files), split, prepare,
analyse and timestamps happen there; this module maps each ``MediaSegment`` to a LlamaIndex
``Document`` (metadata keys, excluded keys, ``video_resource``/``audio_resource``/
``image_resource``), so an index built from them answers "when does X happen?" with a time
range.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Optional, Union

from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document, MediaResource

from qwen_omni import AsyncOmniClient, OmniClient
from qwen_omni.documents import (
    DEFAULT_PROMPTS,
    DEFAULT_SEGMENT_SECONDS,
    MediaDocuments,
    MediaSegment,
    clock,
    source_name,
)

__all__ = [
    "DEFAULT_AUDIO_PROMPT",
    "DEFAULT_IMAGE_PROMPT",
    "DEFAULT_SEGMENT_SECONDS",
    "DEFAULT_VIDEO_PROMPT",
    "MEDIA_EXTENSIONS",
    "QwenOmniMediaReader",
    "clock",
]

FileInput = Union[str, Path]

DEFAULT_VIDEO_PROMPT = DEFAULT_PROMPTS["video"]
DEFAULT_AUDIO_PROMPT = DEFAULT_PROMPTS["audio"]
DEFAULT_IMAGE_PROMPT = DEFAULT_PROMPTS["image"]

#: File extensions to register with ``SimpleDirectoryReader(file_extractor=...)``.
MEDIA_EXTENSIONS = (
    ".mp4", ".mov", ".mkv", ".webm", ".avi", ".flv", ".wmv", ".3gp",
    ".mp3", ".wav", ".m4a", ".aac", ".flac", ".ogg", ".amr",
    ".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif",
)  # fmt: skip

#: Metadata the embedding should not see (noise for similarity) and the LLM need not see.
_NO_EMBED = (
    "file_path",
    "segment_index",
    "segment_count",
    "start_time",
    "end_time",
    "duration",
    "model",
    "modality",
    "request_id",
    "transcript",
    "transcript_model",
    "media_sha256",
)
_NO_LLM = (
    "file_path",
    "segment_count",
    "duration",
    "model",
    "request_id",
    "transcript_model",
    "media_sha256",
)


def to_document(segment: MediaSegment, extra_info: Optional[dict[str, Any]] = None) -> Document:
    """A core ``MediaSegment`` as a LlamaIndex ``Document`` (this framework's conventions)."""
    metadata: dict[str, Any] = {
        **(extra_info or {}),
        "file_path": segment.source,
        "file_name": source_name(segment.source),
        "modality": segment.kind,
        "segment_index": segment.index,
        "segment_count": segment.count,
        "model": segment.model,
    }
    if segment.start_s is not None and segment.end_s is not None:
        metadata.update(
            start_time=segment.start_s,
            end_time=segment.end_s,
            duration=round(segment.end_s - segment.start_s, 3),
            time_range=segment.time_range,
        )
    if segment.request_id:
        metadata["request_id"] = segment.request_id
    if segment.media_sha256:
        # In the metadata, so the Document's hash changes with the media bytes (LlamaIndex
        # hashes a path-only MediaResource by its path string).
        metadata["media_sha256"] = segment.media_sha256
    if segment.transcript is not None:
        metadata["transcript_model"] = segment.transcript_model
    if segment.segment_path is not None:
        resource_path: Optional[Path] = segment.segment_path
        mime = mimetypes.guess_type(segment.segment_path.name)[0] or segment.mime_type
    else:
        # The source file; a URL or remote-filesystem source was a temporary copy: no path.
        resource_path, mime = segment.source_path, segment.mime_type
    doc = Document(
        text=segment.text,
        metadata=metadata,
        id_=segment.doc_id,
        excluded_embed_metadata_keys=[k for k in _NO_EMBED if k in metadata],
        excluded_llm_metadata_keys=[k for k in _NO_LLM if k in metadata],
    )
    setattr(doc, f"{segment.kind}_resource", MediaResource(path=resource_path, mimetype=mime))
    return doc


class QwenOmniMediaReader(BaseReader):
    """Video, audio and images → one ``Document`` per time segment, written by Qwen-Omni.

    Sources are local paths, ``http(s)`` URLs (downloaded, kept verbatim in ``file_path``) or
    files of an fsspec filesystem (``fs=``). Video: each segment is described (what is shown,
    what happens, what is said). Audio: each segment is transcribed. Images: one description.
    Every ``Document`` carries
    ``file_path``, ``file_name``, ``modality``, ``segment_index``/``segment_count``,
    ``start_time``/``end_time`` (seconds), ``time_range`` (``"0:30–1:00"``) and ``model`` in
    its metadata, and its media in ``video_resource``, ``audio_resource`` or ``image_resource``.

    Examples:
        ```python
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.readers.qwen_omni import QwenOmniMediaReader

        reader = QwenOmniMediaReader(segment_seconds=30)
        docs = reader.load_data("talk.mp4")
        docs[1].metadata["time_range"]            # '0:30–1:00'

        # As the extractor for media files of a folder:
        docs = SimpleDirectoryReader(
            "media/", file_extractor=reader.file_extractor()
        ).load_data()
        index = VectorStoreIndex.from_documents(docs)
        ```

    Args:
        model: the Qwen-Omni model (default: the client's, ``qwen3-omni-flash``). The segment
            length is capped at its duration limit.
        segment_seconds: target segment length (default 30 s, the core's
            ``qwen_omni.documents.DEFAULT_SEGMENT_SECONDS``, shared with LangChain's loader);
            cuts fall on keyframes, so a segment may be a little shorter.
        video_prompt, audio_prompt, image_prompt: the instruction per segment; ``{start}`` and
            ``{end}`` are replaced by the segment's times.
        segments_dir: keep the segment files here and point each document's media resource
            at its own segment. By default segments are temporary and the resource is the
            source file (the time range is in the metadata).
        max_concurrency: segments described at once by ``aload_data``.
        transcript: also transcribe the speech of video segments (``metadata`` then has
            ``transcript_model`` and the text ends with the transcript); ``language`` is a hint.
        client, async_client: ready core clients; otherwise they are made from
            ``client_kwargs`` (``api_key``, ``base_url``, ``region``, ``delivery``…).
    """

    def __init__(
        self,
        *,
        model: Optional[str] = None,
        segment_seconds: float = DEFAULT_SEGMENT_SECONDS,
        video_prompt: str = DEFAULT_VIDEO_PROMPT,
        audio_prompt: str = DEFAULT_AUDIO_PROMPT,
        image_prompt: str = DEFAULT_IMAGE_PROMPT,
        segments_dir: Optional[Union[str, Path]] = None,
        max_concurrency: int = 4,
        transcript: bool = False,
        language: Optional[str] = None,
        client: Optional[OmniClient] = None,
        async_client: Optional[AsyncOmniClient] = None,
        **client_kwargs: Any,
    ) -> None:
        if (client is not None or async_client is not None) and client_kwargs:
            raise TypeError("pass either client=/async_client= or client arguments, not both")
        self.pipeline = MediaDocuments(
            model=model,
            segment_seconds=segment_seconds,
            prompts={"video": video_prompt, "audio": audio_prompt, "image": image_prompt},
            transcript=transcript,
            language=language,
            segments_dir=segments_dir,
            max_concurrency=max_concurrency,
        )
        self.model = model
        self._client = client
        self._async_client = async_client
        self._client_kwargs = client_kwargs

    def file_extractor(self, extensions: Sequence[str] = MEDIA_EXTENSIONS) -> dict[str, Any]:
        """``{".mp4": self, ".wav": self, …}`` for ``SimpleDirectoryReader(file_extractor=…)``."""
        return {ext.lower(): self for ext in extensions}

    @property
    def client(self) -> OmniClient:
        """The synchronous core client (created on first use)."""
        if self._client is None:
            self._client = OmniClient(**self._client_kwargs)
        return self._client

    # --- sync ---------------------------------------------------------------------------------

    def lazy_load_data(
        self,
        file: Union[FileInput, Sequence[FileInput]],
        extra_info: Optional[dict[str, Any]] = None,
        fs: Any = None,
    ) -> Iterator[Document]:
        """Documents of one file (or several), one segment at a time."""
        for one in _files(file):
            yield from self._lazy_one(one, extra_info, fs)

    def _lazy_one(
        self, file: FileInput, extra_info: Optional[dict[str, Any]], fs: Any
    ) -> Iterator[Document]:
        for segment in self.pipeline.segments(self.client, str(file), fs=fs):
            yield to_document(segment, extra_info)

    def load_data(
        self,
        file: Union[FileInput, Sequence[FileInput]],
        extra_info: Optional[dict[str, Any]] = None,
        fs: Any = None,
    ) -> list[Document]:
        """All documents of one file (or several)."""
        return list(self.lazy_load_data(file, extra_info=extra_info, fs=fs))

    # --- async --------------------------------------------------------------------------------

    async def aload_data(
        self,
        file: Union[FileInput, Sequence[FileInput]],
        extra_info: Optional[dict[str, Any]] = None,
        fs: Any = None,
    ) -> list[Document]:
        """All documents, segments described concurrently (``max_concurrency`` at once)."""
        return [doc async for doc in self.alazy_load_data(file, extra_info=extra_info, fs=fs)]

    async def alazy_load_data(  # type: ignore[override]
        self,
        file: Union[FileInput, Sequence[FileInput]],
        extra_info: Optional[dict[str, Any]] = None,
        fs: Any = None,
    ) -> AsyncIterator[Document]:
        """Documents in order; each file's segments are described concurrently."""
        owned = self._async_client is None
        client = self._async_client or AsyncOmniClient(**self._client_kwargs)
        try:
            for one in _files(file):
                for doc in await self._aload_one(client, one, extra_info, fs):
                    yield doc
        finally:
            if owned:
                await client.close()

    async def _aload_one(
        self,
        client: AsyncOmniClient,
        file: FileInput,
        extra_info: Optional[dict[str, Any]],
        fs: Any,
    ) -> list[Document]:
        return [
            to_document(segment, extra_info)
            async for segment in self.pipeline.asegments(client, str(file), fs=fs)
        ]


# --- helpers ------------------------------------------------------------------------------------


def _files(file: Union[FileInput, Sequence[FileInput]]) -> Iterable[FileInput]:
    if isinstance(file, (str, Path)):
        return [file]
    return list(file)
