#!/usr/bin/env bash
# A failover under a reviewer: a primary and its hot standby (throwaway clusters on loopback), a
# queue on the primary, and one reviewer process (clerical-load, as the review screen works)
# whose URL lists both hosts with target_session_attrs=read-write. Mid-review the primary is
# stopped at once (as a crash would) and the standby promoted. The reviewer reconnects to the
# new primary and carries on: every verdict it was told was saved is in the new primary's
# chain, and `clerical verify` passes there.
#
#   sudo bash Benchmarks/failover.sh            (root: the servers run as postgres)
#   PAIRS=50000 THINK_MS=10 STOP_AFTER=4 sudo bash Benchmarks/failover.sh
#
# The standby streams asynchronously, as most do: a verdict acknowledged in the instant before
# the crash can be missing from it. The script says so when that happens (synchronous
# replication, the server's to set, is what closes that gap).
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-20000}
THINK_MS=${THINK_MS:-20}
STOP_AFTER=${STOP_AFTER:-6}
PRIMARY_PORT=55450
STANDBY_PORT=55451
[ "$(id -u)" = 0 ] || { echo "run as root: the servers run as postgres" >&2; exit 77; }

swift build -c release --product clerical >/dev/null
swift build -c release --product clerical-samplegen >/dev/null
swift build -c release --product clerical-load >/dev/null
BIN=$(cd .build/release && pwd)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
ROOT=$(mktemp -d /tmp/clerical-failover.XXXXXX)
chown postgres "$ROOT"
cleanup() {
  for cluster in primary standby; do
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$ROOT/$cluster" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$ROOT"
}
trap cleanup EXIT

runuser -u postgres -- "$PG_BIN/initdb" -D "$ROOT/primary" -U postgres -A trust >/dev/null
printf 'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost replication postgres 127.0.0.1/32 trust\n' \
  > "$ROOT/primary/pg_hba.conf"
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$ROOT/primary" -l "$ROOT/primary.log" -w \
  -o "-p $PRIMARY_PORT -k $ROOT -c listen_addresses=127.0.0.1" start >/dev/null
runuser -u postgres -- "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$ROOT/standby" -R -X stream -c fast
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$ROOT/standby" -l "$ROOT/standby.log" -w \
  -o "-p $STANDBY_PORT -k $ROOT -c listen_addresses=127.0.0.1" start >/dev/null

WORK=$ROOT/work
mkdir -p "$WORK"
"$BIN/clerical-samplegen" "$WORK/sample" --pairs "$PAIRS" >/dev/null
"$BIN/clerical" import "$WORK/queue.db" "$WORK/sample/predictions.csv" --model "$WORK/sample/model.json" >/dev/null
PRIMARY="postgresql://postgres@127.0.0.1:$PRIMARY_PORT/postgres?sslmode=disable&schema=failover"
STANDBY="postgresql://postgres@127.0.0.1:$STANDBY_PORT/postgres?sslmode=disable&schema=failover"
PAIR="postgresql://postgres@127.0.0.1:$PRIMARY_PORT,127.0.0.1:$STANDBY_PORT/postgres?sslmode=disable&schema=failover&target_session_attrs=read-write"
"$BIN/clerical" copy "$WORK/queue.db" "$PRIMARY" >/dev/null
band=$("$BIN/clerical" status "$PRIMARY" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["pairs"]["pending"])')
echo "queue on the primary: $PAIRS pairs, $band in the review band; the reviewer's URL: $PAIR"

"$BIN/clerical-load" "$PAIR" --reviewer postgres --think-ms "$THINK_MS" --acks --report "$WORK/report.json" \
  > "$WORK/acks.txt" 2> "$WORK/load.err" &
load=$!
sleep "$STOP_AFTER"
echo "after ${STOP_AFTER} s, $(wc -l < "$WORK/acks.txt") verdicts acknowledged: the primary stopped at once (-m immediate)"
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$ROOT/primary" -m immediate stop >/dev/null
sleep 1
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$ROOT/standby" promote -w >/dev/null
echo "the standby promoted"
wait "$load" || { echo "the reviewer process failed:"; cat "$WORK/load.err"; exit 1; }

python3 - "$WORK/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"reviewer: {r['verdicts']} verdicts, {r['reconnections']} reconnection(s), {len(r['errors'])} errors")
for e in r["errors"][:5]: print("  error:", e)
PY
acked=$(wc -l < "$WORK/acks.txt")
stored=$(psql "postgresql://postgres@127.0.0.1:$STANDBY_PORT/postgres?sslmode=disable" -qAt -c "SELECT count(*) FROM failover.decision")
echo "acknowledged $acked, in the new primary's chain $stored"
"$BIN/clerical" verify "$STANDBY"
if [ "$stored" -lt "$acked" ]; then
  echo "$((acked - stored)) acknowledged verdict(s) did not reach the standby before the crash (asynchronous replication)"
  exit 1
fi
