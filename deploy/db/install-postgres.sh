#!/usr/bin/env bash
# Installs PostgreSQL (15 by default) and builds pgvector from the Debian source package, then starts the cluster.
# Idempotent; run as root on Debian 12 or Ubuntu. Works in containers without systemd.
#
# Why a source build: Debian 12 does not package pgvector, and FaceService needs pgvector >= 0.8 (HNSW iterative
# index scans for filtered kNN). The source package comes from Debian trixie through a deb-src-only apt source, so no
# installed binary package changes.
#
# Environment: PG_MAJOR (default 15, else the distribution's default major), PGVECTOR_VERSION (default 0.8.0),
#              PG_CLUSTER (default main), PG_PORT (default 5432); server settings sized from the machine (below):
#              PG_SHARED_BUFFERS, PG_EFFECTIVE_CACHE_SIZE, PG_MAINTENANCE_WORK_MEM, PG_MAX_PARALLEL_MAINTENANCE_WORKERS
#              (e.g. 4GB, 2), PG_TUNE=0 to write none.
set -euo pipefail

PGVECTOR_VERSION="${PGVECTOR_VERSION:-0.8.0}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PORT="${PG_PORT:-5432}"
BUILD_DIR="${PGVECTOR_BUILD_DIR:-/var/cache/faceservice/pgvector}"
SRC_LIST=/etc/apt/sources.list.d/faceservice-pgvector-src.sources

log() { echo "[install-postgres] $*"; }
die() { echo "[install-postgres] error: $*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "run as root (sudo bash $0)"
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_update() { if [[ $apt_updated -eq 0 ]]; then apt-get update -qq; apt_updated=1; fi; }
is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
apt_install() {
  local missing=()
  for p in "$@"; do is_installed "$p" || missing+=("$p"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    apt_update
    log "installing ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# --- PostgreSQL server ------------------------------------------------------------------------------------------
if [[ -z "${PG_MAJOR:-}" ]]; then
  if is_installed postgresql-15; then
    PG_MAJOR=15
  else
    apt_update
    if apt-cache show postgresql-15 >/dev/null 2>&1; then
      PG_MAJOR=15
    else
      # Ubuntu ships another major (14 on 22.04, 16 on 24.04); pgvector supports PostgreSQL 13+. For 15 exactly,
      # add the PGDG repository (https://wiki.postgresql.org/wiki/Apt) and rerun with PG_MAJOR=15.
      PG_MAJOR="$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1 || true)"
      [[ -n "$PG_MAJOR" ]] || die "no PostgreSQL server package found in apt sources"
      log "postgresql-15 is not available here; using PostgreSQL $PG_MAJOR"
    fi
  fi
fi
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"

apt_install "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}" postgresql-client-common build-essential \
  ca-certificates debian-archive-keyring

# --- pgvector -----------------------------------------------------------------------------------------------------
ext_dir="$("$PG_CONFIG" --sharedir)/extension"
installed_version="$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$ext_dir/vector.control" 2>/dev/null || true)"
if [[ "$installed_version" == "$PGVECTOR_VERSION" && -f "$("$PG_CONFIG" --pkglibdir)/vector.so" ]]; then
  log "pgvector $PGVECTOR_VERSION already installed for PostgreSQL $PG_MAJOR"
else
  if [[ ! -f "$SRC_LIST" ]]; then
    log "adding deb-src source for Debian trixie ($SRC_LIST)"
    cat >"$SRC_LIST" <<'EOF'
# FaceService: source packages only (pgvector is built from source); no binary package comes from here.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt_updated=0
  fi
  apt_update
  mkdir -p "$BUILD_DIR"
  # apt downloads as the unprivileged _apt user when it can write the target directory.
  if id _apt >/dev/null 2>&1; then chown _apt:root "$BUILD_DIR"; fi
  cd "$BUILD_DIR"
  src_version="$(apt-cache showsrc pgvector 2>/dev/null | sed -n 's/^Version: //p' | grep "^${PGVECTOR_VERSION}-" | sort -V | tail -n1 || true)"
  [[ -n "$src_version" ]] || die "pgvector ${PGVECTOR_VERSION} source not found in apt sources"
  log "downloading pgvector source $src_version"
  apt-get source --download-only -qq "pgvector=${src_version}"
  rm -rf "pgvector-${PGVECTOR_VERSION}"
  dpkg-source --no-check -x "pgvector_${src_version#*:}.dsc" "pgvector-${PGVECTOR_VERSION}" >/dev/null
  cd "pgvector-${PGVECTOR_VERSION}"
  # OPTFLAGS="" keeps the build portable (no -march=native): the binary may run on another CPU than it was built on.
  log "building pgvector $PGVECTOR_VERSION against $PG_CONFIG"
  make -s PG_CONFIG="$PG_CONFIG" OPTFLAGS="" -j"$(nproc)"
  make -s PG_CONFIG="$PG_CONFIG" install
fi

# --- Cluster ------------------------------------------------------------------------------------------------------
if ! pg_lsclusters -h | awk -v v="$PG_MAJOR" -v c="$PG_CLUSTER" '$1==v && $2==c {found=1} END {exit !found}'; then
  log "creating cluster $PG_MAJOR/$PG_CLUSTER on port $PG_PORT"
  # pg_createcluster runs initdb as the cluster owner (initdb refuses root).
  pg_createcluster --user=postgres --port="$PG_PORT" "$PG_MAJOR" "$PG_CLUSTER"
fi

# --- Settings sized from this machine -----------------------------------------------------------------------------
# The Debian defaults (shared_buffers 128 MB) leave a million-face HNSW index (~0.6 GB) outside PostgreSQL's buffers:
# every search then copies thousands of pages from the OS cache (docs/BENCHMARKS.md, Search at scale). The file goes
# to the cluster's conf.d (included by Debian's postgresql.conf); the cluster restarts only when the file changed.
mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
cgroup_limit="$(cat /sys/fs/cgroup/memory.max 2>/dev/null || true)"   # a container's limit, when it has one
if [[ "$cgroup_limit" =~ ^[0-9]+$ ]] && (( cgroup_limit / 1048576 < mem_mb )); then mem_mb=$(( cgroup_limit / 1048576 )); fi
clamp() { local v=$1 lo=$2 hi=$3; (( v < lo )) && v=$lo; (( v > hi )) && v=$hi; echo "$v"; }
SHARED_BUFFERS="${PG_SHARED_BUFFERS:-$(clamp $(( mem_mb / 4 )) 128 8192)MB}"
EFFECTIVE_CACHE_SIZE="${PG_EFFECTIVE_CACHE_SIZE:-$(clamp $(( mem_mb * 3 / 4 )) 512 1048576)MB}"
# HNSW builds are several times faster when the whole graph fits (~1 GB per million faces at m 16, ~1.5 GB at m 32).
MAINTENANCE_WORK_MEM="${PG_MAINTENANCE_WORK_MEM:-$(clamp $(( mem_mb / 8 )) 64 2048)MB}"
MAX_PARALLEL_MAINTENANCE_WORKERS="${PG_MAX_PARALLEL_MAINTENANCE_WORKERS:-$(clamp $(( $(nproc) - 1 )) 1 7)}"
TUNING_CONF="/etc/postgresql/${PG_MAJOR}/${PG_CLUSTER}/conf.d/faceservice.conf"
if [[ "${PG_TUNE:-1}" == 0 ]]; then
  log "PG_TUNE=0: leaving the server settings alone"
  tuning_changed=0
else
  grep -Eq "^[[:space:]]*include_dir[[:space:]]*=[[:space:]]*'conf.d'" "/etc/postgresql/${PG_MAJOR}/${PG_CLUSTER}/postgresql.conf" \
    || die "postgresql.conf of $PG_MAJOR/$PG_CLUSTER does not include conf.d; set PG_TUNE=0 or add include_dir = 'conf.d'"
  tuning="# Written by FaceService deploy/db/install-postgres.sh for a machine with ${mem_mb} MB of memory and $(nproc) cores;
# rerun it (PG_SHARED_BUFFERS, PG_EFFECTIVE_CACHE_SIZE, PG_MAINTENANCE_WORK_MEM, PG_MAX_PARALLEL_MAINTENANCE_WORKERS
# override each value; PG_TUNE=0 leaves this file alone) rather than editing it.
shared_buffers = '${SHARED_BUFFERS}'
effective_cache_size = '${EFFECTIVE_CACHE_SIZE}'
maintenance_work_mem = '${MAINTENANCE_WORK_MEM}'
max_parallel_maintenance_workers = ${MAX_PARALLEL_MAINTENANCE_WORKERS}"
  if [[ -f "$TUNING_CONF" && "$(cat "$TUNING_CONF")" == "$tuning" ]]; then
    tuning_changed=0
  else
    log "writing $TUNING_CONF (shared_buffers $SHARED_BUFFERS, effective_cache_size $EFFECTIVE_CACHE_SIZE, maintenance_work_mem $MAINTENANCE_WORK_MEM, max_parallel_maintenance_workers $MAX_PARALLEL_MAINTENANCE_WORKERS)"
    printf '%s\n' "$tuning" >"$TUNING_CONF"
    chown postgres:postgres "$TUNING_CONF"
    tuning_changed=1
  fi
fi

status="$(pg_lsclusters -h | awk -v v="$PG_MAJOR" -v c="$PG_CLUSTER" '$1==v && $2==c {print $4}')"
if [[ "$status" == online* && $tuning_changed == 1 ]]; then
  log "restarting cluster $PG_MAJOR/$PG_CLUSTER for the new settings"
  pg_ctlcluster "$PG_MAJOR" "$PG_CLUSTER" restart
elif [[ "$status" != online* ]]; then
  log "starting cluster $PG_MAJOR/$PG_CLUSTER"
  # Without systemd (containers) pg_ctlcluster starts the server itself, as the cluster owner.
  pg_ctlcluster "$PG_MAJOR" "$PG_CLUSTER" start
fi
port="$(pg_lsclusters -h | awk -v v="$PG_MAJOR" -v c="$PG_CLUSTER" '$1==v && $2==c {print $3}')"
for _ in $(seq 1 30); do
  if runuser -u postgres -- psql -p "$port" -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    log "PostgreSQL $PG_MAJOR/$PG_CLUSTER is up on port $port (pgvector $PGVECTOR_VERSION)"
    exit 0
  fi
  sleep 1
done
die "PostgreSQL $PG_MAJOR/$PG_CLUSTER did not accept connections on port $port"
