"""Loads a model JSON exported by `clerical export model` in Splink, and checks that Splink
reads back the same m probabilities. Usage: python3 load_splink_model.py MODEL.json"""
import json
import re
import sys

import duckdb
import splink
from splink import DuckDBAPI, Linker

path = sys.argv[1]
settings = json.load(open(path))

# A two-record table with every column the model reads, so Splink can build the linker.
columns = set(settings.get("additional_columns_to_retain", []))
for comparison in settings["comparisons"]:
    for level in comparison["comparison_levels"]:
        columns.update(re.findall(r'"?(\w+)_l"?', level["sql_condition"]))
unique_id = settings.get("unique_id_column_name", "unique_id")
columns.discard(unique_id)
names = sorted(columns)

connection = duckdb.connect()
api = DuckDBAPI(connection=connection)


def table(name, ids):
    rows = ",".join("(" + ",".join([f"'{i}'"] + ["'x'"] * len(names)) + ")" for i in ids)
    connection.execute(f"create table {name} as select * from (values {rows}) t({','.join([unique_id] + names)})")
    return api.register(name)


tables = [table("a", ["a", "b"]), table("b", ["c", "d"])] if settings.get("link_type") == "link_only" else table("a", ["a", "b"])
loaded = Linker(tables, path).misc.save_model_to_json()
for written, read in zip(settings["comparisons"], loaded["comparisons"]):
    for level_written, level_read in zip(written["comparison_levels"], read["comparison_levels"]):
        if not level_written.get("is_null_level"):
            assert level_written["m_probability"] == level_read["m_probability"], (level_written, level_read)
print(f"splink {splink.__version__} loaded {len(loaded['comparisons'])} comparisons with the exported m")
