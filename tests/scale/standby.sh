#!/usr/bin/env bash
# Reads from a hot standby, read-your-writes with the consistency token, and the service riding out either server going
# down (docs/SCALING.md, section 4). The check itself is the xunit test StandbyTests
# (tests/FaceService.Api.Tests/ScaleOut/), part of the README's test command; this runs it alone and prints what it
# reports (who served each read, the standby's replay lag, the service's log). It makes its own primary and standby
# with tests/scale/standby-pair.sh on two free ports and removes them afterwards.
# Needs: models/ built, PostgreSQL 15 with pgvector (scripts/setup.sh); root (the servers then run as "postgres") or
# the user the servers should run as.
# Usage: bash tests/scale/standby.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$ROOT"
exec dotnet test tests/FaceService.Api.Tests -c Release --filter "FullyQualifiedName~FaceService.Api.Tests.ScaleOut.StandbyTests" \
  --logger "console;verbosity=detailed"
