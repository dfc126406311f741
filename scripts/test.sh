#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh) and runs every test against the real PostgreSQL and the real models.
# Usage: sudo bash scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Storage]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
# The browser test of Swagger UI (tests/FaceService.Api.Tests/Swagger) drives Debian's Chromium through Playwright.
if [[ ! -x /usr/bin/chromium ]]; then
  echo "[test] installing chromium for the Swagger UI browser test"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi

export FACESERVICE_TEST_DB="${FACESERVICE_TEST_DB:-Host=localhost;Port=5432;Database=faceservice_test;Username=faceservice;Password=faceservice}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$ROOT"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test FaceService.sln -c Release "$@" 2>&1 | tee "$log" || status=$?
# The GPU build (ONNX Runtime's CUDA and TensorRT package, -p:OnnxGpu=true) and its inference tests, in artifacts/gpu
# beside the CPU build: on a machine without a GPU they run on the CPU and check the fallback and the start-up errors.
if [[ $# -eq 0 ]]; then
  echo "[test] the GPU build's inference tests"
  dotnet test tests/FaceService.Inference.Tests -c Release -p:OnnxGpu=true --artifacts-path artifacts/gpu 2>&1 | tee -a "$log" || status=$?
fi
# One closing line over all test assemblies ("N passed, N failed, N skipped"), summed from dotnet test's per-assembly lines.
awk '/^(Passed|Failed)! +- +Failed: / {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     } END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
