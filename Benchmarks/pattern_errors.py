# Where the errors beyond the pattern bound sit, in a queue `clerical simulate --keep-queue`
# kept: every comparison vector (pattern) whose pairs the queue's final decisions (verdicts
# where given, the last model at 0.5 elsewhere) get more often wrong than the pattern's majority
# would. Each such pattern is counted as labelled or not (any match/non-match verdict on it),
# in the review band or decided by the model alone, and whether the imported model had its
# majority right (then re-estimation or verdicts turned it wrong).
#
#   clerical simulate Q.db --truth T.csv --decisions 1000 --keep-queue kept.db
#   python3 Benchmarks/pattern_errors.py kept.db T.csv [TOP]
import collections, csv, sqlite3, sys

queue, truth_path = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 20
truth = {}
for row in csv.DictReader(open(truth_path)):
    # Datasets, where the truth file has them (a link job), are part of a record's key.
    left = (row.get("source_dataset_l", ""), row["unique_id_l"])
    right = (row.get("source_dataset_r", ""), row["unique_id_r"])
    truth[(left, right)] = truth[(right, left)] = row["is_match"] == "1"
has_datasets = "source_dataset_l" in open(truth_path).readline()

db = sqlite3.connect(f"file:{queue}?mode=ro", uri=True)
patterns = {pid: (gammas, probability, in_band) for pid, gammas, probability, in_band
            in db.execute("SELECT id, gammas, match_probability, in_band FROM pattern")}
# Per pattern: true matches and non-matches, verdicts of each kind, and among the pairs without
# a verdict, matches and non-matches (what the model decides); the imported probability.
tally = collections.defaultdict(lambda: {"m": 0, "n": 0, "vm": 0, "vn": 0, "um": 0, "un": 0, "imported": 0.0})
rows = db.execute("""
    SELECT p.pattern_id, l.source_dataset, l.unique_id, r.source_dataset, r.unique_id, p.imported_match_probability,
           (SELECT verdict FROM decision d WHERE d.pair_id = p.id AND d.verdict IS NOT NULL ORDER BY d.id DESC LIMIT 1)
    FROM pair p JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id""")
for pattern, ldata, lid, rdata, rid, imported, verdict in rows:
    key = ((ldata or "") if has_datasets else "", lid), ((rdata or "") if has_datasets else "", rid)
    if key not in truth:
        continue
    is_match, t = truth[key], tally[pattern]
    t["imported"] = imported
    t["m" if is_match else "n"] += 1
    if verdict == "match":
        t["vm"] += 1
    elif verdict == "non-match":
        t["vn"] += 1
    else:
        t["um" if is_match else "un"] += 1

errors = bound_errors = 0
excess = []
by_kind = collections.Counter()
for pattern, t in tally.items():
    gammas, probability, in_band = patterns[pattern]
    decided_match = probability >= 0.5
    wrong = t["un"] if decided_match else t["um"]  # verdicts are right by construction
    majority_match = t["m"] > t["n"]
    wrong_by_majority = t["un"] if majority_match else t["um"]
    errors += wrong
    bound_errors += min(t["m"], t["n"])
    if wrong > wrong_by_majority:
        kind = ("labelled" if t["vm"] + t["vn"] else "unlabelled",
                "review band" if in_band else "model alone",
                "imported right" if (t["imported"] >= 0.5) == majority_match else "imported wrong")
        by_kind[kind] += wrong - wrong_by_majority
        excess.append((wrong - wrong_by_majority, gammas, t, probability, in_band))

matches = sum(t["m"] for t in tally.values())
print(f"{sum(t['m'] + t['n'] for t in tally.values())} pairs with truth, {matches} matches")
print(f"final decisions wrong on {errors} pairs; the pattern bound on {bound_errors}; beyond it {errors - bound_errors}"
      " (net: a reviewed pair is right even where its pattern's majority is not)")
print("\npairs wrong beyond their pattern's majority, by where they sit:")
for kind, count in by_kind.most_common():
    print(f"  {count:7}  {' / '.join(kind)}")
print(f"\nthe {min(top, len(excess))} patterns with most: excess, gammas, matches, non-matches, "
      "verdicts (match/non-match), probability now, imported, in band")
for extra, gammas, t, probability, in_band in sorted(excess, key=lambda e: (-e[0], e[1]))[:top]:
    print(f"  {extra:6}  {gammas:24} {t['m']:6} {t['n']:6}  {t['vm']:3}/{t['vn']:<3}  "
          f"{probability:.4f}  {t['imported']:.4f}  {in_band}")
