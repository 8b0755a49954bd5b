"""``python -m qwen_omni.emulator``."""

from qwen_omni.emulator.server import main

raise SystemExit(main())
