#!/usr/bin/env bash
# Fuzzing: one libFuzzer target per parser (Benchmarks/Fuzz/Target/Fuzz.swift), built with
# -sanitize=fuzzer,address: the predictions CSV with its layout, the Splink model JSON, the
# theme TOML, the truth file, the labels file, a queue URL with its password file, service file
# and PG* variables. Each runs SECONDS_EACH (600) seconds, two at a
# time, from seeds made from the test fixtures. An input that crashes one is copied into
# Benchmarks/Fuzz/Regressions/TARGET/, where FuzzRegressionTests replays it for ever; the
# script then exits 1.
#
#   bash Benchmarks/fuzz.sh
#   SECONDS_EACH=60 TARGETS="model theme" bash Benchmarks/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${SECONDS_EACH:-600}
TARGETS=${TARGETS:-predictions model theme truth labels address}
SCRATCH=${SCRATCH:-.build-fuzz}
OUT=Benchmarks/out/fuzz
FIXTURES=Tests/ClericalStoreTests/Fixtures
swift build -c release --scratch-path "$SCRATCH" --product clerical-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >/dev/null 2>&1
FUZZER="$SCRATCH/release/clerical-fuzz"

seed() {  # target → its seed corpus
  local target=$1 dir=$OUT/$1/seeds
  mkdir -p "$dir"
  case $target in
    predictions) for f in "$FIXTURES"/*/predictions.csv; do head -n 12 "$f" > "$dir/$(basename "$(dirname "$f")").csv"; done ;;
    model) cp "$FIXTURES"/splink5-febrl3/model.json "$dir/febrl.json"; cp "$FIXTURES"/splink5-link-small/model.json "$dir/link.json" ;;
    theme) cp Sources/ClericalTUI/Themes/*.toml "$dir/" ;;
    truth) head -n 20 "$FIXTURES"/splink5-febrl3/truth.csv > "$dir/truth.csv" ;;
    labels) printf 'unique_id_l,unique_id_r,clerical_match_score\na,b,1\na,c,0\nb,c,0.5\n' > "$dir/labels.csv" ;;
    address)  # URL \0 password file \0 service file \0 PG* variables
      printf 'postgresql://ana:s3cret@db1:5432,db2:5433/linkage?schema=q&target_session_attrs=read-write&sslmode=require' > "$dir/hosts"
      printf 'postgresql://ana@[::1]:5432/linkage?schema=q&sslmode=verify-full&sslrootcert=system&connect_timeout=5\0db1:5432:linkage:ana:pw\\:1\n*:*:*:*:any\n' > "$dir/pgpass"
      printf 'postgresql:///linkage?service=team&schema=q\0\0# team\n[team]\nhost=db1,db2\nport=5432,5433\nuser=ana\ntarget_session_attrs=primary\n[other]\nhost=x\n' > "$dir/service"
      printf 'postgresql://?schema=q\0\0\0PGHOST=a,b,/tmp\nPGPORT=1,2,3\nPGUSER=ana\nPGDATABASE=linkage\nPGTARGETSESSIONATTRS=read-write\nPGSSLMODE=disable\n' > "$dir/environment" ;;
  esac
}

run() {  # target → fuzz it; 0 when nothing crashed
  local target=$1 dir=$OUT/$1
  rm -rf "$dir"; mkdir -p "$dir/corpus" "$dir/crashes"
  seed "$target"
  # TOMLKit 0.6.0 leaks the key strings of every TOMLTable.keys call (tableGetKeys strdup's
  # them, nothing frees them), and its parser leaks on some errors; Foundation's file reading
  # (FileManager.contents, String(contentsOfFile:)) leaks its 4 KiB buffer on an empty file or
  # one that is not UTF-8: leaks outside this project, so the theme and address targets ignore
  # leaks, per input and at exit.
  local leaks=1
  case $target in theme|address) leaks=0 ;; esac
  local started=$SECONDS
  ASAN_OPTIONS=detect_leaks=$leaks CLERICAL_FUZZ=$target "$FUZZER" -detect_leaks=$leaks -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$dir/crashes/" -print_final_stats=1 "$dir/corpus" "$dir/seeds" >"$dir/log" 2>&1 || true
  local runs crashes
  runs=$(grep -m1 'stat::number_of_executed_units' "$dir/log" | awk '{print $2}')
  crashes=$(find "$dir/crashes" -type f | wc -l)
  echo "$target: ${runs:-?} inputs in $((SECONDS - started)) s, $crashes crashing"
  if [ "$crashes" -gt 0 ]; then
    cp "$dir"/crashes/* "Benchmarks/Fuzz/Regressions/$target/"
    tail -n 40 "$dir/log"
    return 1
  fi
}

failed=0
set -- $TARGETS
while [ $# -gt 0 ]; do
  run "$1" & first=$!
  second=""
  if [ $# -gt 1 ]; then run "$2" & second=$!; fi
  wait "$first" || failed=1
  if [ -n "$second" ]; then wait "$second" || failed=1; fi
  shift; [ $# -gt 0 ] && shift
done
exit $failed
