#!/usr/bin/env bash
# Crash harness: 200 SIGKILLs at random moments across import, review (three reviewer
# processes printing each verdict the moment it is committed), reestimate, qa sample and export
# of the FEBRL queue. After each: verify passes, every acknowledged verdict is there, no pair
# has two standing verdicts of one kind, every claim has one holder, an import is all or
# nothing, a model version complete or absent, an export file complete or absent.
# See Benchmarks/Crash/main.swift; the tests run 20 kills (CrashTests).
#
#   bash Benchmarks/crash.sh
#   KILLS=50 SEED=7 bash Benchmarks/crash.sh
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${KILLS:-200}
SEED=${SEED:-1}
SCRATCH=${SCRATCH:-.build}
FIXTURE=${FIXTURE:-Tests/ClericalStoreTests/Fixtures/splink5-febrl3}
WORK=Benchmarks/out/crash
for product in clerical clerical-load clerical-crash; do
  swift build -c release --scratch-path "$SCRATCH" --product "$product" >/dev/null
done
rm -rf "$WORK"
"$SCRATCH"/release/clerical-crash --bin "$SCRATCH"/release --fixture "$FIXTURE" --work "$WORK" --kills "$KILLS" --seed "$SEED"
rm -rf "$WORK"
