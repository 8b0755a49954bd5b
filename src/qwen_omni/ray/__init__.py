"""Ingestion of media libraries on Ray Data (``pip install 'qwen-omni[ray]'``).

- ``media_dataset(folder_or_manifest)``: a dataset of ``path``/``url`` rows.
- ``analyze_dataset(ds, prompt=..., rate_limit=RateLimit(rpm, tpm, max_in_flight), cache=...,
  budget_cny=...)``: one output row per input row, within cluster-wide limits and a budget.
- ``ingest(folder, out="results.parquet", on_progress=...)``: the two above, run to the end
  (what ``qwen-omni ingest`` does).
- ``init_ray(address=None)``: join a cluster, or start a local loopback-only one.
"""

from qwen_omni.ray.actors import Progress
from qwen_omni.ray.cluster import init_ray
from qwen_omni.ray.dataset import (
    MEDIA_SUFFIXES,
    IngestResult,
    analyze_dataset,
    ingest,
    media_dataset,
)
from qwen_omni.ray.limits import RateLimit

__all__ = [
    "MEDIA_SUFFIXES",
    "IngestResult",
    "Progress",
    "RateLimit",
    "analyze_dataset",
    "init_ray",
    "ingest",
    "media_dataset",
]
