#!/usr/bin/env bash
# Builds every libFuzzer target with clang-14 and runs each for FUZZ_SECONDS
# (default 60) over a copy of its seed corpus. Exits non-zero on any crash.
set -euo pipefail
BUILD=${1:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DNITRO_TSS_FUZZ=ON -DNITRO_TSS_BUILD_BENCH=OFF
# Build only the fuzz targets (test targets are configured but not built).
targets=$(cut -d'|' -f1 "$BUILD/fuzzers.txt" | grep -v '^$' | tr '\n' ' ')
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$(nproc)" --target $targets
status=0
while IFS='|' read -r name corpus; do
  [ -n "$name" ] || continue
  work="$BUILD/corpus/$name"
  mkdir -p "$work"
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  bin=$(find "$BUILD" -type f -name "$name" -perm -u+x | head -n1)
  echo "== fuzz $name for ${SECONDS_EACH}s"
  if ! "$bin" -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 "$work" 2>"$BUILD/$name.log"; then
    echo "FAILED: $name (see $BUILD/$name.log)"; tail -n 30 "$BUILD/$name.log"; status=1
  else
    tail -n 1 "$BUILD/$name.log"
  fi
done < "$BUILD/fuzzers.txt"
exit $status
