#!/usr/bin/env bash
# The main job: analyze the bundled sample clip with Qwen-Omni.
# With DASHSCOPE_API_KEY set it calls the real service; without it, the local emulator
# (and says so on the first line). Extra arguments go to `qwen-omni analyze`.
source "$(dirname "${BASH_SOURCE[0]}")/_uv.sh"
if [ $# -eq 0 ]; then
  set -- examples/media/sample.mp4 "What happens in this clip? Describe what you see and hear."
fi
exec "${UV[@]}" run --no-sync qwen-omni analyze "$@"
