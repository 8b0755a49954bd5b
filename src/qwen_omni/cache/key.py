"""The analysis-cache key: everything that decides the answer, and nothing else.

A key is the SHA-256 of a canonical JSON document holding:

- the cache-format version (bumped when the document or the entry format changes);
- the resolved model, region, endpoint and dialect (an answer from the emulator or a
  self-hosted vLLM never answers for DashScope);
- every message in order: text as text (prompt and system included), each medium as its
  content digest and the knobs sent with it (mime type, audio format, fps, pixel bounds) --
  never its path, so the same bytes under a new name hit and new bytes under an old name miss;
- the parameters that shape the answer (sampling, max_tokens, modalities, voice resolved to the
  model's default, response format, ``enable_thinking``…), with the tool definitions reduced to
  their hash;
- the preparation recipe when local media may be prepared (mode and the versions of the code
  that prepares: qwen-omni, PyAV, Pillow), because a prepared file is what is really sent and
  a hit must not skip a preparation that would now produce other bytes.

Local media is keyed by the digest of the source plus that recipe rather than the digest of the
prepared bytes, so a hit costs one ``stat`` (see ``digest``), not a transcode.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from qwen_omni.cache.digest import bytes_digest, data_uri_digest, digest_in_key
from qwen_omni.content import Audio, Image, Message, Text, Video, VideoFrames

__all__ = ["CACHE_FORMAT_VERSION", "KeyMaterial", "canonical_json", "request_key"]

CACHE_FORMAT_VERSION = 1

_KNOBS = ("mime_type", "format", "fps", "min_pixels", "max_pixels", "total_pixels")


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@functools.lru_cache(maxsize=1)
def preparation_versions() -> dict[str, str]:
    """Versions of the code that prepares media (part of the recipe in the key)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("qwen-omni", "av", "pillow"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "absent"
    return out


@dataclass(frozen=True)
class KeyMaterial:
    """A request reduced to what decides its answer.

    Attributes:
        document: the canonical document (hashed into the key).
        volatile_urls: http(s)/oss URLs whose content may change (entries for them expire).
        digests: the media digests in the request, in order.
    """

    document: dict[str, Any]
    volatile_urls: tuple[str, ...]
    digests: tuple[str, ...]

    @property
    def key(self) -> str:
        """Hex SHA-256 of the canonical document (64 characters, whatever the media size)."""
        return hashlib.sha256(canonical_json(self.document).encode("utf-8")).hexdigest()


def _media(
    part: Image | Audio | Video,
    file_digest: Callable[[Any], str],
    volatile: list[str],
    digests: list[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": part.type}
    for knob in _KNOBS:
        value = getattr(part, knob, None)
        if value is not None:
            out[knob] = value
    digest: str | None = None
    if part.path is not None:
        digest = file_digest(part.path)
    elif part.data is not None:
        digest = bytes_digest(part.data)
    elif part.url is not None:
        url = part.url
        if url.startswith("data:"):
            digest = data_uri_digest(url) or bytes_digest(url.encode("utf-8"))
        else:
            # A content-addressed object (our own uploads: ``…/<sha256>.mp4``) is named by its
            # digest whatever the signature; any other URL may change behind our back.
            digest = digest_in_key(url)
            if digest is None:
                volatile.append(url)
                out["url"] = url
    if digest is not None:
        out["sha256"] = digest
        digests.append(digest)
    return out


def request_key(
    messages: Sequence[Message],
    *,
    model: str,
    region: str | None,
    endpoint: str,
    dialect: str,
    params: dict[str, Any],
    voice: str | None,
    prepare: str,
    file_digest: Callable[[Any], str],
) -> KeyMaterial:
    """The key material of a request (see the module docstring).

    Args:
        messages: the checked messages, before delivery (local media still paths or bytes).
        params: the request parameters as a dict (``RequestParams.model_dump()``).
        voice: the voice of a spoken reply, resolved (None when the reply is text only).
        prepare: the client's preparation mode (``auto``, ``always``, ``never``).
        file_digest: path → SHA-256 (the fast-path memo of the cache).
    """
    volatile: list[str] = []
    digests: list[str] = []
    has_local = False
    rendered = []
    for message in messages:
        parts: list[Any] = []
        for part in message.parts:
            if isinstance(part, Text):
                parts.append({"type": "text", "text": part.text})
            elif isinstance(part, VideoFrames):
                frames = [_media(f, file_digest, volatile, digests) for f in part.frames]
                has_local |= any(f.url is None for f in part.frames)
                knobs = {k: getattr(part, k) for k in _KNOBS if getattr(part, k, None) is not None}
                parts.append({"type": "video_frames", "frames": frames, **knobs})
            else:
                has_local |= part.url is None
                parts.append(_media(part, file_digest, volatile, digests))
        entry: dict[str, Any] = {"role": message.role, "content": parts}
        if message.tool_calls:
            entry["tool_calls"] = [c.model_dump() for c in message.tool_calls]
        if message.tool_call_id:
            entry["tool_call_id"] = message.tool_call_id
        if message.name:
            entry["name"] = message.name
        rendered.append(entry)
    shaped = {k: v for k, v in params.items() if v is not None and v != {} and k != "tools"}
    if params.get("tools"):
        shaped["tools_sha256"] = hashlib.sha256(
            canonical_json(params["tools"]).encode("utf-8")
        ).hexdigest()
    document: dict[str, Any] = {
        "v": CACHE_FORMAT_VERSION,
        "model": model,
        "region": region,
        "endpoint": endpoint,
        "dialect": dialect,
        "messages": rendered,
        "params": shaped,
        "voice": voice,
    }
    if has_local and prepare != "never":
        document["prepare"] = {"mode": prepare, **preparation_versions()}
    return KeyMaterial(document, tuple(volatile), tuple(digests))
