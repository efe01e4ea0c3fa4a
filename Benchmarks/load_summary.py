"""Summarises clerical-load reports (Benchmarks/concurrency.sh, Benchmarks/postgres.sh).

    python3 Benchmarks/load_summary.py 'Benchmarks/out/load-*.json' [LABEL]
"""
import glob
import json
import statistics
import sys

reports = [json.load(open(f)) for f in glob.glob(sys.argv[1])]
label = sys.argv[2] + ": " if len(sys.argv) > 2 else "  "
latencies = sorted(x for r in reports for x in r["latencies"])
verdicts = sum(r["verdicts"] for r in reports)
elapsed = max(r["elapsed"] for r in reports)
errors = [e for r in reports for e in r["errors"]]
decided = [p for r in reports for p in r["decidedPairs"]]
p99 = latencies[int(0.99 * (len(latencies) - 1))]
print(f"{label}{verdicts} verdicts in {elapsed:.1f} s by {len(reports)} processes: {verdicts / elapsed:.0f} verdicts per second")
print(f"  verdict + next claim: median {statistics.median(latencies) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, max {latencies[-1] * 1000:.1f} ms")
print(f"  per process: {min(r['verdicts'] for r in reports)}–{max(r['verdicts'] for r in reports)} verdicts; "
      f"errors: {len(errors)}; pairs decided twice: {len(decided) - len(set(decided))}; "
      f"reconnections: {sum(r.get('reconnections', 0) for r in reports)}")
