#!/usr/bin/env bash
# Soak: the Release service under steady load for a fixed time, with its memory at start and end.
# Usage: bash tests/load/soak.sh [seconds=600] [concurrency=8] [endpoint=identify]
# Prints throughput, p50/p99, answers by status and the service's RSS; exits non-zero on any error answer.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/service.sh"
SECONDS_TO_RUN="${1:-600}" CONCURRENCY="${2:-8}" ENDPOINT="${3:-identify}"

build_release
trap cleanup EXIT
start_service
echo "service pid $SERVICE_PID on $URL (log $SERVICE_LOG)"
# Warm-up, so that the start figure is after JIT, model warm-up and pool growth rather than right after start-up.
load_client --concurrency "$CONCURRENCY" --seconds 30 --endpoint "$ENDPOINT" --pid "$SERVICE_PID" --collection soak --report-seconds 30 | tail -3
load_client --concurrency "$CONCURRENCY" --seconds "$SECONDS_TO_RUN" --endpoint "$ENDPOINT" --pid "$SERVICE_PID" --collection soak
