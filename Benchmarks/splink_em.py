"""Splink's own EM training session over given comparison vectors: the third baseline for
`clerical reestimate` (see Benchmarks/README.md).

    python3 Benchmarks/splink_em.py VECTORS.csv MODEL.json [--aggregate]

VECTORS.csv (from clerical-estimation-bench --vectors) has unique_id_l, unique_id_r and one
gamma_<comparison> column per comparison of MODEL.json. The session starts from MODEL.json,
estimates m, u and λ, and runs as Splink runs it by default (over every pair each
iteration); --aggregate passes estimate_without_term_frequencies=True (over patterns).
Prints the time of the EM itself, loading excluded."""
import re
import sys
import time

import duckdb
import splink
from splink import DuckDBAPI, Linker, block_on
from splink.internals.em_training_session import EMTrainingSession

vectors, model_path = sys.argv[1], sys.argv[2]
aggregate = "--aggregate" in sys.argv
import json

settings = json.load(open(model_path))
columns = set(settings.get("additional_columns_to_retain", []))
for comparison in settings["comparisons"]:
    for level in comparison["comparison_levels"]:
        columns.update(re.findall(r'"?(\w+)_l"?', level["sql_condition"]))
columns.discard("unique_id")
names = sorted(columns) + ["bench_block"]

connection = duckdb.connect()
api = DuckDBAPI(connection=connection)
# A two-record input: the session needs a linker, but its pairs come from VECTORS.csv.
rows = ",".join("(" + ",".join([f"'{i}'"] + ["'x'"] * len(names)) + ")" for i in ["a", "b"])
connection.execute(f"create table records as select * from (values {rows}) t({','.join(['unique_id'] + names)})").fetchall()
settings["link_type"] = "dedupe_only"
linker = Linker(api.register("records"), settings)

started = time.time()
connection.execute(f"create table __splink__df_comparison_vectors as select *, '0' as match_key from read_csv('{vectors}', header = true)").fetchall()
count = connection.execute("select count(*) from __splink__df_comparison_vectors").fetchall()[0][0]
cvv = api.register("__splink__df_comparison_vectors")
print(f"loaded {count} comparison vectors into DuckDB in {time.time() - started:.2f} s")

session = EMTrainingSession(
    linker,
    db_api=api,
    blocking_rule_for_training=block_on("bench_block").get_blocking_rule("duckdb"),
    core_model_settings=linker._settings_obj.core_model_settings,
    training_settings=linker._settings_obj.training_settings,
    unique_id_input_columns=linker._settings_obj.column_info_settings.unique_id_input_columns,
    estimate_without_term_frequencies=aggregate,
)
started = time.time()
session._train(cvv)
elapsed = time.time() - started
iterations = len(session._core_model_settings_history) - 1
print(f"splink {splink.__version__} EM session{' (aggregated)' if aggregate else ''}: {elapsed:.3f} s, "
      f"{iterations} iterations ({elapsed * 1000 / max(iterations, 1):.1f} ms per iteration)")
