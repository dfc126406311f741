#!/usr/bin/env bash
# Soak: the Release service under steady load for a fixed time, with its memory sampled throughout.
# Usage: bash tests/load/soak.sh [seconds=600] [concurrency=8] [endpoint=identify; mixed: every endpoint, with erasures]
#   env: WARMUP_SECONDS=120 (load before the measured run), SAMPLE_SECONDS=20, MEMORY_TSV=FILE (keep the samples),
#        SKIP_BUILD=1; the service inherits the environment (e.g. MALLOC_ARENA_MAX, DOTNET_GCgen0size).
# Prints throughput, p50/p99, answers by status, and the memory trend: RSS, GC heap and committed, native (RSS anon
# minus GC committed) and threads at start, after warm-up and at the end, their slopes over the last half of the
# run, and a verdict on RSS; the faces table and its search index (size, dead rows, autovacuum runs) at start, after
# warm-up and at the end. Exits non-zero on any error answer.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/service.sh"
SECONDS_TO_RUN="${1:-600}" CONCURRENCY="${2:-8}" ENDPOINT="${3:-identify}"
WARMUP_SECONDS="${WARMUP_SECONDS:-120}" SAMPLE_SECONDS="${SAMPLE_SECONDS:-20}"
MEMORY_TSV="${MEMORY_TSV:-$(mktemp -t soak-memory-XXXX.tsv)}"

build_release
trap cleanup EXIT
start_service
echo "service pid $SERVICE_PID on $URL (log $SERVICE_LOG); memory samples every $SAMPLE_SECONDS s in $MEMORY_TSV"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
db_report "database at start:"
sample_memory "$MEMORY_TSV" "$SAMPLE_SECONDS" &
sampler=$!
started=$(date +%s)
# Warm-up, so that the "after warm-up" figure is past JIT, model arenas and pool growth rather than right after start.
load_client --concurrency "$CONCURRENCY" --seconds "$WARMUP_SECONDS" --endpoint "$ENDPOINT" --pid "$SERVICE_PID" \
  --collection soak --report-seconds "$WARMUP_SECONDS" | tail -3
warmed_up_at=$(( $(date +%s) - started ))
db_report "database after warm-up:"
status=0
load_client --concurrency "$CONCURRENCY" --seconds "$SECONDS_TO_RUN" --endpoint "$ENDPOINT" --pid "$SERVICE_PID" \
  --collection soak || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
db_report "database at the end:"
kill "$sampler" 2>/dev/null || true
memory_report "$MEMORY_TSV" "$warmed_up_at"
exit "$status"
