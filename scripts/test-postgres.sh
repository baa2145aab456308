# Sourced by test.sh: starts PostgreSQL 15 in a temp dir under a dedicated user, exports SOWER_TEST_POSTGRES.
start_test_postgres() {
  local bin=/usr/lib/postgresql/15/bin
  if [ ! -x "$bin/initdb" ]; then
    echo "test.sh: PostgreSQL 15 server binaries not found in $bin (apt-get install postgresql-15)" >&2
    return 1
  fi
  local user=sowerpg
  if [ "$(id -u)" = 0 ]; then
    id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  else
    user=$(id -un)
  fi
  SOWER_PG_DIR=$(mktemp -d /tmp/sower-pg.XXXXXX)
  chown "$user" "$SOWER_PG_DIR" 2>/dev/null || true
  local port=$(( 20000 + RANDOM % 20000 ))
  local run=(); [ "$(id -u)" = 0 ] && run=(runuser -u "$user" --)
  "${run[@]}" "$bin/initdb" -D "$SOWER_PG_DIR/data" -U sower --auth=trust -E UTF8 >/dev/null
  "${run[@]}" "$bin/pg_ctl" -D "$SOWER_PG_DIR/data" -l "$SOWER_PG_DIR/log" -w \
    -o "-p $port -k $SOWER_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  export SOWER_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=sower;Database=postgres;Pooling=true"
  export SOWER_PG_RUN_AS="$user"
  echo "test.sh: PostgreSQL on 127.0.0.1:$port" >&2
}

stop_test_postgres() {
  [ -n "${SOWER_PG_DIR:-}" ] || return 0
  local run=(); [ "$(id -u)" = 0 ] && run=(runuser -u "$SOWER_PG_RUN_AS" --)
  "${run[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$SOWER_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$SOWER_PG_DIR"
}
