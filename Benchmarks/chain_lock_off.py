#!/usr/bin/env python3
"""Writes SQL for `postgres.sh`'s ROUND_SQL that takes the decision chain's lock out of the
review path: `append_decision` and `decide_and_claim_next` as the schema defines them
(Sources/ClericalStore/Schema/PostgresSchema.swift), less their `pg_advisory_xact_lock`.
Concurrent verdicts then link to the same previous hash and `verify` fails: an experiment that
measures what the lock costs, never a design.

    python3 Benchmarks/chain_lock_off.py > /tmp/chain-lock-off.sql
    SKIP_SQLITE=1 SKIP_LOAD=1 ROUNDS=paced ROUND_SQL=/tmp/chain-lock-off.sql sudo -E bash Benchmarks/postgres.sh

(The saturated round ends in `verify`, which fails here: run it alone and read its figures
before the error.)
"""
import pathlib

schema = pathlib.Path(__file__).resolve().parent.parent / "Sources/ClericalStore/Schema/PostgresSchema.swift"
lines = schema.read_text().split("\n")


def function(name):
    """The Swift string literal that defines `name`, as SQL (its 8-space indent removed)."""
    start = next(i for i, line in enumerate(lines) if f"CREATE FUNCTION {name}(" in line)
    end = next(i for i in range(start, len(lines)) if '"""' in lines[i])
    body = "\n".join(line[8:] for line in lines[start:end])
    if "\\" in body:
        raise SystemExit(f"{name}: the literal has escapes this script does not read")
    return body


for name in ("append_decision", "decide_and_claim_next"):
    sql = "\n".join(line for line in function(name).split("\n") if "pg_advisory_xact_lock" not in line)
    print(sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1) + ";")
