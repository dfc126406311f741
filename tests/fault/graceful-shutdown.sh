#!/usr/bin/env bash
# Graceful shutdown: SIGTERM in the middle of a burst of verify requests (two faces each, so the recognition
# micro-batcher has queued work). Checks and prints: every request the service accepted completed with 200 (none cut
# off: no empty reply, no reset, no 5xx), requests after the stop were refused at connect, and the process exited 0
# within the host's shutdown timeout.
# Usage: bash tests/fault/graceful-shutdown.sh   (env: BURST=16 SIGNAL_AFTER_MS=1500; needs models/ and PostgreSQL)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../load/service.sh"

BURST="${BURST:-16}"
SIGNAL_AFTER_MS="${SIGNAL_AFTER_MS:-1500}"
PHOTOS="$ROOT/../shared/data/faces"
RESULTS="$(mktemp -d -t shutdown-XXXX)"

failures=0
check() { if [[ "$2" == 0 ]]; then echo "PASS  $1"; else echo "FAIL  $1"; failures=$((failures + 1)); fi; }

build_release
trap 'cleanup; rm -rf "$RESULTS"' EXIT
# Queued requests wait as long as it takes here: the point is that queued work also completes during shutdown.
start_service --Concurrency:MaxQueueWaitMs=120000
pid=$SERVICE_PID
mapfile -t photos < <(awk -F'\t' 'NR > 1 && $2 !~ /^_/ { print $1 }' "$PHOTOS/manifest.tsv" | head -n $((BURST + 1)))
echo "service pid $pid; $BURST concurrent verify requests, SIGTERM after $SIGNAL_AFTER_MS ms"

for i in $(seq 1 "$BURST"); do
  ( out=$(api_curl -o /dev/null -w '%{http_code} %{time_total}' --max-time 120 \
        -F "image1=@$PHOTOS/${photos[$i - 1]}" -F "image2=@$PHOTOS/${photos[$i]}" "$URL/v1/verify") && rc=0 || rc=$?
    echo "$out curl_exit=$rc" >"$RESULTS/$i" ) &
done
sleep "$(awk -v ms="$SIGNAL_AFTER_MS" 'BEGIN { print ms / 1000 }')"
signal_at=$(date +%s%3N)
kill -TERM "$pid"
exit_code=0
wait "$pid" || exit_code=$?
exited_after_ms=$(( $(date +%s%3N) - signal_at ))
SERVICE_PID=""
wait   # the curl workers
late=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/health/live" || true)

echo "--- answers (status, seconds, curl exit):"
sort "$RESULTS"/* | uniq -c
completed=$(cat "$RESULTS"/* | grep -c '^200 ' || true)
refused=$(cat "$RESULTS"/* | grep -c 'curl_exit=7$' || true)     # could not connect: not accepted
cut_off=$(( BURST - completed - refused ))
check "$completed requests completed with 200 after the signal arrived mid-burst" "$([[ $completed -gt 0 ]]; echo $?)"
check "no accepted request was cut off or failed ($cut_off; $refused refused at connect)" "$([[ $cut_off == 0 ]]; echo $?)"
check "the process exited with code $exit_code, $exited_after_ms ms after SIGTERM (host shutdown timeout 30 s)" \
  "$([[ $exit_code == 0 && $exited_after_ms -lt 30000 ]]; echo $?)"
check "nothing listens after exit (got '$late')" "$([[ $late == 000 ]]; echo $?)"
errors=$(grep -c '"@l":"\(Error\|Fatal\)"' "$SERVICE_LOG" || true)
check "no error in the service log during shutdown ($errors)" "$([[ $errors == 0 ]]; echo $?)"

echo "--- $failures failed check(s)"
exit $(( failures > 0 ))
