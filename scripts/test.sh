#!/usr/bin/env bash
# Run the whole test suite (unit, golden, integration with real servers, e2e).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not integration"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export OMP_THREAD_LIMIT=1 PREFECT_SERVER_ANALYTICS_ENABLED=false
exec .venv/bin/python -m pytest "$@"
