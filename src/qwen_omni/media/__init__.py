"""Media preparation and budgets: probe, resize, fps, split, token and cost planning.

One concept per module:

- :mod:`~qwen_omni.media.tokens` — the service's token estimators, pure functions;
- :mod:`~qwen_omni.media.sniff` / :mod:`~qwen_omni.media.probe` — what a file is and its
  measurements (format by magic bytes, never by name);
- :mod:`~qwen_omni.media.image`, :mod:`~qwen_omni.media.video`, :mod:`~qwen_omni.media.audio`
  — preparation (each step skipped when the input already fits), :mod:`~qwen_omni.media.prepare`
  dispatches by kind; :mod:`~qwen_omni.media.motion` picks the video frame-rate preset;
- :mod:`~qwen_omni.media.frames` — a video as a list of frames; :mod:`~qwen_omni.media.split`
  — long media into segments;
- :mod:`~qwen_omni.media.budget` (tokens and cost), :mod:`~qwen_omni.media.limits` (the
  model's limits, typed errors), :mod:`~qwen_omni.media.plan` (as-is vs prepared for a file);
- :mod:`~qwen_omni.media.synthetic` — generated media for tests and demos.

Importing this package is cheap: ``av``, ``PIL`` and ``numpy`` (the ``[media]`` extra) are
imported inside the functions that use them.
"""

from __future__ import annotations

from qwen_omni.media.audio import extract_audio, prepare_audio
from qwen_omni.media.budget import (
    CostEstimate,
    RequestEstimate,
    TokenEstimate,
    estimate_cost,
    estimate_frames_tokens,
    estimate_request,
    estimate_tokens,
)
from qwen_omni.media.frames import Frame, video_to_frames, video_to_frames_part
from qwen_omni.media.image import prepare_image
from qwen_omni.media.limits import check_media, data_uri_bytes, fits_inline
from qwen_omni.media.motion import PRESET_FPS, choose_preset, measure_motion
from qwen_omni.media.plan import MediaPlan, Variant, plan_media
from qwen_omni.media.prepare import prepare_media
from qwen_omni.media.prepared import PreparedMedia
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
from qwen_omni.media.split import Segment, keyframe_times, split_media
from qwen_omni.media.synthetic import make_audio, make_image, make_video
from qwen_omni.media.tokens import (
    audio_tokens,
    check_dimensions,
    image_tokens,
    smart_resize,
    text_tokens,
    video_frames_tokens,
    video_sample_frames,
    video_tokens,
)
from qwen_omni.media.video import VideoTarget, prepare_video, video_target

__all__ = [
    "PRESET_FPS",
    "AudioInfo",
    "AudioTrack",
    "CostEstimate",
    "RequestEstimate",
    "Frame",
    "ImageInfo",
    "MediaInfo",
    "MediaPlan",
    "PreparedMedia",
    "Segment",
    "Sniffed",
    "TokenEstimate",
    "Variant",
    "VideoInfo",
    "VideoTarget",
    "audio_tokens",
    "check_dimensions",
    "check_media",
    "choose_preset",
    "data_uri_bytes",
    "estimate_cost",
    "estimate_frames_tokens",
    "estimate_request",
    "estimate_tokens",
    "extract_audio",
    "fits_inline",
    "image_tokens",
    "keyframe_times",
    "make_audio",
    "make_image",
    "make_video",
    "measure_motion",
    "plan_media",
    "prepare_audio",
    "prepare_image",
    "prepare_media",
    "prepare_video",
    "probe",
    "probe_audio",
    "probe_image",
    "probe_video",
    "smart_resize",
    "sniff",
    "text_tokens",
    "split_media",
    "video_frames_tokens",
    "video_sample_frames",
    "video_target",
    "video_to_frames",
    "video_to_frames_part",
    "video_tokens",
]
