// The operands of the project-wide benchmark unit (bench/common/baseline.cc):
// one mpz_powm(r, base, e, N²) with a random 2048-bit N (odd, top bit set),
// base < N² and a 2048-bit exponent, i.e. one full-size Paillier
// exponentiation, drawn from GMP's default generator seeded with 424242 so
// that every binary (Google Benchmark's BM_Baseline_PaillierPowm, the
// callgrind profile in bench/gg20/presign_profile) measures the same work.
#ifndef NITRO_TSS_BENCH_COMMON_BASELINE_H_
#define NITRO_TSS_BENCH_COMMON_BASELINE_H_

#include <gmp.h>

namespace nitro_tss::bench {

class BaselineOperands {
 public:
  BaselineOperands() {
    gmp_randstate_t rng;
    gmp_randinit_default(rng);
    gmp_randseed_ui(rng, 424242);
    mpz_inits(n_, n2_, e_, base_, r_, nullptr);
    mpz_urandomb(n_, rng, 2048);
    mpz_setbit(n_, 2047);
    mpz_setbit(n_, 0);
    mpz_mul(n2_, n_, n_);
    mpz_urandomb(e_, rng, 2048);
    mpz_setbit(e_, 2047);
    mpz_urandomm(base_, rng, n2_);
    gmp_randclear(rng);
  }
  ~BaselineOperands() { mpz_clears(n_, n2_, e_, base_, r_, nullptr); }
  BaselineOperands(const BaselineOperands&) = delete;
  BaselineOperands& operator=(const BaselineOperands&) = delete;

  // One unit of work: r = base^e mod N².
  void Run() { mpz_powm(r_, base_, e_, n2_); }
  mpz_srcptr result() const { return r_; }

 private:
  mpz_t n_, n2_, e_, base_, r_;
};

}  // namespace nitro_tss::bench

#endif  // NITRO_TSS_BENCH_COMMON_BASELINE_H_
