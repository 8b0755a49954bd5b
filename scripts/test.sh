#!/usr/bin/env bash
# Run everything CI runs: lint, types, then every test suite (unit, integration over the local
# emulator, the integrations' standard suites; live tests skip without DASHSCOPE_API_KEY).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k wire`.
source "$(dirname "${BASH_SOURCE[0]}")/_uv.sh"
# the packaging test builds the wheels and installs them into clean venvs with this uv
export QWEN_OMNI_UV="${UV[*]}"
echo "== ruff"; "${UV[@]}" run --no-sync ruff check .
echo "== mypy"; "${UV[@]}" run --no-sync mypy
echo "== pytest"
set +e
"${UV[@]}" run --no-sync pytest "$@"
status=$?
set -e
# pytest exits 5 when a -k filter selects nothing: that is not a failure of the code.
if [ "$status" -eq 5 ]; then exit 0; fi
exit "$status"
