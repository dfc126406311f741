#!/usr/bin/env bash
# A PostgreSQL 15 primary and its streaming-replication hot standby on this machine, for the standby tests
# (tests/FaceService.Api.Tests/ScaleOut/StandbyTests.cs, docs/SCALING.md section 4). The pair is its own: a primary made
# with initdb (pgvector created in database "faceservice", owned by role "faceservice") and a standby made from it with
# `pg_basebackup -R`, so the tests can stop and start either server without touching the machine's own cluster.
# Run as root (the servers then run as "postgres") or as any other user (they run as that user).
#
# Usage: standby-pair.sh up DIR PRIMARY_PORT STANDBY_PORT   create and start both (DIR must not exist)
#        standby-pair.sh stop|start DIR primary|standby     stop (fast) or start one server
#        standby-pair.sh down DIR                           stop both and remove DIR
set -euo pipefail

BIN="$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_ctl)")"
as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
server() { as_owner "$BIN/pg_ctl" -D "$DIR/$1" -l "$DIR/$1.log" -w -t 60 "$2" ${3:+-m "$3"}; }

command="$1"; DIR="$2"
case "$command" in
  up)
    primary_port="$3"; standby_port="$4"
    mkdir -p "$DIR"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$DIR"
    as_owner "$BIN/initdb" -D "$DIR/primary" -U postgres -A trust --no-sync >/dev/null
    # initdb's pg_hba.conf trusts local and loopback connections, replication included.
    cat >>"$DIR/primary/postgresql.conf" <<EOF
port = $primary_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = off
shared_buffers = 64MB
EOF
    server primary start
    psql_primary=(psql -h 127.0.0.1 -p "$primary_port" -U postgres -v ON_ERROR_STOP=1 -q)
    "${psql_primary[@]}" -d postgres -c "CREATE ROLE faceservice LOGIN PASSWORD 'faceservice'" -c "CREATE DATABASE faceservice OWNER faceservice"
    "${psql_primary[@]}" -d faceservice -c "CREATE EXTENSION vector"
    as_owner "$BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$DIR/standby" -R -X stream -c fast --no-sync
    echo "port = $standby_port" >>"$DIR/standby/postgresql.conf"
    server standby start
    ;;
  stop) server "$3" stop fast ;;
  start) server "$3" start ;;
  down)
    for s in standby primary; do
      [[ -f "$DIR/$s/postmaster.pid" ]] && server "$s" stop immediate || true
    done
    rm -rf "$DIR"
    ;;
  *) echo "usage: $0 up|stop|start|down DIR ..." >&2; exit 2 ;;
esac
