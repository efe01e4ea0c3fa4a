#!/usr/bin/env bash
# Learning curves on sets nobody tuned for: synthetic queues from the sample generator
# (`clerical-samplegen --pairs PAIRS --seed S`: duplicates, lookalikes that share a family,
# candidate pairs sampled from three blocking rules, a model estimated from the truth with λ
# over every pair of records, as Splink estimates it). The same table as learning.sh, for
# `clerical simulate --model auto` without (new) and with (audit) an audit share: the pattern
# bound, F1 after 0–1,000 verdicts over simulation seeds, and whether it ever fell below the
# imported model. A check that what holds on the household sets holds on linkage in general.
#
#   bash Benchmarks/learning-synthetic.sh                      # data seeds 3 and 5, 3 seeds each
#   DATA_SEEDS="3 5 8" SEEDS=5 PAIRS=100000 bash Benchmarks/learning-synthetic.sh
#   EVERY=50 OUT=… bash Benchmarks/learning-synthetic.sh   (re-estimate every 50 verdicts, not 10; a new OUT per EVERY)
#   ERROR_RATE=0.05 OUT=… bash Benchmarks/learning-synthetic.sh   (that share of the simulated verdicts wrong; a new OUT too)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_SEEDS=${DATA_SEEDS:-"3 5"}
SEEDS=${SEEDS:-3}
PAIRS=${PAIRS:-100000}
SHARE=${SHARE:-0.75}  # as learning.sh; on these sets 0.5 gains F1 and loses width (Benchmarks/README)
EVERY=${EVERY:-10}
ERROR_RATE=${ERROR_RATE:-0}
# How the audit splits its sample across strata (qa audit --allocation): neyman (the least variance) or proportional.
ALLOCATION=${ALLOCATION:-neyman}
ALLOCATION_FLAG=(--audit-allocation "$ALLOCATION")
VARIANTS=${VARIANTS:-"new audit"}
OUT=${OUT:-Benchmarks/out/learning}
mkdir -p "$OUT"
BIN=.build/release
[ -n "${CLERICAL:-}" ] || swift build -c release --product clerical >/dev/null
[ -x "$BIN/clerical-samplegen" ] && [ -n "${CLERICAL:-}" ] || swift build -c release --product clerical-samplegen >/dev/null
NEW=${CLERICAL:-$BIN/clerical}

for data in $DATA_SEEDS; do
  set=synthetic-$PAIRS-$data
  if [ ! -f "$OUT/$set.db" ]; then
    "$BIN"/clerical-samplegen "$OUT/$set-source" --pairs "$PAIRS" --seed "$data" >/dev/null
    cp "$OUT/$set-source/predictions.csv" "$OUT/$set.csv"
    cp "$OUT/$set-source/truth.csv" "$OUT/$set-truth.csv"
    $NEW import "$OUT/$set.db" "$OUT/$set.csv" --model "$OUT/$set-source/model.json" >/dev/null
  fi
  for variant in $VARIANTS; do
    for seed in $(seq "$SEEDS"); do
      result="$OUT/$set-$variant-$seed.json"
      [ -f "$result" ] && continue
      case $variant in
        new)   $NEW simulate "$OUT/$set.db" --truth "$OUT/$set-truth.csv" --decisions 1000 --seed "$seed" --reestimate-every "$EVERY" --error-rate "$ERROR_RATE" --json > "$result" ;;
        audit) $NEW simulate "$OUT/$set.db" --truth "$OUT/$set-truth.csv" --decisions 1000 --seed "$seed" --reestimate-every "$EVERY" --error-rate "$ERROR_RATE" --audit-share "$SHARE" "${ALLOCATION_FLAG[@]}" --json > "$result" ;;
      esac
    done
  done
  python3 Benchmarks/learning_curve.py "$OUT" "$set" "$SEEDS" "$VARIANTS"
done
