#!/usr/bin/env bash
# Learning curves on the household sets (../shared/fixtures/splink5-household): F1 of the queue's
# model after 0, 100, 250, 500 and 1,000 simulated verdicts (uncertainty order, re-estimating
# every 50), over several seeds, for three variants:
#   today   – the model before re-estimation beyond independence (the commit BASELINE, built
#             beside this one in Benchmarks/out/baseline);
#   new     – clerical simulate --model auto, no audit;
#   audit   – clerical simulate --model auto --audit-share SHARE.
# Also prints the pattern bound, computed here from the truth file (each distinct comparison
# vector decided by the majority of its true labels), and the imported model's F1.
#
#   bash Benchmarks/learning.sh                         # seeds 1–20 filtered, 1–5 all pairs
#   SEEDS=3 ALL_SEEDS=2 VARIANTS="new audit" bash Benchmarks/learning.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/fixtures/splink5-household}
SEEDS=${SEEDS:-20}
ALL_SEEDS=${ALL_SEEDS:-5}
SHARE=${SHARE:-0.5}
VARIANTS=${VARIANTS:-"today new audit"}
BASELINE=${BASELINE:-e4c4f60}
OUT=Benchmarks/out/learning
mkdir -p "$OUT"
[ -d "$SHARED" ] || { echo "needs $SHARED (the shared household fixtures)"; exit 1; }

# CLERICAL=path uses a clerical binary built elsewhere (for example with --scratch-path).
NEW=${CLERICAL:-.build/release/clerical}
[ -n "${CLERICAL:-}" ] || swift build -c release --product clerical >/dev/null
TODAY=""
if [[ " $VARIANTS " == *" today "* ]]; then
  if [ ! -x Benchmarks/out/baseline/.build/release/clerical ]; then
    rm -rf Benchmarks/out/baseline
    git worktree add -f Benchmarks/out/baseline "$BASELINE" >/dev/null 2>&1 || git -C Benchmarks/out/baseline checkout -q "$BASELINE"
    (cd Benchmarks/out/baseline && swift build -c release --product clerical >/dev/null)
  fi
  TODAY=Benchmarks/out/baseline/.build/release/clerical
fi

for set in filtered all-pairs; do
  dir=$SHARED; [ "$set" = all-pairs ] && dir=$SHARED/all-pairs
  [ -f "$OUT/$set.csv" ] || zcat "$dir/predictions.csv.gz" > "$OUT/$set.csv"
  [ -f "$OUT/$set-truth.csv" ] || zcat "$dir/truth.csv.gz" > "$OUT/$set-truth.csv"
  [ -f "$OUT/$set.db" ] || $NEW import "$OUT/$set.db" "$OUT/$set.csv" --model "$SHARED/model.json" >/dev/null
  seeds=$SEEDS; [ "$set" = all-pairs ] && seeds=$ALL_SEEDS
  for variant in $VARIANTS; do
    for seed in $(seq "$seeds"); do
      result="$OUT/$set-$variant-$seed.json"
      [ -f "$result" ] && continue
      case $variant in
        today) [ -f "$OUT/$set-today.db" ] || $TODAY import "$OUT/$set-today.db" "$OUT/$set.csv" --model "$SHARED/model.json" >/dev/null
               $TODAY simulate "$OUT/$set-today.db" --truth "$OUT/$set-truth.csv" --decisions 1000 --seed "$seed" --json > "$result" ;;
        new)   $NEW simulate "$OUT/$set.db" --truth "$OUT/$set-truth.csv" --decisions 1000 --seed "$seed" --json > "$result" ;;
        audit) $NEW simulate "$OUT/$set.db" --truth "$OUT/$set-truth.csv" --decisions 1000 --seed "$seed" --audit-share "$SHARE" --json > "$result" ;;
      esac
    done
  done
  python3 - "$OUT" "$set" "$seeds" "$VARIANTS" <<'PY'
import csv, json, sys, glob, os
out, name, seeds, variants = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
# The pattern bound: every comparison vector decided by the majority of its true labels.
# The truth file is matched on ids (all-pairs/truth.csv is not in the predictions' row order).
truth = csv.DictReader(open(f"{out}/{name}-truth.csv"))
is_match = {(t["unique_id_l"], t["unique_id_r"]): t["is_match"] == "1" for t in truth}
rows = csv.reader(open(f"{out}/{name}.csv")); header = next(rows)
gammas = [i for i, h in enumerate(header) if h.startswith("gamma_")]
left, right = header.index("unique_id_l"), header.index("unique_id_r")
by = {}
for row in rows:
    key = tuple(row[i] for i in gammas); m = is_match[(row[left], row[right])]
    a = by.setdefault(key, [0, 0]); a[0 if m else 1] += 1
tp = sum(m for m, n in by.values() if m > n); fp = sum(n for m, n in by.values() if m > n)
fn = sum(m for m, n in by.values() if m <= n)
bound = 2 * tp / (2 * tp + fp + fn)
print(f"\n{name}: pattern bound F1 {bound:.4f}; target {bound - 0.0005:.4f}")
steps = [0, 100, 250, 500, 1000]
print(f"  {'variant':8} {'seeds':>5}  " + "  ".join(f"{s:>6}" for s in steps) + "   (F1: min / median / max over seeds)")
for variant in variants:
    runs = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/{name}-{variant}-*.json"))][:seeds]
    if not runs: continue
    def at(run, v):
        best = None
        for step in run["steps"]:
            if step["verdicts"] <= v: best = step
        return best["f1"]
    cells = []
    for s in steps:
        values = sorted(at(r, s) for r in runs)
        cells.append(f"{values[0]:.4f}/{values[len(values)//2]:.4f}/{values[-1]:.4f}")
    print(f"  {variant:8} {len(runs):>5}  " + "  ".join(cells))
    imported = runs[0]["steps"][0]["f1"]
    after = [step["f1"] for r in runs for step in r["steps"] if step["verdicts"] >= 100]
    worst = min(after)
    best1000 = sorted(at(r, 1000) for r in runs)
    print(f"           at 1,000: reached {bound - 0.0005:.4f} in {sum(v >= bound - 0.0005 for v in best1000)} of {len(runs)} seeds; "
          f"worst F1 after ≥ 100 verdicts {worst:.4f} (imported {imported:.4f}: {'never below' if worst >= imported else 'BELOW'})")
    # qa quality's 95% intervals against the truth of the final decisions, at the last step.
    last = [r["steps"][-1] for r in runs if "estimate" in r["steps"][-1]]
    if last:
        covers = sum(s["estimate"]["precision_low"] <= s["final"]["precision"] <= s["estimate"]["precision_high"]
                     and s["estimate"]["recall_low"] <= s["final"]["recall"] <= s["estimate"]["recall_high"] for s in last)
        halves = sorted(max(s["estimate"]["precision_high"] - s["estimate"]["precision_low"],
                            s["estimate"]["recall_high"] - s["estimate"]["recall_low"]) / 2 for s in last)
        finals = sorted(s["final"]["f1"] for s in last)
        bases = sorted({s["estimate"].get("interval_basis", "?") for s in last})
        print(f"           intervals ({'/'.join(bases)}-based) at 1,000 cover the true precision and recall in {covers} of {len(last)} seeds; "
              f"half-width median {halves[len(halves)//2]:.4f}, max {halves[-1]:.4f}; final decisions' F1 median {finals[len(finals)//2]:.4f}")
PY
done
