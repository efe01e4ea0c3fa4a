#!/usr/bin/env bash
# Learning curves on the small real Splink outputs in ../shared/fixtures (Splink 4 and 5 on
# FEBRL3, a Splink 5 link job), the same table as learning.sh for `clerical simulate --model
# auto` (new): the pattern bound, F1 after 0–1,000 verdicts and whether it ever fell below the
# imported model. ERROR_RATE gives the simulated reviewers that share of wrong verdicts
# (simulate --error-rate), to see how the loop bears reviewers' mistakes.
#
#   bash Benchmarks/learning-fixtures.sh
#   ERROR_RATE=0.05 SEEDS=3 bash Benchmarks/learning-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
FIXTURES=${FIXTURES:-../shared/fixtures}
SETS=${SETS:-"splink4-febrl3 splink5-febrl3 splink5-link-small"}
SEEDS=${SEEDS:-1}
ERROR_RATE=${ERROR_RATE:-0}
OUT=${OUT:-Benchmarks/out/learning-fixtures}
mkdir -p "$OUT"
[ -n "${CLERICAL:-}" ] || swift build -c release --product clerical >/dev/null
NEW=${CLERICAL:-.build/release/clerical}

for set in $SETS; do
  if [ ! -f "$OUT/$set.db" ]; then
    cp "$FIXTURES/$set/predictions.csv" "$OUT/$set.csv"
    cp "$FIXTURES/$set/truth.csv" "$OUT/$set-truth.csv"
    $NEW import "$OUT/$set.db" "$OUT/$set.csv" --model "$FIXTURES/$set/model.json" >/dev/null
  fi
  for seed in $(seq 1 "$SEEDS"); do
    $NEW simulate "$OUT/$set.db" --truth "$OUT/$set-truth.csv" --decisions 1000 --seed "$seed" \
      --error-rate "$ERROR_RATE" --json > "$OUT/$set-new-$seed.json"
  done
  python3 Benchmarks/learning_curve.py "$OUT" "$set" "$SEEDS" new
done
