#!/usr/bin/env bash
# Concurrency benchmark: 32 reviewer processes (clerical-load, each a ReviewQueue as the review
# screen uses it) on one 1,000,000-pair queue for 20 seconds: total verdicts per second, and the
# time from a verdict to the verdict committed and the next pair claimed (median, p99, max).
# Targets: ≥ 500 verdicts per second in total; p99 claim < 50 ms.
# Two rounds on fresh copies: saturated (every process decides as fast as it can, so each
# waits for the 31 others), then paced (each looks at a pair for THINK_MS, 40 ms, first).
#
#   bash Benchmarks/concurrency.sh
#   PROCESSES=16 SECONDS_EACH=10 THINK_MS=100 bash Benchmarks/concurrency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-1000000}
PROCESSES=${PROCESSES:-32}
SECONDS_EACH=${SECONDS_EACH:-20}
THINK_MS=${THINK_MS:-40}
OUT=Benchmarks/out
DATA=$OUT/bench-$PAIRS
BASE=$OUT/concurrency-$PAIRS.db
WORK=$OUT/concurrency-work.db
# SCRATCH=dir builds there (swift build --scratch-path), beside a debug .build.
SCRATCH=${SCRATCH:-.build}

swift build -c release --scratch-path "$SCRATCH" --product clerical >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product clerical-samplegen >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product clerical-load >/dev/null
mkdir -p "$OUT"
[ -f "$DATA/predictions.csv" ] || "$SCRATCH"/release/clerical-samplegen "$DATA" --pairs "$PAIRS"
[ -f "$BASE" ] || "$SCRATCH"/release/clerical import "$BASE" "$DATA/predictions.csv" --model "$DATA/model.json" >/dev/null
for think in 0 "$THINK_MS"; do
rm -f "$WORK"* "$OUT"/load-*.json
cp "$BASE" "$WORK"
sync "$WORK"
pending=$("$SCRATCH"/release/clerical status "$WORK" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['pairs']['pending'])")
echo "queue: $PAIRS pairs, $pending pending; $PROCESSES reviewer processes for $SECONDS_EACH s, thinking $think ms per pair"

start_at=$(python3 -c "import time; print(time.time() + 2)")
for n in $(seq "$PROCESSES"); do
  "$SCRATCH"/release/clerical-load "$WORK" --reviewer "reviewer-$n" --seconds "$SECONDS_EACH" --start-at "$start_at" \
    --think-ms "$think" --report "$OUT/load-$n.json" &
done
wait

python3 Benchmarks/load_summary.py "$OUT/load-*.json"
done
rm -f "$WORK"* "$OUT"/load-*.json
