"""Agent tools over Qwen-Omni, framework-neutral: the jobs behind LangChain, LlamaIndex and MCP.

Tools: ``analyze_video``, ``analyze_image``, ``analyze_audio``, ``did_call_mention``,
``caption_product_video``, ``summarize_long_video``, ``transcribe``. Each has a pydantic input
(``AnalyzeVideoInput``…), a pydantic result (``AnalyzeResult``…) that also says what was sent
(prepared or not, bytes, tokens, cost), an async method on :class:`AsyncOmniTasks` and a sync
one on :class:`OmniTasks`.

Direct calls are the user's own and read what the user names::

    from qwen_omni.tasks import OmniTasks
    tasks = OmniTasks()
    print(tasks.did_call_mention("call.mp3", ["pricing", "a refund"]).to_text())

Agent calls go through the registry (:data:`TOOLS`, :meth:`AsyncOmniTasks.run_tool`): the
:class:`AccessPolicy` applies, and refusals come back as :class:`ToolRefusal` messages::

    tasks = AsyncOmniTasks(policy=AccessPolicy(roots=["/srv/media"]))
    for tool in TOOLS:
        result = await tool.arun(tasks, arguments_from_the_agent)
        agent_sees = to_text(result)
"""

from __future__ import annotations

from qwen_omni.tasks.analyze import (
    AnalyzeAudioInput,
    AnalyzeImageInput,
    AnalyzeResult,
    AnalyzeVideoInput,
)
from qwen_omni.tasks.caption import CaptionProductVideoInput, CaptionResult, ProductCaption
from qwen_omni.tasks.jsonout import InvalidModelOutput, parse_model_json, repair_json
from qwen_omni.tasks.mention import (
    DidCallMentionInput,
    MentionAnswer,
    MentionResult,
    TopicMention,
)
from qwen_omni.tasks.policy import DEFAULT_MAX_BYTES, AccessPolicy, AccessRefused, CheckedSource
from qwen_omni.tasks.progress import Progress, ProgressCallback
from qwen_omni.tasks.refusal import ToolRefusal, refusal_for
from qwen_omni.tasks.registry import TOOLS, ToolDef, get_tool, to_text
from qwen_omni.tasks.report import RequestReport, SentMedia, UsageReport, cost_cny
from qwen_omni.tasks.summarize import (
    SegmentSummary,
    SummarizeLongVideoInput,
    SummaryResult,
    TimeRange,
)
from qwen_omni.tasks.toolkit import DEFAULT_SUMMARY_MODEL, AsyncOmniTasks, OmniTasks
from qwen_omni.tasks.transcribe import (
    ChatAsrTranscriber,
    OmniTranscriber,
    ParaformerTranscriber,
    TranscribeInput,
    Transcriber,
    TranscriptResult,
    TranscriptSegment,
    transcriber_for,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_SUMMARY_MODEL",
    "TOOLS",
    "AccessPolicy",
    "AccessRefused",
    "AnalyzeAudioInput",
    "AnalyzeImageInput",
    "AnalyzeResult",
    "AnalyzeVideoInput",
    "AsyncOmniTasks",
    "CaptionProductVideoInput",
    "CaptionResult",
    "ChatAsrTranscriber",
    "CheckedSource",
    "DidCallMentionInput",
    "InvalidModelOutput",
    "MentionAnswer",
    "MentionResult",
    "OmniTasks",
    "OmniTranscriber",
    "ParaformerTranscriber",
    "ProductCaption",
    "Progress",
    "ProgressCallback",
    "RequestReport",
    "SegmentSummary",
    "SentMedia",
    "SummarizeLongVideoInput",
    "SummaryResult",
    "TimeRange",
    "ToolDef",
    "ToolRefusal",
    "TopicMention",
    "TranscribeInput",
    "Transcriber",
    "TranscriptResult",
    "TranscriptSegment",
    "UsageReport",
    "cost_cny",
    "get_tool",
    "parse_model_json",
    "refusal_for",
    "repair_json",
    "to_text",
    "transcriber_for",
]
