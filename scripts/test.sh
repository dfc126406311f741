#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh) and runs every test against the real PostgreSQL and the real models.
# Usage: sudo bash scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Storage]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"

export FACESERVICE_TEST_DB="${FACESERVICE_TEST_DB:-Host=localhost;Port=5432;Database=faceservice_test;Username=faceservice;Password=faceservice}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$ROOT"
exec dotnet test FaceService.sln -c Release "$@"
