"""The result of preparing one piece of media: what will be sent, and what was done to it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from qwen_omni.media.probe import MediaInfo

__all__ = ["PreparedMedia", "default_output_path"]


@dataclass(frozen=True)
class PreparedMedia:
    """Media ready to send.

    ``steps`` lists what was done, in order ("resize 3840×2160 → 1280×720", "fps 30 → 4"…);
    an empty tuple means the input already fitted and is sent as it is (``path`` is then the
    source file itself, or ``data`` the source bytes).
    """

    source: MediaInfo
    """what came in"""
    info: MediaInfo
    """what will be sent"""
    path: Path | None
    """the file to send (video and audio; also images read from a file and left as-is)"""
    data: bytes | None
    """the bytes to send (prepared images; inputs given as bytes and left as-is)"""
    steps: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """True when anything was done (the output differs from the input)."""
        return bool(self.steps)

    @property
    def size_bytes(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return self.path.stat().st_size

    def read_bytes(self) -> bytes:
        """The bytes to send (reads the file for file outputs)."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


def default_output_path(source_label: str, suffix: str) -> Path:
    """A fresh path in a new temporary directory, named after the source.

    Prepared files are not written next to the source (its folder may be read-only); the caller
    owns the temporary directory and may delete it once the media is sent.
    """
    stem = Path(source_label).stem if not source_label.startswith("<") else "media"
    folder = Path(tempfile.mkdtemp(prefix="qwen-omni-"))
    return folder / f"{stem}.prepared{suffix}"
