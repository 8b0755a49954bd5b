"""The agent tools, one module each (each defines ``TOOL`` or ``TOOLS``).

Adding a module here adds a tool everywhere: :mod:`qwen_omni.tasks.registry` finds it, and the
toolkit methods, LangChain tools, LlamaIndex tool spec, MCP server and CLI are generated from it.
"""
