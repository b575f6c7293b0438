#!/usr/bin/env bash
# The issue-15 load benchmark and the in-process figures it is compared
# with, in one session: gg20_bench (BM_OnlineSign/2, BM_FullSign/2/1 and the
# baseline), then coordinator_load_bench (arguments are passed on), then the
# table of docs/BENCHMARKS.md "Load (issue 15)". JSON in $BUILD/bench/.
set -euo pipefail
BUILD=${BUILD:-build}
OUT="$BUILD/bench"
mkdir -p "$OUT"
echo "== $(date -u) $(uptime)"
"$BUILD/bench/gg20/gg20_bench" \
  --benchmark_filter='Baseline|OnlineSign/2|FullSign/2/1' \
  --benchmark_repetitions=3 \
  --benchmark_out="$OUT/gg20_bench.load.json" --benchmark_out_format=json
echo "== $(date -u) $(uptime)"
NITRO_TSS_BINARY_DIR="$(cd "$BUILD" && pwd)" \
  "$BUILD/bench/coordinator/coordinator_load_bench" "$@" \
  --benchmark_out="$OUT/coordinator_load_bench.json" \
  --benchmark_out_format=json
echo "== $(date -u) $(uptime)"
python3 "$(dirname "$0")/load_report.py" "$OUT/coordinator_load_bench.json" \
  "$OUT/gg20_bench.load.json"
