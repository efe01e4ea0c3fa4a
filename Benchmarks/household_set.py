"""A fresh linkage set that breaks conditional independence, made by Splink itself: for
measuring `clerical` on a set nobody tuned for (see Benchmarks/README.md).

    python3 Benchmarks/household_set.py OUT [--seed S] [--people N] [--household F] [--twins F] [--juniors F] [--places K] [--tf] [--zipf S]

Writes OUT in the layout of ../shared/fixtures/splink5-household, so that `SHARED=OUT bash
Benchmarks/learning.sh` measures it: predictions.csv.gz (rows with match probability >= 0.001),
all-pairs/predictions.csv.gz (every blocked pair), truth.csv.gz in each (is_match for every
row, in row order), model.json, and stats.json in each (counts, Splink's F1 at 0.5, the pattern
bound); also a.csv and b.csv, the two files linked.

A link job in the shape of ../shared/fixtures/splink5-household, but its own people: file A
holds N people, most living alone and a few in households of two or three (sharing a surname
and an address);
file B holds corrupted copies of 60% of them (typos, missing values, a move, day/month swaps,
digit errors) and 0.4 N new people, of whom a share are household members of an A person
(same surname and address, another person), twins (same surname, date of birth and address,
another given name) or juniors (same given name, surname and address, born a generation
later). Names, streets and places are drawn from the household fixture's values (so it is
needed), the people and their structure from the seed. Splink 5 with the fixture's settings:
its comparisons and blocking rules, λ from deterministic rules, u by random sampling, m by
two EM sessions; with --tf, term-frequency adjustments on both names, so that pairs of one
comparison vector have different weights in Splink's output; with --zipf S, names drawn as
real names are, the k-th commonest with weight 1/k^S (0: every name alike, as before).
"""
import argparse
import csv
import gzip
import json
import os
import random
import time
from collections import Counter, defaultdict

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "fixtures", "splink5-household")
FIELDS = ["given_name", "surname", "date_of_birth", "soc_sec_id", "street_number", "address_1", "address_2",
          "suburb", "postcode", "state"]


def vocabulary():
    """The fixture's distinct values: names, and places as (suburb, postcode, state) together."""
    names, surnames, streets, buildings, places = set(), set(), set(), set(), set()
    with gzip.open(os.path.join(FIXTURE, "predictions.csv.gz"), "rt") as f:
        for row in csv.DictReader(f):
            for side in "lr":
                names.add(row[f"given_name_{side}"])
                surnames.add(row[f"surname_{side}"])
                streets.add(row[f"address_1_{side}"])
                buildings.add(row[f"address_2_{side}"])
                if row[f"suburb_{side}"] and row[f"postcode_{side}"] and row[f"state_{side}"]:
                    places.add((row[f"suburb_{side}"], row[f"postcode_{side}"], row[f"state_{side}"]))
    clean = lambda values: sorted(v for v in values if v and len(v) > 1)
    return clean(names), clean(surnames), clean(streets), clean(buildings), sorted(places)


def typo(rng, value):
    """One edit: a letter dropped, doubled, replaced or two swapped."""
    if not value or len(value) < 2:
        return value
    i = rng.randrange(len(value))
    kind = rng.randrange(4)
    letters = "abcdefghijklmnopqrstuvwxyz" if value.isalpha() else "0123456789"
    if kind == 0:
        return value[:i] + value[i + 1:]
    if kind == 1:
        return value[:i] + value[i] + value[i:]
    if kind == 2:
        return value[:i] + rng.choice(letters) + value[i + 1:]
    j = min(i + 1, len(value) - 1)
    chars = list(value)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--household", type=float, default=0.12, help="share of B's new people who live with an A person")
    parser.add_argument("--twins", type=float, default=0.04, help="share of B's new people who are twins of an A person")
    parser.add_argument("--juniors", type=float, default=0.03, help="share of B's new people who are an A person's namesake child")
    parser.add_argument("--places", type=int, default=100, help="suburbs people live in: fewer, more blocked pairs of strangers")
    parser.add_argument("--tf", action="store_true",
                        help="term-frequency adjustments on given_name and surname, as many Splink models have: "
                             "a pair's weight then depends on how common its names are, beyond its comparison vector")
    parser.add_argument("--zipf", type=float, default=0.0,
                        help="names drawn with weight 1/rank^S, as real names are (0: uniformly)")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(FIXTURE, "predictions.csv.gz")):
        parser.error(f"needs {os.path.normpath(FIXTURE)} (the household fixture: its names and places)")
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    names, surnames, streets, buildings, places = vocabulary()
    places = rng.sample(places, min(args.places, len(places)))

    def drawer(values):
        """Draws one of values: uniformly, or with --zipf the k-th of a shuffled order with weight 1/k^S."""
        if args.zipf <= 0:
            return lambda: rng.choice(values)
        ranked = rng.sample(values, len(values))
        cumulative, total = [], 0.0
        for k in range(1, len(ranked) + 1):
            total += 1 / k ** args.zipf
            cumulative.append(total)
        return lambda: rng.choices(ranked, cum_weights=cumulative)[0]

    given_name, family_name = drawer(names), drawer(surnames)

    def date(low=1930, high=2005):
        return f"{rng.randint(low, high):04d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"

    used_ids = set()

    def social_security_id():
        while True:
            value = str(rng.randint(1_000_000, 9_999_999))
            if value not in used_ids:
                used_ids.add(value)
                return value

    def address():
        suburb, postcode, state = rng.choice(places)
        return {"street_number": str(rng.randint(1, 250)), "address_1": rng.choice(streets),
                "address_2": rng.choice(buildings) if rng.random() < 0.6 else "", "suburb": suburb,
                "postcode": postcode, "state": state}

    def person(surname=None, home=None):
        return {"given_name": given_name(), "surname": surname or family_name(), "date_of_birth": date(),
                "soc_sec_id": social_security_id(), **(home or address())}

    # File A: people alone or in households of two or three.
    a_people = []
    while len(a_people) < args.people:
        surname, home = family_name(), address()
        size = rng.choices([1, 2, 3], weights=[0.94, 0.05, 0.01])[0]
        for _ in range(min(size, args.people - len(a_people))):
            a_people.append(person(surname, home))

    def corrupt(record):
        record = dict(record)
        for field in ("given_name", "surname", "address_1", "suburb"):
            if rng.random() < 0.12:
                record[field] = typo(rng, record[field])
        if rng.random() < 0.01:
            record["given_name"], record["surname"] = record["surname"], record["given_name"]
        if rng.random() < 0.08:  # moved house
            record.update(address())
        dob = record["date_of_birth"]
        roll = rng.random()
        if roll < 0.03 and int(dob[6:]) <= 12:
            record["date_of_birth"] = dob[:4] + dob[6:] + dob[4:6]
        elif roll < 0.08:
            record["date_of_birth"] = typo(rng, dob)
        if rng.random() < 0.05:
            record["soc_sec_id"] = typo(rng, record["soc_sec_id"])
        for field in ("given_name", "date_of_birth", "soc_sec_id", "address_1", "suburb"):
            if rng.random() < 0.03:
                record[field] = ""
        return record

    # File B: copies of A people, then new people, some of them close to an A person.
    b_records = []  # (record, A index of the same person or None)
    for index in rng.sample(range(len(a_people)), int(0.6 * args.people)):
        b_records.append((corrupt(a_people[index]), index))
    for _ in range(int(0.4 * args.people)):
        roll = rng.random()
        relative = rng.choice(a_people)
        home = {k: relative[k] for k in ("street_number", "address_1", "address_2", "suburb", "postcode", "state")}
        if roll < args.household:
            new = person(relative["surname"], home)
        elif roll < args.household + args.twins:
            new = person(relative["surname"], home)
            new["date_of_birth"] = relative["date_of_birth"]
        elif roll < args.household + args.twins + args.juniors:
            new = person(relative["surname"], home)
            new["given_name"] = relative["given_name"]
            new["date_of_birth"] = date(int(relative["date_of_birth"][:4]) + 22, int(relative["date_of_birth"][:4]) + 35)
        else:
            new = person()
        b_records.append((corrupt(new) if rng.random() < 0.5 else new, None))
    rng.shuffle(b_records)

    connection = duckdb.connect()
    for table, rows in (("a", [(f"a-{i}", r) for i, r in enumerate(a_people)]),
                        ("b", [(f"b-{i}", r) for i, (r, _) in enumerate(b_records)])):
        path = os.path.join(args.out, f"{table}.csv")
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["unique_id", *FIELDS])
            for uid, record in rows:
                writer.writerow([uid, *[record[field] for field in FIELDS]])
        connection.execute(f"create table {table} as select * from read_csv('{path}', header = true, all_varchar = true)")
        connection.execute(f"update {table} set " + ", ".join(f"{c} = nullif({c}, '')" for c in FIELDS))
    same = {f"b-{i}": f"a-{index}" for i, (_, index) in enumerate(b_records) if index is not None}

    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.9, 0.7]).configure(term_frequency_adjustments=args.tf),
            cl.JaroWinklerAtThresholds("surname", [0.9, 0.7]).configure(term_frequency_adjustments=args.tf),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"), block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"), block_on("soc_sec_id"),
            block_on("postcode", "street_number"), block_on("surname", "postcode"),
        ],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["street_number", "address_2"],
    )
    api = DuckDBAPI(connection=connection)
    linker = Linker([api.register("a", dataset_display_name="household_a"), api.register("b", dataset_display_name="household_b")], settings)
    started = time.time()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id", "surname")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=args.seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.misc.save_model_to_json(os.path.join(args.out, "model.json"), overwrite=True)
    predictions = linker.inference.predict()
    print(f"Splink trained and predicted in {time.time() - started:.0f} s")

    table = predictions.physical_name
    columns = [c[0] for c in connection.execute(f"select * from {table} limit 0").description]
    rows = connection.execute(f"select * from {table} order by match_weight desc, unique_id_l, unique_id_r").fetchall()
    ids = (columns.index("unique_id_l"), columns.index("unique_id_r"))
    probability = columns.index("match_probability")
    gammas = [i for i, c in enumerate(columns) if c.startswith("gamma_")]

    def write(folder, keep):
        kept = [r for r in rows if keep(r)]
        truth = [same.get(r[ids[1]]) == r[ids[0]] for r in kept]
        os.makedirs(folder, exist_ok=True)
        with gzip.open(os.path.join(folder, "predictions.csv.gz"), "wt", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(["" if v is None else v for v in r] for r in kept)
        with gzip.open(os.path.join(folder, "truth.csv.gz"), "wt", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r", "is_match"])
            sources = (columns.index("source_dataset_l"), columns.index("source_dataset_r"))
            for r, t in zip(kept, truth):
                writer.writerow([r[sources[0]], r[ids[0]], r[sources[1]], r[ids[1]], int(t)])
        # The pattern bound: each comparison vector decided by the majority of its true labels.
        by_pattern = defaultdict(Counter)
        for r, t in zip(kept, truth):
            by_pattern[tuple(r[i] for i in gammas)][t] += 1
        tp = sum(c[True] for c in by_pattern.values() if c[True] > c[False])
        fp = sum(c[False] for c in by_pattern.values() if c[True] > c[False])
        fn = sum(c[True] for c in by_pattern.values() if c[True] <= c[False])
        splink_tp = sum(1 for r, t in zip(kept, truth) if t and r[probability] >= 0.5)
        splink_fp = sum(1 for r, t in zip(kept, truth) if not t and r[probability] >= 0.5)
        matches = sum(truth)
        stats = {"pairs": len(kept), "true_matches": matches, "patterns": len(by_pattern),
                "splink_f1": 2 * splink_tp / (2 * splink_tp + splink_fp + matches - splink_tp),
                "splink_false_matches": splink_fp, "splink_missed_matches": matches - splink_tp,
                "pattern_oracle_f1": 2 * tp / (2 * tp + fp + fn),
                "seed": args.seed, "people": args.people, "household": args.household, "twins": args.twins,
                "juniors": args.juniors, "places": len(places), "true_pairs": len(same), "tf": args.tf, "zipf": args.zipf}
        json.dump(stats, open(os.path.join(folder, "stats.json"), "w"), indent=1)
        return stats

    for folder, keep in ((args.out, lambda r: r[probability] >= 0.001), (os.path.join(args.out, "all-pairs"), lambda r: True)):
        stats = write(folder, keep)
        print(f"{folder}: {stats['pairs']} pairs, {stats['true_matches']} true matches, {stats['patterns']} patterns; "
              f"Splink F1 {stats['splink_f1']:.4f}; pattern bound {stats['pattern_oracle_f1']:.4f}")


if __name__ == "__main__":
    main()
