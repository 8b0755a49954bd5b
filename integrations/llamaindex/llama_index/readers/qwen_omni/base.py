"""``QwenOmniMediaReader``: video, audio and images → ``Document``s that Qwen-Omni wrote.

A video or audio file is cut into time segments (``qwen_omni.media.split``: stream copy at
keyframes, seconds per hour of video); Qwen-Omni then watches and listens to each segment and
writes what it shows and says. Each segment becomes one ``Document`` whose metadata carries the
source and the time range, and whose ``video_resource``/``audio_resource`` points at the media,
so an index built from them answers "when does X happen?" with a time range.
"""

from __future__ import annotations

import asyncio
import mimetypes
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional, Union

from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document, MediaResource

from qwen_omni import AsyncOmniClient, OmniClient
from qwen_omni.content import Part, Text, audio, image, video

__all__ = [
    "DEFAULT_AUDIO_PROMPT",
    "DEFAULT_IMAGE_PROMPT",
    "DEFAULT_SEGMENT_SECONDS",
    "DEFAULT_VIDEO_PROMPT",
    "MEDIA_EXTENSIONS",
    "QwenOmniMediaReader",
]

Kind = Literal["image", "audio", "video"]
FileInput = Union[str, Path]

#: Segment length when none is given: short enough for precise "when" answers, long enough
#: to keep the request count (and cost) low.
DEFAULT_SEGMENT_SECONDS = 30.0

DEFAULT_VIDEO_PROMPT = (
    "This is the part of a video from {start} to {end}. Describe what it shows and what "
    "happens, then what is said or heard (quote speech). Be specific and factual: objects, "
    "people, colours, on-screen text, actions. No preamble."
)
DEFAULT_AUDIO_PROMPT = (
    "This is the part of a recording from {start} to {end}. Transcribe the speech verbatim; "
    "if there is none, describe the sounds. No preamble."
)
DEFAULT_IMAGE_PROMPT = (
    "Describe this image in detail: objects, people, colours, on-screen text, setting. No preamble."
)

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
)
_NO_LLM = ("file_path", "segment_count", "duration", "model", "request_id")


def clock(seconds: float) -> str:
    """``83.5`` → ``1:23.5``; whole seconds without a decimal (``1:23``); hours when needed."""
    tenths = round(max(0.0, seconds) * 10)
    minutes, tenths_left = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    secs = f"{tenths_left // 10:02d}" + (f".{tenths_left % 10}" if tenths_left % 10 else "")
    return f"{hours}:{minutes:02d}:{secs}" if hours else f"{minutes}:{secs}"


@dataclass(frozen=True)
class _Piece:
    """One segment to describe: the file to send and its range in the source."""

    index: int
    count: int
    path: Path
    start_s: float
    end_s: float | None


@dataclass(frozen=True)
class _Plan:
    """A source, probed and split."""

    kind: Kind
    source: Path
    mime_type: str
    pieces: list[_Piece]
    #: the source came through a remote filesystem: ``source`` is a temporary copy
    remote: bool = False


class QwenOmniMediaReader(BaseReader):
    """Video, audio and images → one ``Document`` per time segment, written by Qwen-Omni.

    Video: each segment is described (what is shown, what happens, what is said). Audio: each
    segment is transcribed. Images: one description. Every ``Document`` carries
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
        segment_seconds: target segment length; cuts fall on keyframes, so a segment may be
            a little shorter.
        video_prompt, audio_prompt, image_prompt: the instruction per segment; ``{start}`` and
            ``{end}`` are replaced by the segment's times.
        segments_dir: keep the segment files here and point each document's media resource
            at its own segment. By default segments are temporary and the resource is the
            source file (the time range is in the metadata).
        max_concurrency: segments described at once by ``aload_data``.
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
        client: Optional[OmniClient] = None,
        async_client: Optional[AsyncOmniClient] = None,
        **client_kwargs: Any,
    ) -> None:
        if segment_seconds <= 0:
            raise ValueError(f"segment_seconds must be positive, got {segment_seconds}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if (client is not None or async_client is not None) and client_kwargs:
            raise TypeError("pass either client=/async_client= or client arguments, not both")
        self.model = model
        self.segment_seconds = segment_seconds
        self.prompts: dict[Kind, str] = {
            "video": video_prompt,
            "audio": audio_prompt,
            "image": image_prompt,
        }
        self.segments_dir = Path(segments_dir) if segments_dir is not None else None
        self.max_concurrency = max_concurrency
        self._client = client
        self._async_client = async_client
        self._client_kwargs = client_kwargs

    def file_extractor(self, extensions: Sequence[str] = MEDIA_EXTENSIONS) -> dict[str, Any]:
        """``{".mp4": self, ".wav": self, …}`` for ``SimpleDirectoryReader(file_extractor=…)``."""
        return {ext.lower(): self for ext in extensions}

    # --- planning (probe and split) -----------------------------------------------------------

    @property
    def client(self) -> OmniClient:
        """The synchronous core client (created on first use)."""
        if self._client is None:
            self._client = OmniClient(**self._client_kwargs)
        return self._client

    def _model_name(self, client: OmniClient | AsyncOmniClient) -> str:
        return self.model or client.model

    def _plan(self, file: FileInput, workdir: Path, fs: Any, model: str) -> _Plan:
        from qwen_omni.media import probe
        from qwen_omni.media.split import split_media

        remote = fs is not None and not _is_local_fs(fs)
        source = _local_copy(file, workdir, fs) if remote else Path(file).expanduser()
        info = probe(source)
        if info.kind == "image":
            pieces = [_Piece(0, 1, source, 0.0, None)]
            return _Plan("image", source, info.mime_type, pieces, remote)
        dest = self.segments_dir or workdir
        if self.segments_dir is not None:
            dest = self.segments_dir / _segment_folder(source)
        segments = split_media(source, dest, segment_s=self.segment_seconds, model=model)
        pieces = [_Piece(s.index, len(segments), s.path, s.start_s, s.end_s) for s in segments]
        return _Plan(info.kind, source, info.mime_type, pieces, remote)

    # --- one segment --------------------------------------------------------------------------

    def _request(self, plan: _Plan, piece: _Piece) -> list[Part]:
        part: Part
        if plan.kind == "video":
            part = video(piece.path)
        elif plan.kind == "audio":
            part = audio(piece.path)
        else:
            part = image(piece.path)
        end = piece.end_s if piece.end_s is not None else 0.0
        prompt = self.prompts[plan.kind].format(start=clock(piece.start_s), end=clock(end))
        return [part, Text(text=prompt)]

    def _document(
        self,
        plan: _Plan,
        piece: _Piece,
        text: str,
        model: str,
        request_id: Optional[str],
        file: FileInput,
        extra_info: Optional[dict[str, Any]],
    ) -> Document:
        file_path = str(file)
        metadata: dict[str, Any] = {
            **(extra_info or {}),
            "file_path": file_path,
            "file_name": Path(file_path).name,
            "modality": plan.kind,
            "segment_index": piece.index,
            "segment_count": piece.count,
            "model": model,
        }
        if piece.end_s is not None:
            metadata.update(
                start_time=round(piece.start_s, 3),
                end_time=round(piece.end_s, 3),
                duration=round(piece.end_s - piece.start_s, 3),
                time_range=f"{clock(piece.start_s)}–{clock(piece.end_s)}",
            )
        if request_id:
            metadata["request_id"] = request_id
        kept = self.segments_dir is not None and piece.path != plan.source
        resource_path = piece.path if kept else plan.source
        mime = (mimetypes.guess_type(resource_path.name)[0] if kept else None) or plan.mime_type
        # A source read from a remote filesystem was a temporary copy: no path to point at.
        resource = MediaResource(
            path=resource_path if kept or not plan.remote else None, mimetype=mime
        )
        doc = Document(
            text=text.strip(),
            metadata=metadata,
            id_=_doc_id(file_path, piece),
            excluded_embed_metadata_keys=[k for k in _NO_EMBED if k in metadata],
            excluded_llm_metadata_keys=[k for k in _NO_LLM if k in metadata],
        )
        setattr(doc, f"{plan.kind}_resource", resource)
        return doc

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
        client = self.client
        model = self._model_name(client)
        with tempfile.TemporaryDirectory(prefix="qwen-omni-reader-") as tmp:
            plan = self._plan(file, Path(tmp), fs, model)
            for piece in plan.pieces:
                response = client.complete(self._request(plan, piece), model=model)
                yield self._document(
                    plan, piece, response.text, response.model or model,
                    response.request_id, file, extra_info,
                )  # fmt: skip

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
        model = self._model_name(client)
        limit = asyncio.Semaphore(self.max_concurrency)
        with tempfile.TemporaryDirectory(prefix="qwen-omni-reader-") as tmp:
            plan = await asyncio.to_thread(self._plan, file, Path(tmp), fs, model)

            async def describe(piece: _Piece) -> Document:
                async with limit:
                    response = await client.complete(self._request(plan, piece), model=model)
                return self._document(
                    plan, piece, response.text, response.model or model,
                    response.request_id, file, extra_info,
                )  # fmt: skip

            return list(await asyncio.gather(*(describe(p) for p in plan.pieces)))


# --- helpers ------------------------------------------------------------------------------------


def _files(file: Union[FileInput, Sequence[FileInput]]) -> Iterable[FileInput]:
    if isinstance(file, (str, Path)):
        return [file]
    return list(file)


def _local_copy(file: FileInput, workdir: Path, fs: Any) -> Path:
    """A local copy of a file read through a remote fsspec filesystem (streamed in chunks)."""
    import shutil

    target = workdir / f"source{Path(str(file)).suffix}"
    with fs.open(str(file), "rb") as src, target.open("wb") as out:
        shutil.copyfileobj(src, out, 1024 * 1024)
    return target


def _is_local_fs(fs: Any) -> bool:
    protocol = getattr(fs, "protocol", "file")
    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
    return "file" in protocols or "local" in protocols


def _segment_folder(source: Path) -> str:
    import hashlib

    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:10]
    return f"{source.stem}-{digest}"


def _doc_id(file_path: str, piece: _Piece) -> str:
    if piece.end_s is None:
        return file_path
    return f"{file_path}#t={piece.start_s:.3f},{piece.end_s:.3f}"
