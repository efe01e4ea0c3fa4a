#!/usr/bin/env bash
# Loading a queue into PostgreSQL on loopback, stage by stage, against `psql \copy` of the same
# CSV into a plain table (the target's yardstick): a throwaway cluster, the 1,000,000-pair
# predictions CSV, then `clerical import` into a file, `clerical copy` of that file into a
# schema (the two stages an import into a server took before it streamed), and `clerical import
# URL` itself. Then two batches into that server queue: the file's last 1,000 rows (pairs the
# queue has: every record looked up, nothing added) and a second sample of 100,000 pairs
# (`clerical-samplegen --seed 7`: new pairs, repeated ones and new records mixed). A batch
# costs what it holds, not what the queue does. RUNS repeats the sequence, one after another,
# so a noisy machine shows.
#
#   sudo bash Benchmarks/postgres-import.sh
#   RUNS=3 sudo -E bash Benchmarks/postgres-import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-1}
PORT=${PORT:-55444}
source Benchmarks/loopback.sh

[ -f "$OUT/batch-seed7/predictions.csv" ] || "$BIN"/clerical-samplegen "$OUT/batch-seed7" --pairs 100000 --seed 7 >/dev/null
(head -1 "$DATA/predictions.csv"; tail -1000 "$DATA/predictions.csv") > "$PG_ROOT/repeated.csv"
columns=$(head -1 "$DATA/predictions.csv" | python3 -c "import sys; print(', '.join(f'\"{c}\" text' for c in sys.stdin.read().strip().split(',')))")
now() { date +%s.%N; }
for run in $(seq "$RUNS"); do
  psql "$SERVER" -qAt -c "DROP TABLE IF EXISTS plain_predictions" -c "CREATE TABLE plain_predictions ($columns)" >/dev/null
  for schema in bench_file bench_url; do psql "$SERVER" -qAt -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null; done
  file=$PG_ROOT/import.db; rm -f "$file"
  t0=$(now)
  psql "$SERVER" -qAt -c "\\copy plain_predictions FROM '$DATA/predictions.csv' WITH (FORMAT csv, HEADER true)" >/dev/null
  t1=$(now)
  "$BIN"/clerical import "$file" "$DATA/predictions.csv" --model "$DATA/model.json" >/dev/null
  t2=$(now)
  "$BIN"/clerical copy "$file" "$SERVER&schema=bench_file" >/dev/null
  t3=$(now)
  "$BIN"/clerical import "$SERVER&schema=bench_url" "$DATA/predictions.csv" --model "$DATA/model.json" >/dev/null
  t4=$(now)
  "$BIN"/clerical import "$SERVER&schema=bench_url" "$PG_ROOT/repeated.csv" >/dev/null
  t5=$(now)
  "$BIN"/clerical import "$SERVER&schema=bench_url" "$OUT/batch-seed7/predictions.csv" --model "$OUT/batch-seed7/model.json" >/dev/null
  t6=$(now)
  python3 - "$run" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" <<'PY'
import sys
run = sys.argv[1]
t0, t1, t2, t3, t4, t5, t6 = map(float, sys.argv[2:])
psql, to_file, copy, url = t1 - t0, t2 - t1, t3 - t2, t4 - t3
print(f"run {run}: psql \\copy {psql:.1f} s; clerical import URL {url:.1f} s = {url / psql:.2f}x (target <= 1.5x); "
      f"stages: import into a file {to_file:.1f} s, copy of it to the server {copy:.1f} s")
print(f"  then batches into that queue: 1,000 rows it has {t5 - t4:.1f} s; 100,000 new and repeated {t6 - t5:.1f} s")
PY
done
