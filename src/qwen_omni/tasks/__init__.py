"""Agent tools over Qwen-Omni, framework-neutral: the jobs behind LangChain, LlamaIndex and MCP.

Tools: ``analyze_video``, ``analyze_image``, ``analyze_audio``, ``did_call_mention``,
``caption_product_video``, ``summarize_long_video``, ``transcribe``. Each is one module under
:mod:`qwen_omni.tasks.tools` declaring a :class:`ToolDef`: a pydantic input
(``AnalyzeVideoInput``…), a pydantic result (``AnalyzeResult``…) that also says what was sent
(prepared or not, bytes, tokens, cost), and a job that receives a :class:`TaskContext` and uses
the shared pipeline (:mod:`qwen_omni.tasks.pipeline`). The one registry (:data:`TOOLS`)
generates an async method on :class:`AsyncOmniTasks` and a sync one on :class:`OmniTasks`, the
LangChain tools, the LlamaIndex tool spec, the MCP server and the CLI commands.

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

from qwen_omni.tasks.context import DEFAULT_SUMMARY_MODEL, TaskContext, TaskSettings, Transcriber
from qwen_omni.tasks.jsonout import InvalidModelOutput, parse_model_json, repair_json
from qwen_omni.tasks.pipeline import Answer, JsonOutcome, Piece, ask_about
from qwen_omni.tasks.policy import DEFAULT_MAX_BYTES, AccessPolicy, AccessRefused, CheckedSource
from qwen_omni.tasks.progress import Progress, ProgressCallback
from qwen_omni.tasks.refusal import ToolRefusal, refusal_for
from qwen_omni.tasks.registry import TOOLS, get_tool, refresh
from qwen_omni.tasks.report import RequestReport, SentMedia, UsageReport, cost_cny
from qwen_omni.tasks.sources import ResolvedMedia, check_duration, resolve_media
from qwen_omni.tasks.tool import ToolDef, to_text
from qwen_omni.tasks.toolkit import AsyncOmniTasks, OmniTasks
from qwen_omni.tasks.tools.analyze import (
    AnalyzeAudioInput,
    AnalyzeImageInput,
    AnalyzeResult,
    AnalyzeVideoInput,
)
from qwen_omni.tasks.tools.caption import (
    CaptionProductVideoInput,
    CaptionResult,
    ProductCaption,
)
from qwen_omni.tasks.tools.mention import (
    DidCallMentionInput,
    MentionAnswer,
    MentionResult,
    TopicMention,
)
from qwen_omni.tasks.tools.summarize import (
    SegmentSummary,
    SummarizeLongVideoInput,
    SummaryResult,
    TimeRange,
)
from qwen_omni.tasks.tools.transcribe import (
    ChatAsrTranscriber,
    OmniTranscriber,
    ParaformerTranscriber,
    TranscribeInput,
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
    "Answer",
    "AsyncOmniTasks",
    "CaptionProductVideoInput",
    "CaptionResult",
    "ChatAsrTranscriber",
    "CheckedSource",
    "DidCallMentionInput",
    "InvalidModelOutput",
    "JsonOutcome",
    "MentionAnswer",
    "MentionResult",
    "OmniTasks",
    "OmniTranscriber",
    "ParaformerTranscriber",
    "Piece",
    "ProductCaption",
    "Progress",
    "ProgressCallback",
    "RequestReport",
    "ResolvedMedia",
    "SegmentSummary",
    "SentMedia",
    "SummarizeLongVideoInput",
    "SummaryResult",
    "TaskContext",
    "TaskSettings",
    "TimeRange",
    "ToolDef",
    "ToolRefusal",
    "TopicMention",
    "TranscribeInput",
    "Transcriber",
    "TranscriptResult",
    "TranscriptSegment",
    "UsageReport",
    "ask_about",
    "check_duration",
    "cost_cny",
    "get_tool",
    "parse_model_json",
    "refresh",
    "refusal_for",
    "repair_json",
    "resolve_media",
    "to_text",
    "transcriber_for",
]
