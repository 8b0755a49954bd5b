"""summarize_long_video: split, concurrent segments (bounded), a failed segment, the reduce."""

from __future__ import annotations

import re
import threading
import time

import pytest

from qwen_omni.tasks import Progress, SummaryResult, ToolRefusal
from qwen_omni_emulator import Reply

pytestmark = pytest.mark.integration

PART = re.compile(r"This is part (\d+) of (\d+)")


class Recorder:
    """A responder: answers each segment by its part number; records concurrency."""

    def __init__(self, *, fail_parts=(), fail_once=(), delay=0.0, final_fails=False):
        self.fail_parts = set(fail_parts)
        self.fail_once = set(fail_once)
        self.delay = delay
        self.final_fails = final_fails
        self.calls: dict[int, int] = {}
        self.final_prompts: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request):
        text = request.last_user_text
        if request.model == "qwen-plus":
            self.final_prompts.append(text)
            if self.final_fails:
                return Reply.error(500)
            return Reply.text("FINAL SUMMARY of the whole video.")
        part = int(PART.search(text).group(1))
        with self.lock:
            self.calls[part] = self.calls.get(part, 0) + 1
            attempt = self.calls[part]
        if part in self.fail_parts or (part in self.fail_once and attempt == 1):
            return Reply.error(500, delay=self.delay)
        return Reply.text(f"Summary of part {part}.", delay=self.delay)


def overlap(requests) -> int:
    """The largest number of chat requests in flight at once, from the emulator's log."""
    edges = []
    for r in requests:
        edges.append((r.started, 1))
        edges.append((r.started + r.elapsed_s, -1))
    peak = current = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
        current += step
        peak = max(peak, current)
    return peak


async def test_summary_keeps_segments_and_uses_the_text_model(tasks, emu, media):
    recorder = Recorder()
    emu.responder = recorder
    events: list[Progress] = []
    result = await tasks.summarize_long_video(
        str(media.long), segment_seconds=10, progress=events.append
    )
    assert isinstance(result, SummaryResult)
    assert result.complete
    assert result.missing == []
    assert result.summary == "FINAL SUMMARY of the whole video."
    assert result.summary_model == "qwen-plus"
    n = len(result.segments)
    assert 4 <= n <= 5  # 45 s in ~10 s pieces cut at 2 s keyframes
    # contiguous, ordered time ranges covering the video
    assert result.segments[0].start_s == 0
    for a, b in zip(result.segments, result.segments[1:], strict=False):
        assert a.end_s == pytest.approx(b.start_s)
        assert 8 <= a.end_s - a.start_s <= 12
    assert result.segments[-1].end_s == pytest.approx(45, abs=0.5)
    assert [s.summary for s in result.segments] == [
        f"Summary of part {i}." for i in range(1, n + 1)
    ]
    assert all(s.sent and s.sent.media[0].prepared for s in result.segments)
    # the final prompt holds every segment summary with its time range
    [final_prompt] = recorder.final_prompts
    for s in result.segments:
        assert s.summary in final_prompt
    assert "0:00–0:1" in final_prompt
    assert "MISSING" not in final_prompt
    assert result.final is not None
    assert result.final.model == "qwen-plus"
    # one request per segment, plus the final one
    assert len(emu.requests) == n + 1
    # progress: prepare, every segment, then the summary
    seg_events = [e for e in events if e.stage == "segments" and e.done]
    assert [e.done for e in seg_events] == list(range(1, n + 1))
    assert events[-1].stage == "summary"
    assert events[-1].done == 1
    assert "Segments:" in result.to_text()


async def test_a_failed_segment_is_retried_once_then_reported_missing(tasks, emu, media):
    recorder = Recorder(fail_parts={2})
    emu.responder = recorder
    result = await tasks.summarize_long_video(str(media.long), segment_seconds=10)
    assert not result.complete
    seg = result.segments[1]
    assert seg.status == "failed"
    assert seg.attempts == 2
    assert "ServiceError" in seg.error
    assert recorder.calls[2] == 2  # tried once more, not forever
    assert [r.model_dump() for r in result.missing] == [
        {"start_s": seg.start_s, "end_s": seg.end_s}
    ]
    # the reducer is told about the gap instead of pretending the video is whole
    assert "MISSING" in recorder.final_prompts[0]
    assert "do not guess" in recorder.final_prompts[0]
    assert "INCOMPLETE" in result.to_text()


async def test_a_transient_segment_failure_recovers(tasks, emu, media):
    recorder = Recorder(fail_once={1})
    emu.responder = recorder
    result = await tasks.summarize_long_video(str(media.long), segment_seconds=10)
    assert result.complete
    assert result.segments[0].attempts == 2
    assert result.segments[0].summary == "Summary of part 1."


async def test_final_summary_failure_degrades_to_the_segment_list(tasks, emu, media):
    emu.responder = Recorder(final_fails=True)
    result = await tasks.summarize_long_video(str(media.long), segment_seconds=10)
    assert result.final_error
    assert "ServiceError" in result.final_error
    assert "Summary of part 1." in result.summary
    assert "Summary of part 2." in result.summary


async def test_every_segment_failing_is_an_error(tasks, emu, media):
    emu.responder = Recorder(fail_parts={1, 2, 3, 4, 5})
    refusal = await tasks.run_tool(
        "summarize_long_video", {"source": "long.mp4", "segment_seconds": 10}
    )
    assert isinstance(refusal, ToolRefusal)
    assert "no segment" in refusal.message


async def test_segments_run_concurrently_within_the_limit(tasks, emu, media):
    emu.responder = Recorder(delay=0.4)
    tasks.max_concurrency = 2
    started = time.monotonic()
    result = await tasks.summarize_long_video(str(media.long), segment_seconds=10)
    elapsed = time.monotonic() - started
    segment_requests = [r for r in emu.requests if r.model != "qwen-plus"]
    assert overlap(segment_requests) == 2
    n = len(result.segments)
    # ceil(n / 2) waves of 0.4 s; a sequential loop would need n · 0.4 s
    assert elapsed < n * 0.4


async def test_a_short_video_needs_no_final_pass(tasks, emu, media):
    emu.responder = Recorder()
    result = await tasks.summarize_long_video(str(media.clip))
    assert len(result.segments) == 1
    assert result.summary == "Summary of part 1."
    assert result.summary_model is None
    assert all(r.model != "qwen-plus" for r in emu.requests)


async def test_agent_url_is_downloaded_through_the_policy(emu, media, origin):
    from qwen_omni.tasks import AccessPolicy, AsyncOmniTasks

    policy = AccessPolicy(allow_private_hosts=("127.0.0.1",))
    url = origin.serve("/long.mp4", media.long.read_bytes(), headers={"Content-Type": "video/mp4"})
    origin.redirect("/go", "/long.mp4")
    emu.responder = Recorder()
    async with AsyncOmniTasks(
        base_url=emu.base_url, api_key=emu.api_key, policy=policy, max_retries=0
    ) as tasks:
        result = await tasks.run_tool(
            "summarize_long_video", {"source": origin.url("/go"), "segment_seconds": 15}
        )
        assert isinstance(result, SummaryResult), result
        assert result.complete
        assert len(result.segments) >= 3
        assert result.duration_s == pytest.approx(45, abs=0.5)
        assert "/long.mp4" in origin.hits
        # a limit on downloads is enforced while streaming
        small = AsyncOmniTasks(
            base_url=emu.base_url,
            api_key=emu.api_key,
            policy=AccessPolicy(allow_private_hosts=("127.0.0.1",), max_bytes=10_000),
        )
        refusal = await small.run_tool("summarize_long_video", {"source": url})
        assert isinstance(refusal, ToolRefusal)
        assert refusal.reason == "too_large"
        await small.aclose()
