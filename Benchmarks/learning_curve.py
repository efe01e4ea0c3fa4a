# The learning-curve table of learning.sh and learning-synthetic.sh: the pattern bound, F1 at
# 0, 100, 250, 500 and 1,000 verdicts over seeds, whether it ever fell below the imported model,
# and the coverage and half-width of qa quality's intervals at the last step.
#
#   python3 Benchmarks/learning_curve.py OUT NAME SEEDS "VARIANTS"
# reads OUT/NAME.csv (the predictions), OUT/NAME-truth.csv and OUT/NAME-VARIANT-SEED.json.
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
    worst = min(after) if after else imported  # a queue emptied before 100 verdicts
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
