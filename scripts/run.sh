#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh) and runs FaceService on http://localhost:8080 (Swagger UI at /swagger).
# Usage: sudo bash scripts/run.sh [extra dotnet run arguments]   (FACESERVICE_URLS overrides the listen address)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"

# The connection string defaults to the database create-database.sh made (src/FaceService.Api/appsettings.json);
# override with ConnectionStrings__FaceStore.
cd "$ROOT"

# Every /v1 endpoint needs an API key. On first run a bootstrap admin key is generated into a git-ignored file (mode
# 600) and passed to the service through the environment; use it in Swagger UI (Authorize) or curl (-H "X-API-Key: ..."),
# and create narrower keys with POST /v1/keys. Set Auth__BootstrapAdminKey yourself to use your own.
KEY_FILE="$ROOT/.faceservice-admin-key"
if [[ -z "${Auth__BootstrapAdminKey:-}" ]]; then
    if [[ ! -s "$KEY_FILE" ]]; then
        (umask 077 && head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' > "$KEY_FILE")
    fi
    export Auth__BootstrapAdminKey="$(cat "$KEY_FILE")"
    echo "Bootstrap admin key (kept in $KEY_FILE): $Auth__BootstrapAdminKey"
    echo "  curl -H \"X-API-Key: \$(cat $KEY_FILE)\" http://localhost:8080/v1/collections"
fi

# --no-launch-profile: run as Production, not with the Development profile from launchSettings.json.
exec dotnet run --project src/FaceService.Api -c Release --no-launch-profile --urls "${FACESERVICE_URLS:-http://localhost:8080}" "$@"
