# Sourced by the scripts: find or install uv, then sync the workspace (all packages, all extras).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
  UV=(python3 -m uv)
else
  echo "installing uv (the workspace manager) with pip…" >&2
  python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
  UV=(python3 -m uv)
fi
"${UV[@]}" sync --quiet --all-packages --all-extras --locked
