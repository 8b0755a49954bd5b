"""Stream-copy splitting of a video at keyframes (PyAV), with each piece's start and end.

Used by summarize_long_video when :mod:`qwen_omni.media` offers no splitter. No re-encoding:
each piece starts at the first video keyframe at or after its nominal start, so pieces are
about ``seconds`` long (longer by at most one GOP). Timestamps are rebased to zero per piece.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["SplitPiece", "split_video_copy"]


@dataclass(frozen=True)
class SplitPiece:
    """One written piece: its file and its time range in the source, in seconds."""

    path: Path
    start_s: float
    end_s: float


def split_video_copy(source: Path, seconds: float, out_dir: Path) -> list[SplitPiece]:
    """Cut ``source`` into pieces of about ``seconds`` at video keyframes (no re-encode)."""
    import av

    if seconds <= 0:
        raise ValueError(f"segment length must be positive, got {seconds}")
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = source.suffix.lower() if source.suffix.lower() in (".mp4", ".mkv", ".mov") else ".mkv"
    pieces: list[SplitPiece] = []
    with av.open(str(source)) as inp:
        streams = [s for s in inp.streams if s.type in ("video", "audio")]
        vstream = next((s for s in streams if s.type == "video"), None)
        duration = float(inp.duration / av.time_base) if inp.duration else None
        out: Any = None
        mapping: dict[int, Any] = {}
        offsets: dict[int, int] = {}
        start_s = 0.0
        next_cut = seconds
        last_t = 0.0

        def open_piece(index: int) -> Any:
            target = out_dir / f"segment_{index:03d}{suffix}"
            container = av.open(str(target), "w")
            mapping.clear()
            offsets.clear()
            for s in streams:
                mapping[s.index] = container.add_stream_from_template(s)
            return container, target

        target: Path | None = None
        for packet in inp.demux(streams):
            if packet.dts is None or packet.pts is None:
                continue
            t = float(packet.pts * packet.time_base)
            is_cut = (
                out is not None
                and packet.stream is vstream
                and packet.is_keyframe
                and t >= next_cut - 1e-3
            )
            if out is None or is_cut:
                if out is not None:
                    out.close()
                    assert target is not None
                    pieces.append(SplitPiece(target, start_s, t))
                    start_s = t
                    next_cut = t + seconds
                out, target = open_piece(len(pieces))
            idx = packet.stream.index
            if idx not in offsets:
                offsets[idx] = int(packet.dts)
            packet.pts -= offsets[idx]
            packet.dts -= offsets[idx]
            if packet.dts < 0:
                packet.pts -= packet.dts
                packet.dts = 0
            packet.stream = mapping[idx]
            out.mux(packet)
            end = t + float((packet.duration or 0) * Fraction(packet.time_base or 0))
            last_t = max(last_t, end)
        if out is not None:
            out.close()
            assert target is not None
            pieces.append(SplitPiece(target, start_s, duration or last_t))
    return pieces
