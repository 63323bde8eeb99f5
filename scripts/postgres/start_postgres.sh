#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests that need a real one (conversations shared by two app
# instances, the crash-safety test on Postgres, the shared rate limit): a private cluster in
# .kedrec/postgres on a free loopback port, a database and a password user, its URL written to
# --url-file. Uses Debian's `postgresql` package (apt-get install postgresql); run as root, the
# server runs as the `postgres` user (PostgreSQL refuses to run as root).
#
#   scripts/postgres/start_postgres.sh [--url-file FILE]   start (or reuse) it; prints the URL
#   scripts/postgres/start_postgres.sh --stop              stop it and delete its data
#
# Exit codes: 0 started, 2 no PostgreSQL binaries, 3 the server did not start (see the log).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="$PWD/.kedrec/postgres"
URL_FILE="$DIR/url"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --stop)
      if [[ -f "$DIR/data/postmaster.pid" ]]; then runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true; fi
      rm -rf "$DIR"
      exit 0 ;;
    --url-file) URL_FILE="$2"; shift 2 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) echo "unknown option $1 (valid: --url-file FILE, --stop, --help)" >&2; exit 64 ;;
  esac
done
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
  echo "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 2
fi
RUN=(runuser -u postgres --)
[[ "$(id -u)" != 0 ]] && RUN=()
mkdir -p "$DIR"
if [[ -f "$DIR/data/postmaster.pid" ]] && [[ -f "$DIR/port" ]] && "$BIN/pg_isready" -h 127.0.0.1 -p "$(cat "$DIR/port")" -q; then
  cat "$DIR/url" && { [[ "$URL_FILE" == "$DIR/url" ]] || cp "$DIR/url" "$URL_FILE"; }
  exit 0
fi
rm -rf "$DIR/data"
[[ ${#RUN[@]} -gt 0 ]] && chown postgres "$DIR"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PASSWORD="kedrec-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"${RUN[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >"$DIR/initdb.log" 2>&1
"${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" start >/dev/null \
  || { echo "PostgreSQL did not start; see $DIR/server.log" >&2; exit 3; }
"${RUN[@]}" "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE kedrec LOGIN CREATEDB PASSWORD '$PASSWORD'" -c "CREATE DATABASE kedrec OWNER kedrec" >/dev/null
echo "$PORT" > "$DIR/port"
URL="postgres://kedrec:$PASSWORD@127.0.0.1:$PORT/kedrec"
echo "$URL" > "$DIR/url"
[[ "$URL_FILE" == "$DIR/url" ]] || echo "$URL" > "$URL_FILE"
echo "$URL"
