#!/usr/bin/env bash
# Pool exhaustion: far more concurrent database requests than the connection pool holds. The service must answer each
# at once — 200, or 503 overloaded with Retry-After when every connection is busy for a second — and never leave a
# request waiting inside the pool until it times out (15 s) as 503 database_unavailable.
# Usage: bash tests/load/pool-exhaustion.sh [requests=2000] [concurrency=200] [pool=10]
set -euo pipefail
REQUESTS="${1:-2000}" CONCURRENCY="${2:-200}" POOL="${3:-10}"
source "$(dirname "${BASH_SOURCE[0]}")/service.sh"
FACESERVICE_DB="$FACESERVICE_DB;Maximum Pool Size=$POOL"

build_release
trap cleanup EXIT
start_service
echo "service pid $SERVICE_PID: pool of $POOL connections; $REQUESTS requests, $CONCURRENCY at once; load average $(cut -d' ' -f1-3 /proc/loadavg)"
# A mix of reads that each take a connection: the audit log (a sort), the collections (a scan), the keys.
started=$(date +%s%N)
seq 1 "$REQUESTS" | xargs -P "$CONCURRENCY" -I{} sh -c '
  case $(( {} % 3 )) in 0) path="/v1/audit?limit=1000" ;; 1) path="/v1/collections" ;; *) path="/v1/keys" ;; esac
  curl -s -o /dev/null -H "X-API-Key: $FACESERVICE_API_KEY" -w "%{http_code} %{time_total}\n" "'"$URL"'$path"' >"$SNAPSHOT/answers"
echo "answered in $(( ($(date +%s%N) - started) / 1000000 )) ms:"
awk '{ print $1 }' "$SNAPSHOT/answers" | sort | uniq -c | awk '{ printf "  %s: %s\n", $2, $1 }'
sort -k2 -g "$SNAPSHOT/answers" | awk '{ t[++n] = $2 } END { printf "latency p50 %.3f s, p99 %.3f s, max %.3f s\n", t[int(n * 0.5)], t[int(n * 0.99)], t[n] }'
grep -c "database_unavailable" "$SERVICE_LOG" | xargs -I{} echo "database_unavailable answers in the service log: {}"
# Only 200 and 503 (overloaded) are acceptable, and none may have waited for the pool's timeout.
awk '$1 != 200 && $1 != 503 { bad++ } $2 > 5 { slow++ } END { exit (bad + slow) > 0 }' "$SNAPSHOT/answers"
