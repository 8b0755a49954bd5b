"""See what a file would cost before sending it: tokens, bytes, CNY, inline or upload, splits.

Nothing is sent; no key needed.

    uv run python examples/plan_costs.py [path/to/media]
"""

import sys
from pathlib import Path

from qwen_omni.media import plan_media

source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "media" / "sample.mp4"
for model in ("qwen3-omni-flash", "qwen3.5-omni-plus", "qwen-omni-turbo"):
    plan = plan_media(source, model=model, region="beijing")
    print(plan.summary(), end="\n\n")
