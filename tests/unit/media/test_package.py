"""The public API of qwen_omni.media, and its lazy heavy dependencies."""

from __future__ import annotations

import subprocess
import sys

import qwen_omni.media as media

EXPECTED = {
    "PRESET_FPS", "AudioInfo", "AudioTrack", "CostEstimate", "Frame", "ImageInfo", "MediaInfo",
    "MediaPlan", "PreparedMedia", "Segment", "Sniffed", "TokenEstimate", "Variant", "VideoInfo",
    "VideoTarget", "audio_tokens", "check_dimensions", "check_media", "choose_preset",
    "data_uri_bytes", "estimate_cost", "estimate_frames_tokens", "estimate_tokens",
    "extract_audio", "fits_inline", "image_tokens", "keyframe_times", "make_audio",
    "make_image", "make_video", "measure_motion", "plan_media", "prepare_audio",
    "prepare_image", "prepare_media", "prepare_video", "probe", "probe_audio", "probe_image",
    "probe_video", "smart_resize", "sniff", "split_media", "video_frames_tokens",
    "video_sample_frames", "video_target", "video_to_frames", "video_to_frames_part",
    "video_tokens", "RequestEstimate", "estimate_request", "text_tokens",
}  # fmt: skip


def test_all_is_pinned():
    assert set(media.__all__) == EXPECTED
    for name in media.__all__:
        assert getattr(media, name) is not None


def test_probe_is_the_function_not_the_module():
    import qwen_omni.media.probe  # noqa: F401 - importing the submodule must not shadow it

    assert callable(media.probe)
    assert media.probe.__name__ == "probe"


def test_import_does_not_load_av_or_pillow():
    code = (
        "import sys, qwen_omni.media; "
        "print(sorted(m for m in ('av', 'PIL', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_functions_have_docstrings():
    for name in media.__all__:
        obj = getattr(media, name)
        if callable(obj) and name != "MediaInfo":  # a Union alias
            assert obj.__doc__, name
