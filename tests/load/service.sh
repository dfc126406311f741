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
