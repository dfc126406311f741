#!/usr/bin/env bash
# Database outage under load: the Release service takes enrollments (two photos each) while PostgreSQL is stopped for
# a few seconds and started again. Checks and prints:
#   1. during the outage, requests fail fast with 503 database_unavailable + Retry-After (no 500, no hang, no timeout);
#   2. the service recovers by itself (same process, enrollments succeed again, /health/ready is 200);
#   3. every enrollment answered 201 is in the database with both faces (queried by face id);
#   4. no half-written rows: every subject of the run has exactly two faces with 128-byte codes, and the API's count
#      equals the table's.
# Exits non-zero when a check fails. Needs root (pg_ctlcluster) and a local PostgreSQL 15 cluster "main"; it affects
# every client of that cluster, so it refuses to run while a `dotnet test` runs (FORCE=1 overrides).
# Usage: sudo bash tests/fault/db-restart.sh    (env: OUTAGE_SECONDS=5 LOAD_SECONDS=45 FAIL_FAST_MS=5000 PG_CLUSTER="15 main")
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../load/service.sh"

OUTAGE_SECONDS="${OUTAGE_SECONDS:-5}"
LOAD_SECONDS="${LOAD_SECONDS:-45}"
FAIL_FAST_MS="${FAIL_FAST_MS:-5000}"
PG_CLUSTER="${PG_CLUSTER:-15 main}"
PSQL_URL="${PSQL_URL:-postgresql://faceservice:faceservice@localhost:5432/faceservice}"
COLLECTION="fault-dbrestart"
LOG="$(mktemp -t dbrestart-XXXX.tsv)"

if [[ $EUID -ne 0 ]]; then echo "needs root (pg_ctlcluster)" >&2; exit 2; fi
if [[ "${FORCE:-0}" != 1 ]] && pgrep -f "dotnet test" >/dev/null; then
  echo "a 'dotnet test' is running and would see the outage; retry later or set FORCE=1" >&2; exit 2
fi

failures=0
check() { # check "description" condition-exit-status
  if [[ "$2" == 0 ]]; then echo "PASS  $1"; else echo "FAIL  $1"; failures=$((failures + 1)); fi
}
sql() { psql "$PSQL_URL" -At -v ON_ERROR_STOP=1 -c "$1"; }
now_ms() { date +%s%3N; }

build_release
trap 'pg_ctlcluster $PG_CLUSTER start 2>/dev/null || true; cleanup; rm -f "$LOG"' EXIT
start_service
pid_before=$SERVICE_PID
sql "DELETE FROM faces WHERE collection = '$COLLECTION'" >/dev/null
echo "service pid $SERVICE_PID on $URL; enrolling into '$COLLECTION' for $LOAD_SECONDS s; outage of $OUTAGE_SECONDS s"

load_client --endpoint enroll --collection "$COLLECTION" --concurrency 4 --seconds "$LOAD_SECONDS" --report-seconds 10 \
  --timeout-ms 30000 --log "$LOG" &
load_pid=$!
sleep 15
outage_start=$(now_ms)
pg_ctlcluster $PG_CLUSTER stop -m fast
echo "PostgreSQL stopped at +15 s"
sleep "$OUTAGE_SECONDS"
pg_ctlcluster $PG_CLUSTER start
outage_end=$(now_ms)
echo "PostgreSQL started again after $(( (outage_end - outage_start) / 1000 )) s"
wait "$load_pid" || true   # the load client exits 1 when any request failed, which is expected here

# Columns of the log: start unix ms, latency ms, status, code, Retry-After, face ids (;-separated).
total=$(wc -l <"$LOG")
echo "--- $total requests; answers: $(cut -f3,4 "$LOG" | sort | uniq -c | tr -s ' ' | tr '\n' ',' )"

bad=$(awk -F'\t' '$3 != 201 && !($3 == 503 && $4 == "database_unavailable")' "$LOG" | wc -l)
check "every answer is 201 or 503 database_unavailable (others: $bad)" "$([[ $bad == 0 ]]; echo $?)"
outage_503=$(awk -F'\t' '$3 == 503' "$LOG" | wc -l)
check "the outage was seen: $outage_503 answers 503 database_unavailable" "$([[ $outage_503 -gt 0 ]]; echo $?)"
no_retry=$(awk -F'\t' '$3 == 503 && $5 == ""' "$LOG" | wc -l)
check "every 503 carries Retry-After (missing: $no_retry)" "$([[ $no_retry == 0 ]]; echo $?)"
slowest_503=$(awk -F'\t' '$3 == 503 { if ($2 > m) m = $2 } END { printf "%d", m }' "$LOG")
check "503s fail fast: slowest $slowest_503 ms <= $FAIL_FAST_MS ms" "$([[ $slowest_503 -le $FAIL_FAST_MS ]]; echo $?)"
after_ok=$(awk -F'\t' -v t="$outage_end" '$1 > t + 2000 && $3 == 201' "$LOG" | wc -l)
after_bad=$(awk -F'\t' -v t="$outage_end" '$1 > t + 2000 && $3 != 201' "$LOG" | wc -l)
check "recovered without a restart: $after_ok enrollments 201 and $after_bad failures from 2 s after the restart" \
  "$([[ $after_ok -gt 0 && $after_bad == 0 ]]; echo $?)"
ready=$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready")
check "same process (pid $pid_before alive) and /health/ready answers $ready" "$(kill -0 "$pid_before" && [[ $ready == 200 ]]; echo $?)"

acked_ids=$(awk -F'\t' '$3 == 201 { print $6 }' "$LOG" | tr ';' '\n' | grep -v '^$' | sort -u)
acked=$(grep -c . <<<"$acked_ids" || true)
acked_requests=$(awk -F'\t' '$3 == 201' "$LOG" | wc -l)
id_list=$(sed "s/.*/'&'/" <<<"$acked_ids" | paste -sd,)
stored=$(sql "SELECT count(*) FROM faces WHERE collection = '$COLLECTION' AND face_id IN ($id_list)")
check "every acknowledged face is stored: $stored of $acked face ids ($acked_requests enrollments x 2)" \
  "$([[ $stored == "$acked" && $acked == $((acked_requests * 2)) ]]; echo $?)"
uneven=$(sql "SELECT count(*) FROM (SELECT subject FROM faces WHERE collection = '$COLLECTION' GROUP BY subject HAVING count(*) <> 2) s")
bad_codes=$(sql "SELECT count(*) FROM faces WHERE collection = '$COLLECTION' AND (octet_length(code) <> 128 OR embedding IS NULL)")
check "no half-written enrollments: $uneven subjects without exactly 2 faces, $bad_codes faces without a valid code" \
  "$([[ $uneven == 0 && $bad_codes == 0 ]]; echo $?)"
rows=$(sql "SELECT count(*) FROM faces WHERE collection = '$COLLECTION'")
api_rows=$(api_curl "$URL/v1/collections" | grep -o "\"collection\":\"$COLLECTION\"[^}]*\"faceCount\":[0-9]*" | grep -o '[0-9]*$' || echo 0)
check "the API counts $api_rows faces, the table $rows (unacknowledged but committed: $((rows - stored)))" "$([[ $api_rows == "$rows" ]]; echo $?)"

sql "DELETE FROM faces WHERE collection = '$COLLECTION'" >/dev/null
echo "--- $failures failed check(s)"
exit $(( failures > 0 ))
