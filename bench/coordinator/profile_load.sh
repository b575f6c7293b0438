#!/usr/bin/env bash
# Instruction counts per pool signature (issue 15): coordinator_load_bench's
# BM_PoolSign with tss-coordinator and node 1's tss-enclave under
# `valgrind --tool=callgrind`, counting only during the measured runs.
#
#   bench/coordinator/profile_load.sh [OUT_DIR] [load bench flags...]
#   default flags: --pool_target=60 --pool_requests=40,60,60
#                  --benchmark_filter=BM_PoolSign
#
# How: a shadow of the build directory (symlinks) in which
# coordinator/service/tss-coordinator and node/enclave/tss-enclave are
# wrappers, named to the benchmark by NITRO_TSS_BINARY_DIR. The coordinator
# always runs under callgrind (instrumentation off until a run starts); the
# enclave only after the benchmark's LOAD_BENCH_RESTART_ENCLAVE_1 hook
# (node 1 restarted once the key exists: its safe-prime material was made
# at full speed). LOAD_BENCH_BEFORE_RUN zeroes the counters and switches
# instrumentation on, LOAD_BENCH_AFTER_RUN dumps and switches it off: one
# callgrind.<kind>.<pid>.<n> file per process and run (threads separate,
# so the pool refill's presign threads can be told apart). Summaries with
# callgrind_annotate. Test/bench-only; nothing in the production binaries.
set -euo pipefail
BUILD=$(cd "${BUILD:-build}" && pwd)
OUT=${1:-$(mktemp -d /tmp/nitro-load-profile-XXXXXX)}
shift || true
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SHADOW="$OUT/bin"
rm -rf "$SHADOW"
mkdir -p "$SHADOW"
# Symlink everything but the two wrapped binaries.
shadow() {  # $1: relative path of the binary to wrap
  local rel=$1 dir
  dir=$(dirname "$rel")
  local parts=() p="$dir"
  while [ "$p" != "." ]; do parts=("$p" "${parts[@]}"); p=$(dirname "$p"); done
  for d in "${parts[@]}"; do
    if [ -L "$SHADOW/$d" ]; then
      rm "$SHADOW/$d"
    fi
    if [ ! -d "$SHADOW/$d" ]; then
      mkdir -p "$SHADOW/$d"
      for e in "$BUILD/$d"/*; do
        ln -s "$e" "$SHADOW/$d/$(basename "$e")"
      done
    fi
  done
  rm -f "$SHADOW/$rel"
}
for e in "$BUILD"/*; do ln -s "$e" "$SHADOW/$(basename "$e")"; done
shadow coordinator/service/tss-coordinator
shadow node/enclave/tss-enclave
VG="valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes"
cat >"$SHADOW/coordinator/service/tss-coordinator" <<EOF
#!/bin/sh
exec $VG --callgrind-out-file=$OUT/callgrind.coordinator.%p \
  $BUILD/coordinator/service/tss-coordinator "\$@"
EOF
cat >"$SHADOW/node/enclave/tss-enclave" <<EOF
#!/bin/sh
if [ -e $OUT/enclave-under-valgrind ]; then
  exec $VG --callgrind-out-file=$OUT/callgrind.enclave.%p \
    $BUILD/node/enclave/tss-enclave "\$@"
fi
exec $BUILD/node/enclave/tss-enclave "\$@"
EOF
chmod +x "$SHADOW/coordinator/service/tss-coordinator" \
  "$SHADOW/node/enclave/tss-enclave"
# callgrind_control for this profile's processes only, by pid (without one
# it would reach every callgrind process on the machine, other sessions'
# profiles included).
cat >"$OUT/control" <<EOF
#!/bin/sh
for pid in \$(pgrep -f -- "--callgrind-out-file=$OUT/callgrind"); do
  callgrind_control "\$@" "\$pid" >/dev/null
done
EOF
chmod +x "$OUT/control"
if [ $# -eq 0 ]; then
  set -- --pool_target=60 --pool_requests=40,60,60 \
    --benchmark_filter=BM_PoolSign
fi
echo "== $(date -u) $(uptime); output in $OUT"
NITRO_TSS_BINARY_DIR="$SHADOW" \
  LOAD_BENCH_RESTART_ENCLAVE_1="touch $OUT/enclave-under-valgrind" \
  LOAD_BENCH_BEFORE_RUN="$OUT/control -z; $OUT/control -i on" \
  LOAD_BENCH_AFTER_RUN="$OUT/control -d; $OUT/control -i off" \
  "$BUILD/bench/coordinator/coordinator_load_bench" "$@" \
  --benchmark_out="$OUT/coordinator_load_bench.json" \
  --benchmark_out_format=json
echo "== $(date -u) $(uptime)"
ls "$OUT"/callgrind.* 2>/dev/null || true
