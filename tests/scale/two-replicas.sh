#!/usr/bin/env bash
# Two API replicas (real processes of the Release build) against one database: both identify correctly while one
# enrolls, see each other's writes at once, and start together safely (docs/SCALING.md, section 2).
# The check itself is the xunit test TwoProcessTests (tests/FaceService.Api.Tests/ScaleOut/); this runs it alone and
# prints what it reports (answers checked, reference accuracy, each replica's log).
# Needs: models/ built, PostgreSQL with the test database (scripts/setup.sh). Override with FACESERVICE_TEST_DB.
# Usage: bash tests/scale/two-replicas.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export FACESERVICE_TEST_DB="${FACESERVICE_TEST_DB:-Host=localhost;Port=5432;Database=faceservice_test;Username=faceservice;Password=faceservice}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$ROOT"
exec dotnet test tests/FaceService.Api.Tests -c Release --filter "FullyQualifiedName~FaceService.Api.Tests.ScaleOut.TwoProcessTests" \
  --logger "console;verbosity=detailed"
