"""Media preparation and budgets: probe, resize, fps, split, token and cost planning.

Modules (each one concept):

- :mod:`~qwen_omni.media.tokens` — the service's token estimators as pure functions;
- :mod:`~qwen_omni.media.sniff` — what a file is, from its magic bytes;
- :mod:`~qwen_omni.media.probe` — measure images, audio and video;
- :mod:`~qwen_omni.media.synthetic` — generated media for tests and demos.

Importing this package is cheap: ``av``, ``PIL`` and ``numpy`` (the ``[media]`` extra) are
imported by the functions that need them, and the names below are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qwen_omni.media.probe import (
        AudioInfo,
        AudioTrack,
        ImageInfo,
        MediaInfo,
        VideoInfo,
        probe,
        probe_audio,
        probe_image,
        probe_video,
    )
    from qwen_omni.media.sniff import Sniffed, sniff
    from qwen_omni.media.synthetic import make_audio, make_image, make_video
    from qwen_omni.media.tokens import (
        audio_tokens,
        image_tokens,
        smart_resize,
        video_frames_tokens,
        video_sample_frames,
        video_tokens,
    )

#: public name → module that defines it
_EXPORTS: dict[str, str] = {
    # tokens
    "audio_tokens": "tokens",
    "image_tokens": "tokens",
    "smart_resize": "tokens",
    "video_frames_tokens": "tokens",
    "video_sample_frames": "tokens",
    "video_tokens": "tokens",
    # sniff / probe
    "Sniffed": "sniff",
    "sniff": "sniff",
    "AudioInfo": "probe",
    "AudioTrack": "probe",
    "ImageInfo": "probe",
    "MediaInfo": "probe",
    "VideoInfo": "probe",
    "probe": "probe",
    "probe_audio": "probe",
    "probe_image": "probe",
    "probe_video": "probe",
    # synthetic
    "make_audio": "synthetic",
    "make_image": "synthetic",
    "make_video": "synthetic",
}

__all__ = [
    "AudioInfo",
    "AudioTrack",
    "ImageInfo",
    "MediaInfo",
    "Sniffed",
    "VideoInfo",
    "audio_tokens",
    "image_tokens",
    "make_audio",
    "make_image",
    "make_video",
    "probe",
    "probe_audio",
    "probe_image",
    "probe_video",
    "smart_resize",
    "sniff",
    "video_frames_tokens",
    "video_sample_frames",
    "video_tokens",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qwen_omni.media' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"qwen_omni.media.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
