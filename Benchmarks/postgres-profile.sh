#!/usr/bin/env bash
# Where a verdict's time goes on the PostgreSQL server: a throwaway cluster on a loopback port
# with pg_stat_statements (every nested statement, so each statement inside the review
# functions and their triggers) and function timing, the 1,000,000-pair queue copied in, then
# one reviewer paced at 40 ms (the keypress) and N reviewers saturated. After each round: the
# statements and functions by total server time, per call. Loopback, not veth: this looks at
# the server's work, not the link (postgres.sh measures the targets).
#
#   sudo bash Benchmarks/postgres-profile.sh
#   PROCESSES=8 SECONDS_EACH=8 bash Benchmarks/postgres-profile.sh
#
# The profiler itself costs some 15% of a call (a single reviewer's median went from 3.9 to
# 4.6 ms with it on); compare rounds of this script with each other, not with postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PROCESSES=${PROCESSES:-32}
SECONDS_EACH=${SECONDS_EACH:-10}
PORT=${PORT:-55441}
LOOPBACK_SETTINGS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c track_functions=all"
source Benchmarks/loopback.sh
psql "$SERVER" -qAt -c "CREATE EXTENSION pg_stat_statements" >/dev/null
"$BIN"/clerical copy "$BASE" "$SERVER&schema=profile" >/dev/null

profile() {
  local processes=$1 think=$2 label=$3
  psql "$SERVER" -qAt -c "SELECT pg_stat_statements_reset(), pg_stat_reset()" >/dev/null
  rm -f "$OUT"/pgprofile-*.json
  local start_at
  start_at=$(python3 -c "import time; print(time.time() + 1)")
  for n in $(seq "$processes"); do
    "$BIN"/clerical-load "$SERVER&schema=profile" --reviewer unused --seconds "$SECONDS_EACH" --start-at "$start_at" \
      --think-ms "$think" --report "$OUT/pgprofile-$n.json" &
  done
  wait
  python3 Benchmarks/load_summary.py "$OUT/pgprofile-*.json" "$label"
  psql "$SERVER" -P pager=off -c "
    SELECT calls, round((total_exec_time / calls)::numeric, 3) AS ms_per_call, round(total_exec_time::numeric) AS total_ms,
           left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS statement
    FROM pg_stat_statements WHERE calls > 0 ORDER BY total_exec_time DESC LIMIT 16"
  psql "$SERVER" -P pager=off -c "
    SELECT funcname AS function, calls, round((self_time / calls)::numeric, 3) AS self_ms_per_call,
           round((total_time / calls)::numeric, 3) AS total_ms_per_call
    FROM pg_stat_user_functions WHERE calls > 0 ORDER BY total_time DESC LIMIT 10"
}
profile 1 40 "one reviewer on loopback, paced at 40 ms"
profile "$PROCESSES" 0 "$PROCESSES reviewers on loopback, saturated"
