// The project-wide benchmark unit, linked into every benchmark binary by
// nitro_tss_bench() so each run reports its own same-run baseline:
//   BM_Baseline_PaillierPowm = one mpz_powm(r, base, e, N²) with a random
//   2048-bit N (odd, top bit set), base < N² and a 2048-bit exponent, i.e.
//   one full-size Paillier exponentiation.
// Figures in docs/BENCHMARKS.md are ratios to it (scripts/bench_ratios.py).
#include "bench/common/baseline.h"

#include <benchmark/benchmark.h>
#include <gmp.h>

namespace {

void BM_Baseline_PaillierPowm(benchmark::State& state) {
  nitro_tss::bench::BaselineOperands operands;
  for (auto _ : state) {
    operands.Run();
    benchmark::DoNotOptimize(operands.result());
  }
}
BENCHMARK(BM_Baseline_PaillierPowm)->Unit(benchmark::kMillisecond);

}  // namespace
