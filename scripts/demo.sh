#!/usr/bin/env bash
# The main job on the embedded defaults: sandbox ERP + mail rig + demo data + the
# cash-application run, ending with a summary and the URL of the review queue.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export OMP_THREAD_LIMIT=1 PREFECT_SERVER_ANALYTICS_ENABLED=false
exec .venv/bin/o2c demo "$@"
