"""``python -m qwen_omni_emulator``."""

from qwen_omni_emulator.server import main

raise SystemExit(main())
