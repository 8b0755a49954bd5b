"""Feed a file into a realtime session as a live source would: audio packets and 1 fps frames.

``feed_file(session, "clip.mp4")`` sends the sound as 100 ms packets of PCM16 16 kHz and one
JPEG frame per second of video, each frame after the audio that precedes it on the timeline
(the service places images on the audio timeline by send time, and refuses an image before any
audio). ``pace=True`` (default) sends in real time, as a camera and microphone would; a video
without sound is fed with silence so its frames still have an audio timeline.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qwen_omni.media.probe import probe
from qwen_omni.realtime.audio import INPUT_SAMPLE_RATE, PACKET_MS, pcm_packets, silence

if TYPE_CHECKING:
    from qwen_omni.realtime.session import AsyncRealtimeSession

__all__ = ["FeedResult", "feed_file"]


@dataclass(frozen=True)
class FeedResult:
    """What :func:`feed_file` sent."""

    audio_seconds: float
    frames_sent: int
    frames_dropped: int


async def feed_file(
    session: AsyncRealtimeSession,
    source: Path | str,
    *,
    pace: bool = True,
    fps: float | None = None,
    frames: bool = True,
) -> FeedResult:
    """Send ``source`` (audio or video) to ``session`` on its own timeline.

    Args:
        pace: send in real time (True) or as fast as the socket takes it (False: tests, or a
            recording you do not need to replay live; frames are then still spaced by the
            session's 1 fps throttle, so unpaced feeds keep fewer frames).
        fps: frame rate (default: the model's maximum, 1 fps).
        frames: False sends the sound only.
    """
    from qwen_omni.media.frames import video_to_frames

    path = Path(source)
    info = probe(path)
    facts = session.spec.realtime
    rate = fps or (facts.image_max_fps if facts else 1.0)
    stills = []
    if frames and info.kind == "video":
        stills = await asyncio.to_thread(
            video_to_frames, path, fps=rate, min_frames=1, max_pixels=1280 * 720
        )
    if info.kind == "video" and not info.has_audio:
        n = max(1, round(info.duration_s * 1000 / PACKET_MS))
        audio = iter([silence()] * n)
    else:
        audio = pcm_packets(path)
    start = time.monotonic()
    t = 0.0
    sent = dropped = 0
    pending = list(stills)
    for packet in audio:
        await session.append_audio(packet)
        t += len(packet) / (INPUT_SAMPLE_RATE * 2)
        while pending and pending[0].time_s <= t:
            frame = pending.pop(0)
            if await session.send_image(frame.data, wait=pace):
                sent += 1
            else:
                dropped += 1
        if pace:
            ahead = start + t - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)
    return FeedResult(audio_seconds=t, frames_sent=sent, frames_dropped=dropped + len(pending))
