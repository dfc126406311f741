#!/usr/bin/env bash
# Overload: far more concurrent clients than the service runs at once, with a small queue. The service must shed the
# excess at once with 503 overloaded + Retry-After while the requests it accepts keep a bounded latency.
# Usage: bash tests/load/overload.sh [concurrency=64] [seconds=60]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/service.sh"
CONCURRENCY="${1:-64}" SECONDS_TO_RUN="${2:-60}"

build_release
trap cleanup EXIT
start_service --Concurrency:MaxConcurrentRequests=4 --Concurrency:MaxQueuedRequests=8 --Concurrency:MaxQueueWaitMs=5000
echo "service pid $SERVICE_PID: 4 running, 8 queued at most"
load_client --concurrency "$CONCURRENCY" --seconds "$SECONDS_TO_RUN" --endpoint detect --pid "$SERVICE_PID" \
  --report-seconds 20 --timeout-ms 30000 || true   # errors (the 503s) are the point here
