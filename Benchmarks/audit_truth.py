#!/usr/bin/env python3
"""Truth for `audit-topup.sh`, read from a queue file and a set's truth file
(`unique_id_l, unique_id_r, is_match`, gzipped or not):

    audit_truth.py labels QUEUE TRUTH OUT.csv   the latest audit's pairs as a Splink labels table,
                                                each scored by the truth (for import-labels)
    audit_truth.py final QUEUE TRUTH            precision, recall and F1 of the final decisions
                                                (the latest verdict where given, else the current
                                                model at 0.5), as JSON
    audit_truth.py waiting QUEUE TRUTH          pairs waiting in the review band: how many, how
                                                many the model gets wrong, and how many it expects
"""
import csv, gzip, json, sqlite3, sys


def truth(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return {(r["unique_id_l"], r["unique_id_r"]): r["is_match"] == "1" for r in csv.DictReader(f)}


def latest_verdicts(db):
    return dict(db.execute("""
        SELECT pair_id, verdict FROM decision d WHERE id = (SELECT max(id) FROM decision e WHERE e.pair_id = d.pair_id)"""))


PAIRS = """
    SELECT p.id, l.source_dataset, l.unique_id, r.source_dataset, r.unique_id, t.match_probability, t.in_band
    FROM pair p JOIN pattern t ON t.id = p.pattern_id
    JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id"""


def main():
    command, queue, truth_path = sys.argv[1:4]
    db = sqlite3.connect(queue)
    is_match = truth(truth_path)
    if command == "labels":
        rows = db.execute(PAIRS + " JOIN audit_pair a ON a.pair_id = p.id WHERE a.audit_id = (SELECT max(id) FROM audit)")
        with open(sys.argv[4], "w") as out:
            out.write("source_dataset_l,unique_id_l,source_dataset_r,unique_id_r,clerical_match_score\n")
            for _, ds_l, l, ds_r, r, _, _ in rows:
                out.write(f"{ds_l},{l},{ds_r},{r},{int(is_match[(l, r)])}\n")
        return
    verdicts = latest_verdicts(db)
    tp = fp = fn = 0
    waiting = waiting_wrong = 0
    expected = 0.0
    for pair_id, _, l, _, r, probability, in_band in db.execute(PAIRS):
        verdict = verdicts.get(pair_id)
        reviewed = verdict in ("match", "non-match")
        decided = verdict == "match" if reviewed else probability >= 0.5
        match = is_match[(l, r)]
        tp += decided and match
        fp += decided and not match
        fn += match and not decided
        if in_band and not reviewed:
            waiting += 1
            waiting_wrong += decided != match
            expected += min(probability, 1 - probability)
    if command == "final":
        print(json.dumps({"precision": tp / (tp + fp), "recall": tp / (tp + fn), "f1": 2 * tp / (2 * tp + fp + fn)}))
    elif command == "waiting":
        print(json.dumps({"pairs": waiting, "wrong": waiting_wrong, "expected_wrong": round(expected, 1)}))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
