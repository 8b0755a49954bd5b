import langchain_qwen_omni

EXPECTED_ALL = [
    "AnalyzeAudioTool",
    "AnalyzeImageTool",
    "AnalyzeVideoTool",
    "CaptionProductVideoTool",
    "ChatQwenOmni",
    "QwenOmniMediaCache",
    "DidCallMentionTool",
    "QwenOmniMediaLoader",
    "QwenOmniTool",
    "QwenOmniToolkit",
    "SummarizeLongVideoTool",
    "TranscribeTool",
    "__version__",
    "get_audio",
]


def test_all_imports() -> None:
    assert sorted(langchain_qwen_omni.__all__) == sorted(EXPECTED_ALL)
    for name in EXPECTED_ALL:
        assert getattr(langchain_qwen_omni, name) is not None
