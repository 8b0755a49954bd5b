# Sourced by the scripts: find or install uv, then sync the workspace (all packages, all extras).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
  UV=(python3 -m uv)
elif [ -x .tools/bin/uv ]; then
  UV=("$PWD/.tools/bin/uv")
else
  # A private virtual environment for the tool itself: works where pip may not install into
  # the system Python (PEP 668 "externally managed" distributions).
  echo "installing uv (the workspace manager) into .tools/ with pip…" >&2
  python3 -m venv .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check uv
  UV=("$PWD/.tools/bin/uv")
fi
"${UV[@]}" sync --quiet --all-packages --all-extras --locked
