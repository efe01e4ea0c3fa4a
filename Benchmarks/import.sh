#!/usr/bin/env bash
# Import benchmark: `clerical import` of a generated Splink 5 predictions CSV (8 comparisons,
# 41 columns) into a new queue, against the sqlite3 shell's `.import` of the same file into a
# plain table, in the same run. Target: clerical ≤ 1.5 × sqlite3, peak memory < 200 MB.
#
#   bash Benchmarks/import.sh              # 1,000,000 pairs, 3 runs each
#   PAIRS=200000 RUNS=1 bash Benchmarks/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-1000000}
RUNS=${RUNS:-3}
OUT=Benchmarks/out
DATA=$OUT/bench-$PAIRS
command -v sqlite3 >/dev/null && [ -x /usr/bin/time ] || { echo "needs sqlite3 and /usr/bin/time (apt-get install sqlite3 time)"; exit 1; }

swift build -c release --product clerical >/dev/null
swift build -c release --product clerical-samplegen >/dev/null
mkdir -p "$OUT"
[ -f "$DATA/predictions.csv" ] || .build/release/clerical-samplegen "$DATA" --pairs "$PAIRS"
echo "input: $DATA/predictions.csv ($(du -h "$DATA/predictions.csv" | cut -f1), $(head -1 "$DATA/predictions.csv" | tr ',' '\n' | wc -l) columns)"

measure() {  # label, command...: prints "seconds peak-KB"
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null
  cat "$OUT/time.txt"
}

for run in $(seq "$RUNS"); do
  rm -f "$OUT/plain.db" "$OUT"/queue.db*
  read -r s_sec s_kb < <(measure sqlite3 "$OUT/plain.db" ".mode csv" ".import $DATA/predictions.csv predictions")
  read -r c_sec c_kb < <(measure .build/release/clerical import "$OUT/queue.db" "$DATA/predictions.csv" --model "$DATA/model.json")
  ratio=$(python3 -c "print(f'{$c_sec / $s_sec:.2f}')")
  printf "run %d: sqlite3 .import %6.2f s (%4d MB) | clerical import %6.2f s (%4d MB peak) | ratio %s\n" \
    "$run" "$s_sec" $((s_kb / 1024)) "$c_sec" $((c_kb / 1024)) "$ratio"
done
rm -f "$OUT/plain.db" "$OUT/time.txt"
