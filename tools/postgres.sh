#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests and benchmarks of the database
# route (mmrm_data_dbi()): Debian's postgresql, a fresh data directory, a free
# local TCP port, password (scram-sha-256) authentication, stopped and deleted
# by `stop`. No system service is touched.
#
#   tools/postgres.sh start DIR   # initdb + pg_ctl start; writes DIR/env
#   tools/postgres.sh stop DIR    # pg_ctl stop -m fast; removes DIR
#   tools/postgres.sh status DIR
#
# DIR/env holds PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (shell syntax,
# also read by tests/testthat/helper-postgres.R). The server runs as the
# `postgres` system user when started by root (PostgreSQL refuses root), as
# the calling user otherwise.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop|status DIR" >&2
  exit 2
fi

bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "postgres.sh: no PostgreSQL server binaries (install Debian's postgresql)" >&2
  exit 3
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  local p
  for p in $(seq 54320 54420); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

case "$cmd" in
  start)
    if [ -f "$dir/env" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      cat "$dir/env"
      exit 0
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres: "$dir"
      runuser -u postgres -- test -w "$dir" ||
        { echo "postgres.sh: $dir is not writable by the postgres user (a private parent directory?)" >&2; exit 5; }
    fi
    port=$(free_port) || { echo "postgres.sh: no free port in 54320-54420" >&2; exit 4; }
    pw=glycotrial
    printf '%s\n' "$pw" > "$dir/pwfile"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/pwfile"
    as_owner "$bindir/initdb" -D "$dir/data" -U glycotrial --pwfile="$dir/pwfile" \
      --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 5; }
    rm -f "$dir/pwfile"
    # small and quick: no fsync (a test server), socket in the data directory
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-p $port -k $dir/data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 6; }
    as_owner env PGPASSWORD="$pw" "$bindir/psql" -h 127.0.0.1 -p "$port" -U glycotrial -d postgres -q \
      -c "CREATE DATABASE glycotrial" >/dev/null
    cat > "$dir/env" <<EOF
PGHOST=127.0.0.1
PGPORT=$port
PGUSER=glycotrial
PGPASSWORD=$pw
PGDATABASE=glycotrial
EOF
    cat "$dir/env"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  status)
    as_owner "$bindir/pg_ctl" -D "$dir/data" status
    ;;
  *)
    echo "usage: $0 start|stop|status DIR" >&2
    exit 2
    ;;
esac
