"""Receive, probe and measure each media part the way the service does before the model runs.

For every :class:`~qwen_omni_emulator.request.MediaRef`:

1. get the bytes: decode a ``data:`` URI; ``GET`` an ``http(s)`` URL (with a timeout and the
   model's size cap; loopback hosts, hosted media and routed hosts only: the emulator never
   sends traffic off the machine); resolve an ``oss://`` URL in the temporary-upload store;
2. probe them (:func:`qwen_omni.media.probe.probe`, in a worker thread);
3. apply the model's limits (duration, picture shape, frame count) and compute the tokens with
   :mod:`qwen_omni.media.tokens`, the single source of the formulas.

Failures become the documented data-inspection errors (§9). The result, one
:class:`PerceivedPart` per item, is what the default reply reports and what the request log
records.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from qwen_omni.errors import QwenOmniError
from qwen_omni_emulator.bodies import MSG, ServiceError, bad_request
from qwen_omni_emulator.request import ChatRequest, MediaRef

if TYPE_CHECKING:
    import httpx

    from qwen_omni.catalog import ModelSpec
    from qwen_omni.media.probe import AudioInfo, ImageInfo, VideoInfo

__all__ = ["HostedMedia", "MediaSource", "PerceivedPart", "perceive"]

Via = Literal["data", "http", "oss", "hosted"]

#: never hold more than this in memory for one fetched item, whatever the model allows
FETCH_HARD_CAP_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class HostedMedia:
    """Bytes served for a URL without any network ("virtual internet" for tests)."""

    data: bytes
    status: int = 200
    delay: float = 0.0


@dataclass
class PerceivedPart:
    """What the emulator perceived of one media item.

    Attributes:
        message, part: position in the request (``messages[message].content[part]``).
        modality: ``image``, ``audio`` or ``video``; ``kind`` adds ``frames`` (image-list video).
        via: how it arrived: ``data`` (data URI), ``http``, ``oss`` (temporary upload), ``hosted``.
        format: image format, audio container or video container.
        size_bytes, sha256: the bytes received (of the first frame, for frame lists).
        width, height: as displayed (after rotation); the first frame for frame lists.
        seen_width, seen_height: the size the model sees after the service's resize.
        duration_s, fps, has_audio: for audio and video files.
        frames: frames sampled from a video file, or frames given in a frame list.
        tokens: image, audio or video (visual) tokens.
        audio_tokens: tokens of a video file's audio track (billed as audio).
    """

    message: int
    part: int
    modality: str
    kind: str
    format: str = ""
    via: str = ""
    size_bytes: int = 0
    sha256: str = ""
    width: int | None = None
    height: int | None = None
    seen_width: int | None = None
    seen_height: int | None = None
    duration_s: float | None = None
    fps: float | None = None
    has_audio: bool | None = None
    frames: int | None = None
    tokens: int = 0
    audio_tokens: int = 0

    def describe(self) -> str:
        """One line, e.g. ``video: 10.00 s mp4 1280x720 @ 25.00 fps, audio track: yes, …``."""
        if self.kind == "image":
            return (
                f"image: {self.width}x{self.height} {self.format}, seen as "
                f"{self.seen_width}x{self.seen_height}, {self.tokens} tokens"
            )
        if self.kind == "audio":
            return f"audio: {self.duration_s:.2f} s {self.format}, {self.tokens} tokens"
        if self.kind == "frames":
            return (
                f"video: {self.frames} frames {self.width}x{self.height} {self.format}, seen as "
                f"{self.seen_width}x{self.seen_height}, {self.tokens} video tokens"
            )
        return (
            f"video: {self.duration_s:.2f} s {self.format} {self.width}x{self.height} @ "
            f"{self.fps:.2f} fps, audio track: {'yes' if self.has_audio else 'no'}, "
            f"{self.frames} frames sampled, seen as {self.seen_width}x{self.seen_height}, "
            f"{self.tokens} video tokens, {self.audio_tokens} audio tokens"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class MediaSource:
    """Gets the bytes of media URLs: data URIs, hosted media, routed or loopback http(s), oss://.

    Args:
        client: the ``httpx.AsyncClient`` used for http(s) (owned by the caller).
        timeout_s: per-fetch timeout; beyond it: "Download the media resource timed out…".
        hosted: URL → :class:`HostedMedia`, answered without a socket.
        routes: host (``bucket.oss-cn-beijing.aliyuncs.com``) → base URL on loopback
            (``http://127.0.0.1:9001``): the request goes there with the original path, query and
            a ``Host`` header naming the original host.
        resolve_oss: ``(url, model) -> bytes`` for ``oss://`` URLs; raises KeyError when absent
            or expired, PermissionError when bound to another model or account.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout_s: float,
        hosted: Mapping[str, HostedMedia],
        routes: Mapping[str, str],
        resolve_oss: Callable[[str, str], bytes] | None,
    ) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self.hosted = hosted
        self.routes = routes
        self.resolve_oss = resolve_oss

    async def get(
        self, url: str, *, model: str, max_bytes: int | None, request_id: str
    ) -> tuple[bytes, Via]:
        """The bytes at ``url``; raises the documented :class:`ServiceError` on failure."""

        def fail(message: str) -> ServiceError:
            return bad_request(message, request_id=request_id, algo=True)

        if url[:5].lower() == "data:":
            payload = url.partition(",")[2]
            try:
                return base64.b64decode(payload, validate=False), "data"
            except (binascii.Error, ValueError):
                raise fail(MSG.MEDIA_FORMAT) from None
        if url[:6].lower() == "oss://":
            if self.resolve_oss is None:
                raise fail(MSG.MEDIA_NOT_FOUND)
            try:
                return self.resolve_oss(url, model), "oss"
            except KeyError:
                raise fail(MSG.MEDIA_NOT_FOUND) from None
            except PermissionError:
                raise fail(MSG.MEDIA_FORBIDDEN) from None
        hosted = self.hosted.get(url)
        if hosted is not None:
            if hosted.delay > self.timeout_s:
                await asyncio.sleep(self.timeout_s)
                raise fail(MSG.DOWNLOAD_TIMEOUT)
            await asyncio.sleep(hosted.delay)
            self._check_status(hosted.status, fail)
            if max_bytes is not None and len(hosted.data) > max_bytes:
                raise fail(MSG.FILE_TOO_LARGE)
            return hosted.data, "hosted"
        return await self._fetch(url, max_bytes=max_bytes, fail=fail), "http"

    @staticmethod
    def _check_status(status: int, fail: Callable[[str], ServiceError]) -> None:
        if status == 404:
            raise fail(MSG.MEDIA_NOT_FOUND)
        if status in (401, 403):
            raise fail(MSG.MEDIA_FORBIDDEN)
        if not 200 <= status < 300:
            raise fail(MSG.DOWNLOAD_FAILED)

    def _target(self, url: str) -> tuple[str, dict[str, str]] | None:
        """(URL to GET, extra headers), or None when the host is off-limits."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        route = self.routes.get(host)
        if route is not None:
            target = route.rstrip("/") + (parts.path or "/")
            if parts.query:
                target += "?" + parts.query
            return target, {"Host": parts.netloc}
        if host == "localhost":
            return url, {}
        try:
            if ipaddress.ip_address(host).is_loopback:
                return url, {}
        except ValueError:
            pass
        return None

    async def _fetch(
        self, url: str, *, max_bytes: int | None, fail: Callable[[str], ServiceError]
    ) -> bytes:
        import httpx

        target = self._target(url)
        if target is None:
            # The emulator never leaves the machine: an unknown public host is unreachable.
            raise fail(MSG.DOWNLOAD_FAILED)
        cap = min(max_bytes or FETCH_HARD_CAP_BYTES, FETCH_HARD_CAP_BYTES)

        async def download() -> bytes:
            async with self.client.stream("GET", target[0], headers=target[1]) as response:
                self._check_status(response.status_code, fail)
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > cap:
                    raise fail(MSG.FILE_TOO_LARGE)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise fail(MSG.FILE_TOO_LARGE)
                    chunks.append(chunk)
                return b"".join(chunks)

        try:
            # The whole download (first byte to last) must fit the timeout, as on the service.
            return await asyncio.wait_for(download(), self.timeout_s)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            raise fail(MSG.DOWNLOAD_TIMEOUT) from None
        except httpx.HTTPError:
            raise fail(MSG.DOWNLOAD_FAILED) from None


# --- measuring ----------------------------------------------------------------------------


class _Refused(Exception):
    """A data-inspection refusal; the caller turns the message into the documented 400."""


def _url_cap(spec: ModelSpec, kind: str) -> int | None:
    if not spec.confirmed:
        return None
    if kind in ("image", "frames"):
        return spec.image_url_max_bytes
    if kind == "audio":
        return spec.audio_url_max_bytes
    return spec.video_url_max_bytes


def _probe_error(kind: str) -> str:
    if kind in ("image", "frames"):
        return MSG.IMAGE_DECODE
    if kind == "audio":
        return MSG.AUDIO_FORMAT
    return MSG.MEDIA_FORMAT


def _check_shape(width: int, height: int, spec: ModelSpec, message: str) -> None:
    from qwen_omni.media.tokens import check_dimensions

    try:
        check_dimensions(width, height, max_ratio=spec.tokens.max_ratio)
    except QwenOmniError:
        raise _Refused(message) from None


def _pixel_knobs(ref: MediaRef) -> dict[str, Any]:
    return {k: ref.options.get(k) for k in ("min_pixels", "max_pixels", "total_pixels")}


def _image(ref: MediaRef, info: ImageInfo, request: ChatRequest) -> PerceivedPart:
    from qwen_omni.media import tokens as tk

    width, height = info.display_size
    _check_shape(width, height, request.spec, MSG.IMAGE_SHAPE)
    knobs: dict[str, Any] = {
        "min_pixels": ref.options.get("min_pixels"),
        "max_pixels": ref.options.get("max_pixels"),
        "high_resolution": request.high_resolution,
    }
    seen = tk.image_size(width, height, request.spec.tokens, **knobs)
    return PerceivedPart(
        ref.message,
        ref.part,
        ref.modality,
        ref.kind,
        format=info.format,
        width=width,
        height=height,
        seen_width=seen[0],
        seen_height=seen[1],
        tokens=tk.image_tokens(width, height, request.spec.tokens, **knobs),
    )


def _frames(ref: MediaRef, infos: list[ImageInfo], request: ChatRequest) -> PerceivedPart:
    from qwen_omni.media import tokens as tk

    consts = request.spec.tokens
    # the service sizes every frame like the first one
    width, height = infos[0].display_size
    _check_shape(width, height, request.spec, MSG.IMAGE_SHAPE)
    n = len(infos)
    padded = tk.ceil_by_factor(n, consts.frame_factor)
    seen = tk.video_frame_size(width, height, padded, consts, **_pixel_knobs(ref))
    return PerceivedPart(
        ref.message,
        ref.part,
        ref.modality,
        ref.kind,
        format=infos[0].format,
        width=width,
        height=height,
        seen_width=seen[0],
        seen_height=seen[1],
        frames=n,
        tokens=tk.video_frames_tokens(n, width, height, consts, **_pixel_knobs(ref)),
    )


def _audio(ref: MediaRef, info: AudioInfo, request: ChatRequest) -> PerceivedPart:
    from qwen_omni.media.tokens import audio_tokens

    spec = request.spec
    if info.duration_s <= 0:
        raise _Refused(MSG.AUDIO_EMPTY)
    if spec.confirmed and spec.audio_max_seconds and info.duration_s > spec.audio_max_seconds:
        raise _Refused(MSG.AUDIO_TOO_LONG)
    return PerceivedPart(
        ref.message,
        ref.part,
        ref.modality,
        ref.kind,
        format=info.format,
        duration_s=round(info.duration_s, 3),
        tokens=audio_tokens(info.duration_s, spec.tokens),
    )


def _video(ref: MediaRef, info: VideoInfo, request: ChatRequest) -> PerceivedPart:
    from qwen_omni.media import tokens as tk

    spec = request.spec
    consts = spec.tokens
    if spec.confirmed and spec.video_max_seconds and info.duration_s > spec.video_max_seconds:
        raise _Refused(MSG.VIDEO_TOO_LONG)
    width, height = info.display_size
    _check_shape(width, height, spec, MSG.MEDIA_FORMAT)
    frames = tk.video_sample_frames(
        info.duration_s, consts, total_frames=info.frame_count, video_fps=info.fps or None
    )
    seen = tk.video_frame_size(width, height, frames, consts, **_pixel_knobs(ref))
    tokens = tk.video_tokens(
        width,
        height,
        info.duration_s,
        consts,
        total_frames=info.frame_count,
        video_fps=info.fps or None,
        **_pixel_knobs(ref),
    )
    track = info.audio
    return PerceivedPart(
        ref.message,
        ref.part,
        ref.modality,
        ref.kind,
        format=info.container,
        width=width,
        height=height,
        seen_width=seen[0],
        seen_height=seen[1],
        duration_s=round(info.duration_s, 3),
        fps=round(info.fps, 3),
        has_audio=track is not None,
        frames=frames,
        tokens=tokens,
        audio_tokens=tk.audio_tokens(track.duration_s, consts) if track is not None else 0,
    )


def _measure(ref: MediaRef, datas: list[bytes], request: ChatRequest) -> PerceivedPart:
    """Probe the bytes, apply the model's limits and count tokens (CPU only: run in a thread)."""
    from qwen_omni.media.probe import AudioInfo, ImageInfo, VideoInfo, probe

    try:
        infos = [probe(d) for d in datas]
        if ref.kind == "frames" and all(isinstance(i, ImageInfo) for i in infos):
            return _frames(ref, [i for i in infos if isinstance(i, ImageInfo)], request)
        info = infos[0]
        if ref.kind == "image" and isinstance(info, ImageInfo):
            return _image(ref, info, request)
        if ref.kind == "audio" and isinstance(info, AudioInfo):
            return _audio(ref, info, request)
        if ref.kind == "video" and isinstance(info, VideoInfo):
            return _video(ref, info, request)
    except (QwenOmniError, ValueError, ZeroDivisionError):
        # undecodable, or a shape the token math refuses (a one-frame video…)
        raise _Refused(_probe_error(ref.kind)) from None
    raise _Refused(_probe_error(ref.kind))  # another modality than the part says


async def _perceive_one(ref: MediaRef, request: ChatRequest, source: MediaSource) -> PerceivedPart:
    cap = _url_cap(request.spec, ref.kind)
    fetched = await asyncio.gather(
        *(
            source.get(url, model=request.model, max_bytes=cap, request_id=request.request_id)
            for url in ref.urls
        )
    )
    datas = [data for data, _ in fetched]
    try:
        if not datas[0]:
            raise _Refused(MSG.AUDIO_EMPTY if ref.kind == "audio" else _probe_error(ref.kind))
        measured = await asyncio.to_thread(_measure, ref, datas, request)
    except _Refused as refusal:
        raise bad_request(str(refusal), request_id=request.request_id, algo=True) from None
    return replace(
        measured,
        via=fetched[0][1],
        size_bytes=len(datas[0]),
        sha256=hashlib.sha256(datas[0]).hexdigest(),
    )


async def perceive(request: ChatRequest, source: MediaSource) -> list[PerceivedPart]:
    """Receive and measure every media item of ``request`` (concurrently), in request order."""
    if not request.media:
        return []
    return list(await asyncio.gather(*(_perceive_one(r, request, source) for r in request.media)))
