#!/usr/bin/env bash
# PostgreSQL benchmark: a server and three reviewer "hosts" as network namespaces joined by veth
# on this machine, a 1,000,000-pair queue on the server, and the same figures for the SQLite file
# in the same run (Benchmarks/concurrency.sh).
#
#   sudo bash Benchmarks/postgres.sh            (root: namespaces, and the server runs as postgres)
#   PROCESSES=16 SECONDS_EACH=10 bash Benchmarks/postgres.sh
#   SKIP_SQLITE=1 bash Benchmarks/postgres.sh
#   SKIP_SQLITE=1 SKIP_LOAD=1 ROUNDS=saturated bash Benchmarks/postgres.sh   (one round, while tuning)
#   SERVER_OPTIONS="-c synchronous_commit=off" ...   (more server settings, to find where time goes)
#   TLS=1 ...   (every connection over TLS, as a secure research service has it: the server's
#                certificate, for its address, signed by a throwaway authority that each
#                client checks, sslmode=verify-full&sslrootcert=…)
#   ROUND_SQL=change.sql ...   (SQL run in each round's schema before its reviewers start: a change to
#                               the server functions tried without a rebuild; postgres-profile.sh
#                               shows where a verdict's time goes statement by statement)
#
# Prints, against the targets of the PostgreSQL issue:
#   32 reviewer processes, saturated           ≥ 1,500 verdicts/s
#   32 reviewer processes, paced at 40 ms      p99 verdict → next claim < 20 ms
#   one reviewer over the veth link            median verdict → next claim ≤ 3 ms (the keypress)
#     (and the same at the review screen, each pair loaded with its context: clerical-load --screen)
#   clerical import of 1,000,000 pairs        ≤ 1.5× psql \copy of the same CSV into a plain table
# (and, beside it, `clerical copy` of the queue file already imported: every table by COPY).
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-1000000}
PROCESSES=${PROCESSES:-32}
SECONDS_EACH=${SECONDS_EACH:-20}
THINK_MS=${THINK_MS:-40}
OUT=Benchmarks/out
DATA=$OUT/bench-$PAIRS
BASE=$OUT/concurrency-$PAIRS.db
SCRATCH=${SCRATCH:-.build}
PORT=55440
SERVER_IP=10.77.0.1
ROUNDS=${ROUNDS:-saturated paced one screen}
for round in $ROUNDS; do
  case $round in saturated|paced|one|screen) ;; *) echo "unknown round $round (saturated, paced, one, screen)" >&2; exit 64 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "run as root: network namespaces and a server run as postgres" >&2; exit 77; }

swift build -c release --scratch-path "$SCRATCH" --product clerical >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product clerical-samplegen >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product clerical-load >/dev/null
BIN=$(cd "$SCRATCH/release" && pwd)
mkdir -p "$OUT"
[ -f "$DATA/predictions.csv" ] || "$BIN"/clerical-samplegen "$DATA" --pairs "$PAIRS"
[ -f "$BASE" ] || "$BIN"/clerical import "$BASE" "$DATA/predictions.csv" --model "$DATA/model.json" >/dev/null

# --- the network: ns clsrv holds a bridge and the server; clhost1..3 each a veth into it -------
cleanup() {
  [ -z "${PGDATA_DIR:-}" ] || ip netns exec clsrv runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
  for ns in clsrv clhost1 clhost2 clhost3; do ip netns del "$ns" 2>/dev/null || true; done
  if [ -n "${PG_ROOT:-}" ]; then rm -rf "$PG_ROOT"; fi
}
trap cleanup EXIT
cleanup
ip netns add clsrv
ip -n clsrv link add br0 type bridge
ip -n clsrv addr add "$SERVER_IP/24" dev br0
ip -n clsrv link set br0 up
ip -n clsrv link set lo up
for n in 1 2 3; do
  ip netns add "clhost$n"
  ip link add "veth$n" netns "clhost$n" type veth peer name "port$n" netns clsrv
  ip -n "clhost$n" addr add "10.77.0.1$n/24" dev "veth$n"
  ip -n "clhost$n" link set "veth$n" up
  ip -n "clhost$n" link set lo up
  ip -n clsrv link set "port$n" master br0
  ip -n clsrv link set "port$n" up
done
if command -v ping >/dev/null; then
  ip netns exec clhost1 ping -c 3 -q "$SERVER_IP" | tail -1 | sed 's/^/veth round trip (min\/avg\/max\/mdev): /'
fi

# --- the server: a throwaway cluster in clsrv, durable commits (fsync, synchronous_commit on) --
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PG_ROOT=$(mktemp -d /tmp/clerical-bench-pg.XXXXXX)
PGDATA_DIR=$PG_ROOT/data
chown postgres "$PG_ROOT"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust >/dev/null
CLIENT_TLS="sslmode=disable"
HOST_LINE="host all all 10.77.0.0/24 trust"
TLS_OPTIONS=""
if [ -n "${TLS:-}" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench authority" \
    -keyout "$PG_ROOT/ca.key" -out "$PG_ROOT/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$SERVER_IP" -keyout "$PGDATA_DIR/server.key" -out "$PG_ROOT/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\n' "$SERVER_IP" > "$PG_ROOT/server.ext"
  openssl x509 -req -days 2 -in "$PG_ROOT/server.csr" -CA "$PG_ROOT/ca.crt" -CAkey "$PG_ROOT/ca.key" -CAcreateserial \
    -extfile "$PG_ROOT/server.ext" -out "$PGDATA_DIR/server.crt" 2>/dev/null
  chown postgres "$PGDATA_DIR/server.crt" "$PGDATA_DIR/server.key"
  chmod 600 "$PGDATA_DIR/server.key"
  CLIENT_TLS="sslmode=verify-full&sslrootcert=$PG_ROOT/ca.crt"
  HOST_LINE="hostssl all all 10.77.0.0/24 trust"
  TLS_OPTIONS="-c ssl=on"
  echo "TLS: every connection verify-full against a throwaway authority"
fi
cat > "$PGDATA_DIR/pg_hba.conf" <<HBA
local all all trust
$HOST_LINE
HBA
ip netns exec clsrv runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_ROOT/log" -w \
  -o "-p $PORT -k $PG_ROOT -c listen_addresses=$SERVER_IP -c shared_buffers=2GB -c max_connections=200 $TLS_OPTIONS ${SERVER_OPTIONS:-}" start >/dev/null
SERVER="postgresql://postgres@$SERVER_IP:$PORT/postgres?$CLIENT_TLS"
on_host() { local n=$1; shift; ip netns exec "clhost$n" "$@"; }

# --- loading ----------------------------------------------------------------------------------
if [ -z "${SKIP_LOAD:-}" ]; then
columns=$(head -1 "$DATA/predictions.csv" | python3 -c "import sys; print(', '.join(f'\"{c}\" text' for c in sys.stdin.read().strip().split(',')))")
on_host 1 psql "$SERVER" -qAt -c "CREATE TABLE plain_predictions ($columns)" >/dev/null
t0=$(date +%s.%N)
on_host 1 psql "$SERVER" -qAt -c "\\copy plain_predictions FROM '$DATA/predictions.csv' WITH (FORMAT csv, HEADER true)" >/dev/null
t1=$(date +%s.%N)
on_host 1 "$BIN"/clerical import "$SERVER&schema=bench_import" "$DATA/predictions.csv" --model "$DATA/model.json" >/dev/null
t2=$(date +%s.%N)
on_host 1 "$BIN"/clerical copy "$BASE" "$SERVER&schema=bench_load" >/dev/null
t3=$(date +%s.%N)
python3 - "$t0" "$t1" "$t2" "$t3" <<'PY'
import sys
t0, t1, t2, t3 = map(float, sys.argv[1:])
psql, imported, copy = t1 - t0, t2 - t1, t3 - t2
print(f"load: psql \\copy of predictions.csv into a plain table {psql:.1f} s; clerical import of it into a new schema {imported:.1f} s: {imported / psql:.2f}x (target <= 1.5x); clerical copy of the imported queue file {copy:.1f} s: {copy / psql:.2f}x")
PY
fi

# --- reviewers: 32 roles, three hosts ----------------------------------------------------------
rounds() {
  local schema=$1 think=$2 processes=$3 label=$4 extra=${5:-}
  on_host 1 "$BIN"/clerical copy "$BASE" "$SERVER&schema=$schema" >/dev/null
  [ -z "${ROUND_SQL:-}" ] || on_host 1 env PGOPTIONS="-c search_path=$schema" psql "$SERVER" -qX -v ON_ERROR_STOP=1 -f "$ROUND_SQL"
  on_host 1 "$BIN"/clerical reviewers add "$SERVER&schema=$schema" postgres --role supervisor >/dev/null
  for n in $(seq "$processes"); do
    on_host 1 psql "$SERVER" -qAt -c "DO \$\$ BEGIN CREATE ROLE bench_r$n LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
    on_host 1 "$BIN"/clerical reviewers add "$SERVER&schema=$schema" "bench_r$n" --role reviewer >/dev/null
  done
  rm -f "$OUT"/pgload-*.json
  local start_at
  start_at=$(python3 -c "import time; print(time.time() + 2)")
  for n in $(seq "$processes"); do
    on_host $(( (n - 1) % 3 + 1 )) "$BIN"/clerical-load "postgresql://bench_r$n@$SERVER_IP:$PORT/postgres?$CLIENT_TLS&schema=$schema" \
      --reviewer unused --seconds "$SECONDS_EACH" --start-at "$start_at" --think-ms "$think" --report "$OUT/pgload-$n.json" $extra &
  done
  wait
  python3 Benchmarks/load_summary.py "$OUT/pgload-*.json" "$label"
  on_host 1 "$BIN"/clerical verify "$SERVER&schema=$schema" | sed 's/^/  /'
}
for round in $ROUNDS; do
  case $round in
    saturated) rounds bench_saturated 0 "$PROCESSES" "PostgreSQL, $PROCESSES processes on 3 hosts, saturated" ;;
    paced) rounds bench_paced "$THINK_MS" "$PROCESSES" "PostgreSQL, $PROCESSES processes on 3 hosts, paced at $THINK_MS ms" ;;
    one) rounds bench_one "$THINK_MS" 1 "PostgreSQL, one reviewer over veth, paced at $THINK_MS ms (the keypress)" ;;
    # The same through the review screen's own path: each pair loaded with its records, evidence
    # and context panel, as `clerical review URL` (and ReviewQueue on a file) loads it.
    screen) rounds bench_screen "$THINK_MS" 1 "PostgreSQL, one reviewer over veth at the review screen (pair and context loaded), paced at $THINK_MS ms" --screen ;;
  esac
done

if [ -z "${SKIP_SQLITE:-}" ]; then
  echo "SQLite, the same queue on this host's disk (Benchmarks/concurrency.sh):"
  PAIRS=$PAIRS PROCESSES=$PROCESSES SECONDS_EACH=$SECONDS_EACH THINK_MS=$THINK_MS SCRATCH=$SCRATCH bash Benchmarks/concurrency.sh
fi
