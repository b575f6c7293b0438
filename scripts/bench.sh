#!/usr/bin/env bash
# Runs every Google Benchmark binary and writes JSON to <build>/bench/<name>.json.
set -euo pipefail
BUILD=${1:-build}
mkdir -p "$BUILD/bench"
while read -r name; do
  [ -n "$name" ] || continue
  bin=$(find "$BUILD" -type f -name "$name" -perm -u+x | head -n1)
  echo "== bench $name"
  "$bin" --benchmark_out="$BUILD/bench/$name.json" --benchmark_out_format=json \
    ${BENCH_ARGS:-}
done < "$BUILD/benches.txt"
