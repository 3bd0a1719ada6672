#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on a free loopback port in a temporary
# folder and prints its URL on stdout. Installs PostgreSQL from Debian when
# initdb is missing. Stop it with: pg_ctl -D "$dir/data" stop (the folder is
# printed on stderr) or let the caller's trap remove it.
# Usage: eval "$(.ci/postgres.sh)"  -> sets SESAME_TEST_POSTGRES and PGTMP
set -euo pipefail

find_bin() {
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return; fi
  ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1
}

INITDB=$(find_bin initdb || true)
if [ -z "$INITDB" ]; then
  echo "installing PostgreSQL from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  INITDB=$(find_bin initdb)
fi
BIN=$(dirname "$INITDB")
PGCTL="$BIN/pg_ctl"
[ -x "$PGCTL" ] || PGCTL=$(find_bin pg_ctl)

dir=$(mktemp -d /tmp/sesame-pg.XXXXXX)
chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo 55432)

run_as=()
if [ "$(id -u)" = 0 ]; then
  # initdb refuses root: run the server as an unprivileged user.
  user=postgres
  if ! id "$user" >/dev/null 2>&1; then
    user=sesameci
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  fi
  chown "$user" "$dir"
  run_as=(runuser -u "$user" --)
fi

"${run_as[@]}" "$INITDB" -D "$dir/data" -U sesame --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
  "${run_as[@]}" "$INITDB" -D "$dir/data" -U sesame --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
"${run_as[@]}" "$PGCTL" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >&2

echo "export SESAME_TEST_POSTGRES='postgres://sesame@127.0.0.1:$port/postgres?sslmode=disable'"
echo "export PGTMP='$dir'"
echo "export PGCTL_CMD='${run_as[*]} $PGCTL -D $dir/data'"
