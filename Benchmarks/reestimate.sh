#!/usr/bin/env bash
# Re-estimation benchmark: `clerical reestimate` end to end (EM, re-scoring, re-ordering the
# queue, a new model version) on a generated 5,000,000-pair queue with 2,000 verdicts, against
# a plain pair-by-pair EM over the same pairs (clerical-estimation-bench) and Splink's own EM
# training session over the same comparison vectors (Benchmarks/splink_em.py, where python3
# has splink), in one run. Targets: under 1 s; at least 50 × faster than Splink's EM session.
#
#   bash Benchmarks/reestimate.sh                 # 5,000,000 pairs, 3 runs of clerical reestimate
#   PAIRS=500000 RUNS=1 bash Benchmarks/reestimate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-5000000}
RUNS=${RUNS:-3}
VERDICTS=${VERDICTS:-2000}
OUT=Benchmarks/out
DATA=$OUT/bench-$PAIRS
BASE=$OUT/reestimate-$PAIRS.db
WORK=$OUT/reestimate-work.db
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
# SCRATCH=dir builds there (swift build --scratch-path), beside a debug .build.
SCRATCH=${SCRATCH:-.build}

swift build -c release --scratch-path "$SCRATCH" --product clerical >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product clerical-samplegen >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product clerical-estimation-bench >/dev/null
mkdir -p "$OUT"
[ -f "$DATA/predictions.csv" ] || "$SCRATCH"/release/clerical-samplegen "$DATA" --pairs "$PAIRS"
if [ ! -f "$BASE" ]; then
  echo "importing $DATA/predictions.csv (once) ..."
  "$SCRATCH"/release/clerical import "$BASE" "$DATA/predictions.csv" --model "$DATA/model.json" | sed 's/^/  /'
fi

# Verdicts through ReviewQueue, the pair-by-pair EM, and the comparison vectors for Splink.
"$SCRATCH"/release/clerical-estimation-bench "$BASE" --truth "$DATA/truth.csv" --verdicts "$VERDICTS" --vectors "$OUT/vectors-$PAIRS.csv"

for run in $(seq "$RUNS"); do
  rm -f "$WORK"*
  cp "$BASE" "$WORK"  # every run starts from the imported model
  sync "$WORK"        # or the first fsync would flush the whole copy and be timed with it
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$SCRATCH"/release/clerical reestimate "$WORK" --json > "$OUT/report.json"
  read -r wall kb < "$OUT/time.txt"
  python3 - "$OUT/report.json" "$wall" "$kb" "$run" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"run {sys.argv[4]}: clerical reestimate {float(sys.argv[2]):.3f} s wall ({int(sys.argv[3]) // 1024} MB peak), "
      f"{report['seconds']:.3f} s inside (EM {report['iterations']} iterations over {report['patterns']} patterns, "
      f"{report['pairs']} pairs, {report['labels']['matches'] + report['labels']['non_matches']} labels; "
      f"{report['band']['moved_into_review']} pairs into review)")
PY
done

if python3 -c "import splink, duckdb" 2>/dev/null; then
  python3 Benchmarks/splink_em.py "$OUT/vectors-$PAIRS.csv" "$DATA/model.json" 2>/dev/null | grep -v "^ "
else
  echo "Splink's EM session: not measured (python3 -m pip install splink)"
fi
rm -f "$WORK"* "$OUT/time.txt" "$OUT/report.json"
