// The project-wide benchmark unit, linked into every benchmark binary by
// nitro_tss_bench() so each run reports its own same-run baseline:
//   BM_Baseline_PaillierPowm = one mpz_powm(r, base, e, N²) with a random
//   2048-bit N (odd, top bit set), base < N² and a 2048-bit exponent, i.e.
//   one full-size Paillier exponentiation.
// Figures in docs/BENCHMARKS.md are ratios to it (scripts/bench_ratios.py).
#include <benchmark/benchmark.h>
#include <gmp.h>

namespace {

void BM_Baseline_PaillierPowm(benchmark::State& state) {
  gmp_randstate_t rng;
  gmp_randinit_default(rng);
  gmp_randseed_ui(rng, 424242);
  mpz_t n, n2, e, base, r;
  mpz_inits(n, n2, e, base, r, nullptr);
  mpz_urandomb(n, rng, 2048);
  mpz_setbit(n, 2047);
  mpz_setbit(n, 0);
  mpz_mul(n2, n, n);
  mpz_urandomb(e, rng, 2048);
  mpz_setbit(e, 2047);
  mpz_urandomm(base, rng, n2);
  for (auto _ : state) {
    mpz_powm(r, base, e, n2);
    benchmark::DoNotOptimize(r);
  }
  mpz_clears(n, n2, e, base, r, nullptr);
  gmp_randclear(rng);
}
BENCHMARK(BM_Baseline_PaillierPowm)->Unit(benchmark::kMillisecond);

}  // namespace
