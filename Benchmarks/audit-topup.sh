#!/usr/bin/env bash
# An audit as a quality lead would run it, on a set with truth for every pair: the queue
# imported (its band not reviewed), an audit of the size `qa quality` names before any audit
# (`qa audit --count N --stratify band`), then top-ups of the size it names after each
# (`qa audit --count M --allocation neyman`), verdicts from the truth file, up to ROUNDS
# audits or until F1 is within ±0.005. After each: the estimate against the truth of the final
# decisions, whether the 95% intervals cover it, and the pairs waiting in the band (their errors
# against what the model expects there, and whether what holds whatever they hold does).
#
#   bash Benchmarks/audit-topup.sh ../shared/fixtures/splink5-household            (filtered)
#   bash Benchmarks/audit-topup.sh ../shared/fixtures/splink5-household all-pairs
#   bash Benchmarks/audit-topup.sh DIR            (a set made by household_set.py)
set -euo pipefail
cd "$(dirname "$0")/.."
SET=$1
SUB=${2:-}
ROUNDS=${ROUNDS:-4}
OUT=${OUT:-Benchmarks/out/audit-topup}
swift build -c release --product clerical >/dev/null
BIN=.build/release/clerical
mkdir -p "$OUT"
name=$(basename "$SET")${SUB:+-$SUB}
FILES=$SET${SUB:+/$SUB}
QUEUE=$OUT/$name.db
rm -f "$QUEUE" "$QUEUE"-*
gzip -dc "$FILES/predictions.csv.gz" > "$OUT/$name-predictions.csv"
"$BIN" import "$QUEUE" "$OUT/$name-predictions.csv" --model "$SET/model.json" >/dev/null
TRUTH=$FILES/truth.csv.gz
json() { "$BIN" qa quality "$QUEUE" --json | python3 -c "import json,sys; v=json.load(sys.stdin).get('$1'); print(v or 0)"; }
count=$(json audit_verdicts_to_bound_f1)
echo "$name: before any audit, qa quality names $count audit verdicts"
"$BIN" qa audit "$QUEUE" --count "$count" --stratify band --seed 1 >/dev/null
for round in $(seq "$ROUNDS"); do
  python3 Benchmarks/audit_truth.py labels "$QUEUE" "$TRUTH" "$OUT/$name-labels.csv"
  "$BIN" import-labels "$QUEUE" "$OUT/$name-labels.csv" >/dev/null
  "$BIN" qa quality "$QUEUE" --json > "$OUT/$name-quality.json"
  python3 Benchmarks/audit_truth.py final "$QUEUE" "$TRUTH" > "$OUT/$name-truth.json"
  python3 Benchmarks/audit_truth.py waiting "$QUEUE" "$TRUTH" > "$OUT/$name-waiting.json"
  python3 - "$OUT/$name-quality.json" "$OUT/$name-truth.json" "$OUT/$name-waiting.json" "$round" <<'PY'
import json, sys
q, t, w = (json.load(open(p)) for p in sys.argv[1:4])
f = q["f1"]
missed = [k for k in ("precision", "recall", "f1") if not q[k]["low"] <= t[k] <= q[k]["high"]]
print(f"  after audit {sys.argv[4]}: {q['audit_verdicts']} audit verdicts; F1 {f['estimate']:.4f}, "
      f"{f['estimate'] - f['low']:.4f} below and {f['high'] - f['estimate']:.4f} above (true {t['f1']:.4f}); "
      f"precision {q['precision']['low']:.4f}-{q['precision']['high']:.4f} (true {t['precision']:.4f}), "
      f"recall {q['recall']['low']:.4f}-{q['recall']['high']:.4f} (true {t['recall']:.4f}): "
      + ("covered" if not missed else "NOT covered: " + ", ".join(missed))
      + f"; {w['pairs']} pairs waiting in the band, {w['wrong']} of them wrong, the model expects {w['expected_wrong']:.0f}"
      + (f"; whatever they hold, F1 at least {q['whatever_the_band_holds']['f1']:.4f} ("
         + ("every floor below the truth" if all(q["whatever_the_band_holds"][k] <= t[k] for k in t) else "a floor ABOVE the truth") + ")"
         if q.get("whatever_the_band_holds") else "")
      + (f"; it names {q['audit_verdicts_to_narrow_f1']} more" if q.get("audit_verdicts_to_narrow_f1") else ""))
PY
  more=$(json audit_verdicts_to_narrow_f1)
  [ "$more" -gt 0 ] || break
  "$BIN" qa audit "$QUEUE" --count "$more" --allocation neyman --seed $((round + 1)) >/dev/null
done
