#!/usr/bin/env bash
# Slow clients: 50 uploads that trickle one byte every two seconds and 50 connections that send nothing, against the
# Release service, while an ordinary client sends POST /v1/detect once a second. A request takes an inference slot only
# once its body has arrived, so the ordinary requests must not wait for the slow ones (goal: < 1 s more than without
# them); Kestrel's minimum data rate and header timeout drop the slow and idle connections in the end, and memory stays
# bounded. Prints the ordinary request's latency without and with the slow clients, and the service's RSS.
# Usage: bash tests/load/slow-clients.sh [seconds=60] [slow=50] [idle=50]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/service.sh"
SECONDS_TO_RUN="${1:-60}" SLOW="${2:-50}" IDLE="${3:-50}"
PHOTO="$(find "$ROOT/../shared/data/faces" -name '*.jpg' -not -path '*/_*' | sort | head -1)"

build_release
trap cleanup EXIT
start_service
echo "service pid $SERVICE_PID on $URL; photo $(basename "$PHOTO"); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ordinary N: N detects one second apart; prints one latency (s) per line.
ordinary() {
  for _ in $(seq 1 "$1"); do
    api_curl -o /dev/null -w '%{http_code} %{time_total}\n' -F "image=@$PHOTO" "$URL/v1/detect"
    sleep 1
  done
}
summary() { # label; stdin: lines "status seconds"
  sort -k2 -g | awk -v label="$1" '{ n++; if ($1 != 200) bad++; t[n] = $2 } END {
      printf "%-28s %3d requests, non-200 %d, p50 %.3f s, max %.3f s\n", label, n, bad + 0, t[int((n + 1) / 2)], t[n] }'
}
rss() { awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$SERVICE_PID/status"; }

ordinary 3 >/dev/null   # warm-up
ordinary 10 | summary "without slow clients:"
echo "service rss before: $(rss)"
python3 "$ROOT/tests/load/slow-clients.py" 127.0.0.1 "$PORT" "$SECONDS_TO_RUN" "$SLOW" "$IDLE" "$FACESERVICE_API_KEY" >"$SNAPSHOT/slow.out" &
slow=$!
sleep 5
during="$(ordinary $(( SECONDS_TO_RUN / 2 - 5 )))"
echo "service rss with $SLOW slow + $IDLE idle clients: $(rss)"
wait "$slow"
echo "$during" | summary "with $SLOW slow + $IDLE idle:"
echo "connections (opened / dropped by the service): $(cat "$SNAPSHOT/slow.out")"
echo "service rss after: $(rss); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$during" | awk '$1 != 200 { bad++ } END { exit bad > 0 }'
