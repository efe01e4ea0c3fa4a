# Sourced by the loopback PostgreSQL benchmarks (postgres-profile.sh, postgres-worked.sh): the
# release build, the 1,000,000-pair sample queue made once, and a throwaway cluster on
# 127.0.0.1:$PORT, stopped and removed on exit. Extra server settings: LOOPBACK_SETTINGS.
# Sets BIN, OUT, DATA, BASE and SERVER.
PAIRS=${PAIRS:-1000000}
OUT=Benchmarks/out
DATA=$OUT/bench-$PAIRS
BASE=$OUT/concurrency-$PAIRS.db
[ "$(id -u)" = 0 ] || { echo "run as root: the server runs as postgres" >&2; exit 77; }

swift build -c release --product clerical >/dev/null
swift build -c release --product clerical-samplegen >/dev/null
swift build -c release --product clerical-load >/dev/null
BIN=.build/release
mkdir -p "$OUT"
[ -f "$DATA/predictions.csv" ] || "$BIN"/clerical-samplegen "$DATA" --pairs "$PAIRS"
[ -f "$BASE" ] || "$BIN"/clerical import "$BASE" "$DATA/predictions.csv" --model "$DATA/model.json" >/dev/null

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PG_ROOT=$(mktemp -d /tmp/clerical-loopback-pg.XXXXXX)
chown postgres "$PG_ROOT"
stop() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_ROOT"
}
trap stop EXIT
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_ROOT/data" -U postgres -A trust >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -l "$PG_ROOT/log" -w -o "-p $PORT -k $PG_ROOT \
  -c listen_addresses=127.0.0.1 -c shared_buffers=2GB -c max_connections=200 ${LOOPBACK_SETTINGS:-}" start >/dev/null
SERVER="postgresql://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
