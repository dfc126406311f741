#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh) and runs FaceService on http://localhost:8080 (Swagger UI at /swagger).
# Usage: sudo bash scripts/run.sh [extra dotnet run arguments]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"

export ConnectionStrings__FaceStore="${ConnectionStrings__FaceStore:-Host=localhost;Port=5432;Database=faceservice;Username=faceservice;Password=faceservice}"
cd "$ROOT"
exec dotnet run --project src/FaceService.Api -c Release --urls "${FACESERVICE_URLS:-http://localhost:8080}" "$@"
