"""Realtime voice with Qwen-Omni over WebSockets (extra ``qwen-omni[realtime]``).

- :class:`AsyncRealtimeSession` / :class:`RealtimeSession`: one conversation: audio and video
  frames in, text and speech out, typed :mod:`~qwen_omni.realtime.events`, tool calls,
  keep-alive and reconnect;
- :func:`feed_file`: a file (audio or video) sent on its own timeline, paced in real time;
- :mod:`~qwen_omni.realtime.protocol`: the wire format (pure), both session schemas;
- :mod:`~qwen_omni.realtime.audio` / :mod:`~qwen_omni.realtime.images`: input conversion.

Importing this package does not import ``websockets`` (only connecting does).
"""

from __future__ import annotations

from qwen_omni.realtime.events import (
    AudioDelta,
    ErrorEvent,
    InputTranscript,
    Interrupted,
    RealtimeEvent,
    Reconnected,
    ResponseDone,
    ResponseStarted,
    ServerEvent,
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
    TextDelta,
    ToolCallEvent,
    ToolResultSent,
    TranscriptDelta,
    Turn,
)
from qwen_omni.realtime.feeder import FeedResult, feed_file
from qwen_omni.realtime.protocol import SessionConfig, TurnDetection, build_session, realtime_url
from qwen_omni.realtime.session import (
    DEFAULT_REALTIME_MODEL,
    AsyncRealtimeSession,
    ToolHandler,
    turn_cost,
)
from qwen_omni.realtime.sync import RealtimeSession

__all__ = [
    "DEFAULT_REALTIME_MODEL",
    "AsyncRealtimeSession",
    "AudioDelta",
    "ErrorEvent",
    "FeedResult",
    "InputTranscript",
    "Interrupted",
    "RealtimeEvent",
    "RealtimeSession",
    "Reconnected",
    "ResponseDone",
    "ResponseStarted",
    "ServerEvent",
    "SessionConfig",
    "SessionUpdated",
    "SpeechStarted",
    "SpeechStopped",
    "TextDelta",
    "ToolCallEvent",
    "ToolHandler",
    "ToolResultSent",
    "TranscriptDelta",
    "Turn",
    "TurnDetection",
    "build_session",
    "feed_file",
    "realtime_url",
    "turn_cost",
]
