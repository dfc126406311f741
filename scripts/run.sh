#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh) and runs FaceService on http://localhost:8080 (Swagger UI at /swagger).
# Usage: sudo bash scripts/run.sh [extra dotnet run arguments]   (FACESERVICE_URLS overrides the listen address)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"

# The connection string defaults to the database create-database.sh made (src/FaceService.Api/appsettings.json);
# override with ConnectionStrings__FaceStore.
cd "$ROOT"
# --no-launch-profile: run as Production, not with the Development profile from launchSettings.json.
exec dotnet run --project src/FaceService.Api -c Release --no-launch-profile --urls "${FACESERVICE_URLS:-http://localhost:8080}" "$@"
