#!/usr/bin/env bash
# Creates the FaceService role and databases (service + tests) and the pgvector extension in each. Idempotent.
# Run as root on the database host after install-postgres.sh.
#
# The extension is created here, as the postgres superuser, because pgvector is not a trusted extension: the app role
# stays a plain owner of its databases (no superuser). The app's migrations only assert that it exists.
#
# Environment: FACESERVICE_DB_ROLE (faceservice), FACESERVICE_DB_PASSWORD (faceservice), FACESERVICE_DB_NAME
#              (faceservice), FACESERVICE_TEST_DB_NAME (faceservice_test; empty = no test database), PG_PORT (5432).
set -euo pipefail

ROLE="${FACESERVICE_DB_ROLE:-faceservice}"
PASSWORD="${FACESERVICE_DB_PASSWORD:-faceservice}"
DB="${FACESERVICE_DB_NAME:-faceservice}"
TEST_DB="${FACESERVICE_TEST_DB_NAME-faceservice_test}"
PG_PORT="${PG_PORT:-5432}"

log() { echo "[create-database] $*"; }
[[ $EUID -eq 0 ]] || { echo "[create-database] error: run as root (sudo bash $0)" >&2; exit 1; }

psql_admin() { PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -Atq "$@"; }

# Role: created once; the password is (re)set every run so the scripts stay the source of truth.
psql_admin -d postgres -v role="$ROLE" -v password="$PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER PASSWORD %L', :'role', :'password') \gexec
SQL

for db in "$DB" ${TEST_DB:+"$TEST_DB"}; do
  psql_admin -d postgres -v role="$ROLE" -v db="$db" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', :'db', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'role') \gexec
SQL
  psql_admin -d "$db" <<'SQL'
CREATE EXTENSION IF NOT EXISTS vector;
ALTER EXTENSION vector UPDATE;
SQL
  log "database $db ready (owner $ROLE, vector $(psql_admin -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'"))"
done
log "connection string: Host=localhost;Port=$PG_PORT;Database=$DB;Username=$ROLE;Password=***"
