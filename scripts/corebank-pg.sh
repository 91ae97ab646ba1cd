#!/usr/bin/env bash
# The bank's own PostgreSQL 15 cluster ("core banking", not owned by Streamfold) with
# wal_level=logical for change data capture. The shared server on 5432 runs wal_level=replica and
# is not ours to restart, so this one lives in an ignored folder on its own port.
#   bash scripts/corebank-pg.sh start|stop|status|reset|url
# Idempotent: start on a running cluster only re-applies the (idempotent) schema.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${COREBANK_PG_PORT:-55432}"
DB="${COREBANK_PG_DB:-corebank}"
BASE="${COREBANK_PG_DIR:-$ROOT/.cache/corebank-pg-$PORT}"
DATA="$BASE/data"
LOG="$BASE/server.log"
BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
URL="postgres://postgres@127.0.0.1:$PORT/$DB"

say() { echo "[corebank-pg] $*"; }
die() { echo "[corebank-pg] error: $*" >&2; exit 1; }

# initdb and postgres refuse to run as root: run them as the postgres user there.
as_owner() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; }

init() {
  [[ -f "$DATA/PG_VERSION" ]] && return 0
  [[ -x "$BIN/initdb" ]] || die "PostgreSQL 15 binaries not found in $BIN (apt-get install postgresql-15, or set PG_BIN)"
  say "creating a cluster in ${DATA#$ROOT/}"
  mkdir -p "$DATA"
  [[ $(id -u) == 0 ]] && chown -R postgres:postgres "$BASE"
  as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
  cat >> "$DATA/postgresql.conf" <<CONF
# Change data capture (Debezium pgoutput) needs logical decoding.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$BASE'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
shared_buffers = 64MB
fsync = off
CONF
}

start() {
  init
  if ! ready; then
    say "starting on 127.0.0.1:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null || { tail -20 "$LOG" >&2; die "did not start"; }
  fi
  local level; level="$(psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc 'show wal_level')"
  [[ "$level" == logical ]] || die "a server on port $PORT runs wal_level=$level, not logical: not ours? set COREBANK_PG_PORT"
  psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE $DB"
  psql -h 127.0.0.1 -p "$PORT" -U postgres -d "$DB" -q -v ON_ERROR_STOP=1 -f "$ROOT/scripts/corebank/schema.sql" 2>&1 | grep -v NOTICE || true
  say "ready: $URL (wal_level=logical)"
}

stop() {
  if [[ -f "$DATA/postmaster.pid" ]]; then as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null && say "stopped"; else say "not running"; fi
}

status() {
  if ready; then say "running: $URL"; else say "not running"; return 3; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) echo "$URL" ;;
  reset) stop; rm -rf "$BASE"; say "data removed" ;;
  *) echo "usage: $0 start|stop|status|reset|url" >&2; exit 2 ;;
esac
