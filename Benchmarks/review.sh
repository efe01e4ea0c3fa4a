#!/usr/bin/env bash
# Review-latency benchmark: on a 1,000,000-pair queue where 2,000 records have 60 candidates
# each (HUBS=0 for none), with the context panel shown, the time from a verdict key to the
# verdict committed and the next pair drawn (median, p99), against a bare synchronous=FULL
# commit on the same disk; opening to the first pair drawn; resident memory.
# Targets: median ≤ 2 × the floor, p99 < 20 ms, open < 150 ms, memory < 64 MB.
#
#   bash Benchmarks/review.sh            # 1,000 verdicts
#   VERDICTS=3000 bash Benchmarks/review.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-1000000}
VERDICTS=${VERDICTS:-1000}
HUBS=${HUBS:-2000}
OUT=Benchmarks/out
DATA=$OUT/bench-$PAIRS-hubs$HUBS
# SCRATCH=dir builds there (swift build --scratch-path), beside a debug .build.
SCRATCH=${SCRATCH:-.build}

swift build -c release --scratch-path "$SCRATCH" --product clerical >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product clerical-samplegen >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product clerical-review-bench >/dev/null
mkdir -p "$OUT"
[ -f "$DATA/predictions.csv" ] || "$SCRATCH"/release/clerical-samplegen "$DATA" --pairs "$PAIRS" --hubs "$HUBS"
if [ ! -f "$OUT/review-$PAIRS-hubs$HUBS.db" ]; then
  "$SCRATCH"/release/clerical import "$OUT/review-$PAIRS-hubs$HUBS.db" "$DATA/predictions.csv" --model "$DATA/model.json"
fi
# Each run works on a fresh copy, so runs are alike.
cp "$OUT/review-$PAIRS-hubs$HUBS.db" "$OUT/review-run.db"
rm -f "$OUT/review-run.db-wal" "$OUT/review-run.db-shm"
sync "$OUT/review-run.db"  # the copy must not be flushed by the first measured commit
"$SCRATCH"/release/clerical-review-bench "$OUT/review-run.db" "$VERDICTS"
rm -f "$OUT"/review-run.db*
