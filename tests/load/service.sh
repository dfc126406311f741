# Sourced by the load and fault scripts: runs the Release build of the service on loopback in the background.
# Needs: models/ built, PostgreSQL reachable with FACESERVICE_DB (default: the faceservice database of deploy/db).
# Sets SERVICE_PID; stop_service sends SIGTERM and waits (graceful shutdown); cleanup also removes the snapshot.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${PORT:-18080}"
URL="http://127.0.0.1:$PORT"
FACESERVICE_DB="${FACESERVICE_DB:-Host=localhost;Port=5432;Database=faceservice;Username=faceservice;Password=faceservice}"
SERVICE_LOG="${SERVICE_LOG:-$(mktemp -t faceservice-XXXX.log)}"
SERVICE_PID=""
# A throwaway bootstrap admin key for this run (the service refuses anonymous requests); the load client and curl
# send it. Per-key rate limits are off: these scripts measure the service, not the limits of one key.
export FACESERVICE_API_KEY="${FACESERVICE_API_KEY:-load-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
# The service and the load client run from a private copy of their Release output, so that a build running meanwhile
# (other work in the same checkout) cannot replace assemblies under a running process.
SNAPSHOT="$(mktemp -d -t faceservice-bin-XXXX)"

# build_release: builds both (skipped with SKIP_BUILD=1: use the last build), then snapshots their output.
build_release() {
  if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    (cd "$ROOT" && dotnet build src/FaceService.Api -c Release -v q -nologo -clp:ErrorsOnly && dotnet build src/FaceService.Bench -c Release -v q -nologo -clp:ErrorsOnly)
  fi
  cp -r "$ROOT/src/FaceService.Api/bin/Release/net10.0" "$SNAPSHOT/api"
  cp -r "$ROOT/src/FaceService.Bench/bin/Release/net10.0" "$SNAPSHOT/bench"
}

# start_service [extra --Key=value settings...]
start_service() {
  (cd "$SNAPSHOT/api" && exec env ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__FaceStore="$FACESERVICE_DB" \
     Auth__BootstrapAdminKey="$FACESERVICE_API_KEY" RateLimit__Enabled=false \
     dotnet FaceService.Api.dll --urls "$URL" --Inference:ModelsPath="$ROOT/models" \
     --Serilog:MinimumLevel:Default=Warning "$@" >"$SERVICE_LOG" 2>&1) &
  SERVICE_PID=$!
  for _ in $(seq 1 120); do
    if curl -fsS "$URL/health/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$SERVICE_PID" 2>/dev/null; then echo "service exited; log: $SERVICE_LOG" >&2; tail -20 "$SERVICE_LOG" >&2; return 1; fi
    sleep 1
  done
  echo "service not ready after 120 s; log: $SERVICE_LOG" >&2
  return 1
}

stop_service() {
  if [[ -n "$SERVICE_PID" ]] && kill -0 "$SERVICE_PID" 2>/dev/null; then
    kill -TERM "$SERVICE_PID"
    wait "$SERVICE_PID" 2>/dev/null || true
  fi
  SERVICE_PID=""
}

cleanup() {
  stop_service
  rm -rf "$SNAPSHOT"
}

# api_curl ARGS...: curl with the run's key.
api_curl() { curl -s -H "X-API-Key: $FACESERVICE_API_KEY" "$@"; }

# load_client ARGS...: the bench `load` mode (src/FaceService.Bench/LoadTest.cs).
load_client() {
  (cd "$ROOT" && dotnet "$SNAPSHOT/bench/FaceService.Bench.dll" load --url "$URL" "$@")
}

# --- Memory sampling (soak.sh; usable from any script that started the service).
# sample_memory FILE SECONDS: appends one line every SECONDS until the service exits (run it in the background):
#   t_s  rss  anon  file  gc_committed  gc_heap  native  threads  gen2  load1   (sizes in MiB)
# rss/anon/file: /proc/<pid>/status VmRSS/RssAnon/RssFile. gc_committed and gc_heap: the GC's memory committed and the
# heap's size (all generations) after the last collection, from /metrics (System.Runtime meter). native = anon -
# gc_committed: what is neither the managed heap nor mapped files (ONNX Runtime arenas, malloc, thread stacks, Skia).
# gen2: gen-2 collections so far; load1: the machine's 1-minute load average.
sample_memory() {
  local file="$1" every="$2" start status metrics
  start=$(date +%s)
  printf 't_s\trss\tanon\tfile\tgc_committed\tgc_heap\tnative\tthreads\tgen2\tload1\n' >"$file"
  while kill -0 "$SERVICE_PID" 2>/dev/null; do
    status=$(cat "/proc/$SERVICE_PID/status" 2>/dev/null) || break
    metrics=$(api_curl --max-time 5 "$URL/metrics" 2>/dev/null) || metrics=""
    awk -v t="$(( $(date +%s) - start ))" -v status="$status" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
      BEGIN { n = split(status, lines, "\n")
              for (i = 1; i <= n; i++) { split(lines[i], f, /[ \t]+/); s[f[1]] = f[2] } }
      /^system_runtime_dotnet_gc_last_collection_memory_committed_size / { committed = $2 }
      /^system_runtime_dotnet_gc_last_collection_heap_size\{/ { heap += $2 }
      /^system_runtime_dotnet_gc_collections\{gc_heap_generation="gen2"\}/ { gen2 = $2 }
      END { mib = 1024 * 1024
            printf "%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t%d\t%s\n", t, s["VmRSS:"] / 1024, s["RssAnon:"] / 1024,
              s["RssFile:"] / 1024, committed / mib, heap / mib, s["RssAnon:"] / 1024 - committed / mib, s["Threads:"], gen2, load }
    ' <<<"$metrics" >>"$file"
    sleep "$every"
  done
}

# memory_report FILE FROM_S: the samples at start, at FROM_S (end of warm-up) and at the end, the least-squares slope
# of each size over the second half of [FROM_S, end] in MiB per hour, a verdict on resident memory (FLAT when the mean
# RSS of the last quarter after warm-up exceeds that of the second quarter by at most 2%, 16 MiB at least), and the
# machine's load average.
memory_report() {
  awk -F'\t' -v from="$2" -v cores="$(nproc)" '
    NR == 1 { next }
    { n++; for (c = 1; c <= 10; c++) v[n, c] = $c }
    END {
      if (n < 4) { print "memory: too few samples"; exit }
      names = "t_s rss anon file gc_committed gc_heap native threads gen2"; split(names, name, " ")
      for (i = 1; i <= n && v[i, 1] < from; i++); w = (i <= n) ? i : n
      half = v[w, 1] + (v[n, 1] - v[w, 1]) / 2
      for (h = w; h < n && v[h, 1] < half; h++);
      printf "memory (MiB)        %8s %8s %8s %8s %12s %8s %8s %8s\n", "rss", "anon", "file", "gc_heap", "gc_committed", "native", "threads", "gen2"
      row("start", 1); row("after warm-up", w); row("end", n)
      printf "slope, last half (%d..%d s, %d samples), MiB/h:", v[h, 1], v[n, 1], n - h + 1
      for (c = 2; c <= 7; c++) printf " %s %+.1f", name[c], slope(h, n, c)
      printf "\n"
      # Verdict on quarter means, which the GC saw-tooth (tens of MiB each way) does not swing like single samples.
      q = (v[n, 1] - v[w, 1]) / 4
      growth = mean(w, v[w, 1] + 3 * q, v[n, 1], 2) - mean(w, v[w, 1] + q, v[w, 1] + 2 * q, 2)
      native = mean(w, v[w, 1] + 3 * q, v[n, 1], 7) - mean(w, v[w, 1] + q, v[w, 1] + 2 * q, 7)
      limit = 0.02 * v[n, 2]; if (limit < 16) limit = 16
      printf "verdict: rss %s: mean of the last quarter minus the second quarter after warm-up %+.0f MiB (native %+.0f MiB); allowance 2%% of rss, at least 16 MiB = %.0f MiB\n",
        (growth <= limit ? "FLAT" : "GROWING"), growth, native, limit
      for (i = w; i <= n; i++) { load += v[i, 10]; if (v[i, 10] > peak) peak = v[i, 10] }
      printf "machine load average (1 min) after warm-up: mean %.1f, peak %.1f on %s cores\n", load / (n - w + 1), peak, cores
    }
    function row(label, i) { printf "  %-17s %8d %8d %8d %8d %12d %8d %8d %8d  (t=%d s)\n", label, v[i, 2], v[i, 3], v[i, 4], v[i, 6], v[i, 5], v[i, 7], v[i, 8], v[i, 9], v[i, 1] }
    function mean(a, from_t, to_t, c,   i, k, sum) {
      for (i = a; i <= n; i++) if (v[i, 1] >= from_t && v[i, 1] <= to_t) { k++; sum += v[i, c] }
      return k ? sum / k : 0
    }
    function slope(a, b, c,   i, k, sx, sy, sxx, sxy, x) {
      for (i = a; i <= b; i++) { x = v[i, 1] / 3600; k++; sx += x; sy += v[i, c]; sxx += x * x; sxy += x * v[i, c] }
      return (k * sxx - sx * sx) == 0 ? 0 : (k * sxy - sx * sy) / (k * sxx - sx * sx)
    }
  ' "$1"
}

# --- Database size (soak.sh): the faces table, its search index, dead rows and autovacuum, from FACESERVICE_DB.
# db_report LABEL: one line.
db_report() {
  local key value
  declare -A part=()
  IFS=';' read -ra fields <<<"$FACESERVICE_DB"
  for field in "${fields[@]}"; do key="${field%%=*}"; value="${field#*=}"; part["${key,,}"]="$value"; done
  PGPASSWORD="${part[password]:-}" psql -h "${part[host]:-localhost}" -p "${part[port]:-5432}" -U "${part[username]:-faceservice}" \
    -d "${part[database]:-faceservice}" -At -F ' ' -c "
    SELECT '$1', 'faces ' || pg_size_pretty(pg_total_relation_size('faces')),
           'index ' || pg_size_pretty(pg_relation_size('faces_embedding_hnsw')),
           'rows ' || n_live_tup, 'dead ' || n_dead_tup, 'autovacuums ' || autovacuum_count,
           'last ' || coalesce(to_char(last_autovacuum, 'HH24:MI:SS'), 'never')
    FROM pg_stat_user_tables WHERE relname = 'faces'" 2>&1 || echo "$1 (database size: psql failed)"
}
