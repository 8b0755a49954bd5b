"""Prepare any media file by what it is: one entry point over image, audio and video."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qwen_omni.media.audio import prepare_audio
from qwen_omni.media.image import prepare_image
from qwen_omni.media.prepared import PreparedMedia
from qwen_omni.media.probe import probe
from qwen_omni.media.video import prepare_video

__all__ = ["prepare_media"]


def prepare_media(
    source: Path | str | bytes, dest: Path | str | None = None, **options: Any
) -> PreparedMedia:
    """Sniff ``source`` and run :func:`prepare_image`, :func:`prepare_audio` or
    :func:`prepare_video` on it; ``options`` go to that function (``dest`` is ignored for
    images, which come back as bytes)."""
    if isinstance(source, str):
        source = Path(source)
    kind = probe(source).kind
    if kind == "image":
        return prepare_image(source, **options)
    if kind == "audio":
        return prepare_audio(source, dest, **options)
    return prepare_video(source, dest, **options)
