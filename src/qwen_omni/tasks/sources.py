"""From a source a tool was given (a path or URL) to a content part the client can send.

:func:`resolve_media` applies the access policy when the source came from an agent, checks the
content against the modalities the tool accepts (sniffed, never guessed from a name when
it can be read), measures local media, refuses what the model cannot take (too long for the
model) with the fix in the message, and records what is sent (:class:`SentMedia`).
"""

from __future__ import annotations

import asyncio
import mimetypes
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from qwen_omni.catalog import ModelSpec
from qwen_omni.content import Audio, Image, Video, audio, image, video
from qwen_omni.errors import MediaNotFoundError, MediaTooLongError, UnsupportedMediaError
from qwen_omni.tasks.policy import AccessPolicy, AccessRefused, _redact
from qwen_omni.tasks.report import SentMedia

if TYPE_CHECKING:
    from qwen_omni.media.probe import MediaInfo

__all__ = ["Kind", "ResolvedMedia", "estimate_tokens", "guess_kind_from_name", "resolve_media"]

Kind = Literal["image", "audio", "video"]

_KIND_WORD = {"image": "an image", "audio": "an audio recording", "video": "a video"}


@dataclass
class ResolvedMedia:
    """A source ready to send.

    Attributes:
        part: the content part (URL, or a local path the client delivers).
        kind: the modality of the content.
        sent: the record of what is sent (updated when the part is prepared).
        path: the local file (after the policy check), None for URLs.
        info: what probing measured (local files only).
        url: the URL to send (after checked redirects), None for local files.
    """

    part: Image | Audio | Video
    kind: Kind
    sent: SentMedia
    path: Path | None = None
    info: MediaInfo | None = None
    url: str | None = None

    @property
    def duration_s(self) -> float | None:
        return getattr(self.info, "duration_s", None)


def _size(path: Path) -> int:
    return path.stat().st_size


def guess_kind_from_name(name: str) -> Kind | None:
    """The modality a file name or URL path suggests (only used when content can't be read)."""
    from qwen_omni.delivery.formats import url_suffix

    suffix = url_suffix(name) if "://" in name else Path(name).suffix.lower().lstrip(".")
    mime = mimetypes.types_map.get("." + suffix, "") if suffix else ""
    if suffix in ("m4a", "aac", "amr", "opus", "flac", "wav", "mp3", "ogg", "oga", "wma"):
        return "audio"
    for kind in ("image", "audio", "video"):
        if mime.startswith(kind + "/"):
            return kind
    return None


def _wrong(label: str, found: str, expect: tuple[Kind, ...], agent: bool) -> Exception:
    wanted = " or ".join(_KIND_WORD[k] for k in expect)
    message = (
        f"{label} is {_KIND_WORD.get(found, found)}, but this tool needs {wanted}; "
        "pass the right file, or use the tool for that kind of media"
    )
    if agent:
        return AccessRefused(message, reason="wrong_modality", source=label)
    return UnsupportedMediaError(message, source=label, value=found, limit=list(expect))


def _kind_from_head(head: bytes, expect: tuple[Kind, ...]) -> str | None:
    """The modality of sniffed bytes; None when they are not a known media format."""
    from qwen_omni.media.sniff import _sniff

    found = _sniff(head)
    if found is None:
        return None
    if found.ambiguous and found.kind == "video" and "audio" in expect and "video" not in expect:
        # MP4/Matroska/Ogg may hold audio only; the service (or a probe) settles it.
        return "audio"
    if found.ambiguous and found.kind == "audio" and "video" in expect:
        return "video" if found.format != "ogg" else "audio"
    return found.kind


def estimate_tokens(info: MediaInfo, spec: ModelSpec, *, image_budget: bool = True) -> int | None:
    """Input tokens of a probed medium by the service's formula (None when not computable).

    Images are counted with the field guide's budget the client sends by default
    (``image_budget``; see ``OmniClient(image_budget=...)``).
    """
    from qwen_omni.catalog import IMAGE_BUDGET_MAX_PIXELS, IMAGE_BUDGET_MIN_PIXELS
    from qwen_omni.media import tokens as tk

    t = spec.tokens
    try:
        if info.kind == "image":
            w, h = info.display_size
            if image_budget:
                return tk.image_tokens(
                    w, h, t, min_pixels=IMAGE_BUDGET_MIN_PIXELS, max_pixels=IMAGE_BUDGET_MAX_PIXELS
                )
            return tk.image_tokens(w, h, t)
        if info.kind == "audio":
            return tk.audio_tokens(info.duration_s, t)
        w, h = info.display_size
        total = tk.video_tokens(
            w, h, info.duration_s, t, total_frames=info.frame_count, video_fps=info.fps or None
        )
        if info.audio is not None:
            total += tk.audio_tokens(info.audio.duration_s, t)
        return total
    except (ValueError, UnsupportedMediaError):
        return None


def _make_part(kind: Kind, source: str | Path, fmt: str | None = None) -> Image | Audio | Video:
    if kind == "image":
        return image(source)
    if kind == "audio":
        return audio(source, format=fmt)
    return video(source)


def check_duration(
    label: str, kind: Kind, duration: float | None, spec: ModelSpec, *, hint: str
) -> None:
    """Refuse media longer than the model accepts (catalog limits), with the fix."""
    if duration is None:
        return
    limit = spec.video_max_seconds if kind == "video" else spec.audio_max_seconds
    if kind == "image" or limit is None:
        return
    if duration > limit + 0.5:
        raise MediaTooLongError(
            f"{label}: {kind} is {duration:.0f} s; {spec.name} accepts at most {limit:.0f} s: "
            f"{hint}",
            source=label,
            value=duration,
            limit=limit,
        )


async def resolve_media(
    source: str,
    *,
    expect: tuple[Kind, ...],
    policy: AccessPolicy | None,
    spec: ModelSpec,
    sniff_urls: bool = True,
    needs_sound: bool = False,
) -> ResolvedMedia:
    """Check and measure ``source`` for a tool that accepts the ``expect`` modalities.

    ``policy`` is the agent access policy (None: the user's own call, no policy).
    ``needs_sound``: a local video must have an audio track (call recordings, transcripts).

    Raises:
        AccessRefused: the policy refused it (agent input), incl. the wrong modality.
        MediaNotFoundError, UnsupportedMediaError: the user's own input is not usable.
    """
    agent = policy is not None
    if not isinstance(source, str) or not source.strip():
        raise ValueError("source must be a non-empty path or URL")
    if policy is not None and not AccessPolicy.is_url(source):
        # Agent input: the file is opened and taken once; every later step reads the snapshot.
        snap = await asyncio.to_thread(policy.open_local, source)
        try:
            resolved = await _resolve_path(
                snap.path,
                label=snap.label.strip(),
                expect=expect,
                spec=spec,
                agent=True,
                needs_sound=needs_sound,
            )
        except BaseException:
            snap.path.unlink(missing_ok=True)
            raise
        weakref.finalize(resolved, snap.path.unlink, missing_ok=True)
        return resolved
    if policy is not None:
        checked = await policy.acheck(source)
        is_url, value = checked.kind == "url", checked.value
    else:
        is_url = AccessPolicy.is_url(source)
        value = source.strip()
    if is_url:
        return await _resolve_url(value, expect=expect, policy=policy, sniff=sniff_urls)
    path = Path(value)
    if policy is None:
        from qwen_omni.content import media_source

        path = Path(media_source(value)["path"])
        if not path.is_file():
            raise MediaNotFoundError(f"{path}: no such file", source=str(path))
    return await _resolve_path(
        path, label=source.strip(), expect=expect, spec=spec, agent=agent, needs_sound=needs_sound
    )


async def _resolve_url(
    url: str, *, expect: tuple[Kind, ...], policy: AccessPolicy | None, sniff: bool
) -> ResolvedMedia:
    label = _redact(url)
    kind: str | None = None
    size: int | None = None
    fmt: str | None = None
    if url[:5].lower() == "data:":
        from qwen_omni.delivery.formats import _data_uri_parts

        _, head = _data_uri_parts(url)
        kind = _kind_from_head(head, expect) if head else None
    elif policy is not None and policy.check_content and sniff and url[:4].lower() == "http":
        from qwen_omni.tasks.fetch import fetch_head

        fetched = await fetch_head(url, policy)
        url, size = fetched.url, fetched.size
        kind = _kind_from_head(fetched.head, expect)
        if kind is None:
            raise AccessRefused(
                f"{label} is not a supported image, audio or video file (content type "
                f"{fetched.content_type or 'unknown'}); give a direct link to the media file, "
                "not a web page",
                reason="wrong_modality",
                source=label,
            )
        if kind == "audio":
            from qwen_omni.delivery.formats import sniff_audio_format

            fmt = sniff_audio_format(fetched.head)
    if kind is None:
        kind = guess_kind_from_name(url) or expect[0]
    if kind not in expect:
        raise _wrong(label, kind, expect, policy is not None)
    chosen: Kind = kind
    part = _make_part(chosen, url, fmt)
    sent = SentMedia(source=label, kind=chosen, origin="url", bytes=size)
    return ResolvedMedia(part=part, kind=chosen, sent=sent, url=url)


async def _resolve_path(
    path: Path,
    *,
    label: str,
    expect: tuple[Kind, ...],
    spec: ModelSpec,
    agent: bool,
    needs_sound: bool = False,
) -> ResolvedMedia:
    from qwen_omni.media.probe import probe

    try:
        info = await asyncio.to_thread(probe, path)
    except UnsupportedMediaError as exc:
        if agent:
            raise AccessRefused(
                f"{label} is not a readable image, audio or video file ({exc})",
                reason="wrong_modality",
                source=label,
            ) from None
        raise
    kind: str = info.kind
    if kind == "video" and "video" not in expect and "audio" in expect:
        if getattr(info, "audio", None) is None:
            raise _wrong(label, "video", expect, agent)
    elif kind not in expect:
        raise _wrong(label, kind, expect, agent)
    if kind == "video" and needs_sound and getattr(info, "audio", None) is None:
        message = f"{label} is a video without a sound track; this tool needs speech to listen to"
        if agent:
            raise AccessRefused(message, reason="wrong_modality", source=label)
        raise UnsupportedMediaError(message, source=label, value="video without audio")
    chosen: Kind = kind  # type: ignore[assignment]
    fmt = getattr(info, "format", None) if chosen == "audio" else None
    part = _make_part(chosen, path, fmt)
    extra: dict[str, Any] = {}
    if info.kind in ("image", "video"):
        w, h = info.display_size
        extra.update(width=w, height=h)
    sent = SentMedia(
        source=label,
        kind=chosen,
        origin="local",
        bytes=getattr(info, "size_bytes", None) or _size(path),
        duration_s=getattr(info, "duration_s", None),
        estimated_tokens=estimate_tokens(info, spec),
        **extra,
    )
    return ResolvedMedia(part=part, kind=chosen, sent=sent, path=path, info=info)
