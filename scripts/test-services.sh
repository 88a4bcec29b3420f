#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers on loopback for the test suite.
#   scripts/test-services.sh start   -> prints `export ...` lines to eval
#   scripts/test-services.sh stop
set -euo pipefail

STATE_DIR="${TEST_SERVICES_DIR:-/tmp/cohortstudio-test-services}"
PG_PORT="${TEST_PG_PORT:-55432}"
REDIS_PORT="${TEST_REDIS_PORT:-56379}"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"

as_postgres() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  stop >/dev/null 2>&1 || true
  mkdir -p "$STATE_DIR"
  local pgdata="$STATE_DIR/pg"
  rm -rf "$pgdata"
  mkdir -p "$pgdata"
  [ "$(id -u)" = "0" ] && chown -R postgres:postgres "$STATE_DIR"
  as_postgres "$PG_BIN/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >"$STATE_DIR/initdb.log" 2>&1
  as_postgres "$PG_BIN/pg_ctl" -D "$pgdata" -l "$STATE_DIR/pg.log" -w -t 60 \
    -o "-p $PG_PORT -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log" --dir "$STATE_DIR"
  for _ in $(seq 1 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/cohortstudio"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

stop() {
  if [ -f "$STATE_DIR/redis.pid" ]; then
    kill "$(cat "$STATE_DIR/redis.pid")" 2>/dev/null || true
    rm -f "$STATE_DIR/redis.pid"
  fi
  if [ -d "$STATE_DIR/pg" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$STATE_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
