// Paillier, safe primes and modulus proofs, measured against the same-run
// baseline BM_Baseline_PaillierPowm (one full-size Paillier exponentiation:
// mpz_powm(r, base, e, N²) with a 2048-bit fixture N, base < N² and a
// 2048-bit exponent). docs/BENCHMARKS.md reports ratios to it.
#include <benchmark/benchmark.h>
#include <gmp.h>

#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/paillier/paillier.h"
#include "mpc/primes/safe_prime.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/zk/crt.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/pi_fac.h"
#include "mpc/zk/pi_mod.h"
#include "mpc/zk/pi_prm.h"
#include "tests/fixtures/fixtures.h"

namespace nitro_tss::mpc {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixtureRingPedersen;

ProofContext Ctx() {
  ProofContext ctx;
  ctx.session_id = {0xbe, 0x4c};
  ctx.protocol = "bench";
  return ctx;
}

// BM_Baseline_PaillierPowm comes from bench/common/baseline.cc.

void BM_Paillier_EncryptForeignKey(benchmark::State& state) {
  DeterministicRandom rng(2);
  const PaillierPublicKey& pk = FixturePaillierKey(0).public_key();
  BigInt m = BigInt::RandomBelow(pk.n(), rng);
  for (auto _ : state) benchmark::DoNotOptimize(pk.Encrypt(m, rng));
}
BENCHMARK(BM_Paillier_EncryptForeignKey)->Unit(benchmark::kMillisecond);

void BM_Paillier_EncryptOwnKeyCrt(benchmark::State& state) {
  DeterministicRandom rng(3);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  BigInt m = BigInt::RandomBelow(key.n(), rng);
  for (auto _ : state) benchmark::DoNotOptimize(key.Encrypt(m, rng));
}
BENCHMARK(BM_Paillier_EncryptOwnKeyCrt)->Unit(benchmark::kMillisecond);

void BM_Paillier_DecryptCrt(benchmark::State& state) {
  DeterministicRandom rng(4);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  BigInt c = key.Encrypt(BigInt::RandomBelow(key.n(), rng), rng)->ciphertext;
  for (auto _ : state) benchmark::DoNotOptimize(key.Decrypt(c));
}
BENCHMARK(BM_Paillier_DecryptCrt)->Unit(benchmark::kMillisecond);

void BM_Paillier_DecryptWithoutCrt(benchmark::State& state) {
  DeterministicRandom rng(5);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  BigInt c = key.Encrypt(BigInt::RandomBelow(key.n(), rng), rng)->ciphertext;
  for (auto _ : state) benchmark::DoNotOptimize(key.DecryptWithoutCrt(c));
}
BENCHMARK(BM_Paillier_DecryptWithoutCrt)->Unit(benchmark::kMillisecond);

// Homomorphic scalar multiplication c^k mod N² (k secret: mpz_powm_sec).
void BM_Paillier_MulScalar(benchmark::State& state) {
  DeterministicRandom rng(6);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  BigInt c = key.Encrypt(BigInt::RandomBelow(key.n(), rng), rng)->ciphertext;
  BigInt k = BigInt::RandomBits(static_cast<size_t>(state.range(0)), rng);
  for (auto _ : state) {
    benchmark::DoNotOptimize(key.public_key().MulScalar(c, k));
  }
}
BENCHMARK(BM_Paillier_MulScalar)
    ->Arg(256)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond);

void BM_PiMod_Prove(benchmark::State& state) {
  DeterministicRandom rng(7);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        zk::ProvePiMod({key.n()}, {key.p(), key.q()}, Ctx(), rng));
  }
}
BENCHMARK(BM_PiMod_Prove)->Unit(benchmark::kMillisecond);

void BM_PiMod_Verify(benchmark::State& state) {
  DeterministicRandom rng(8);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  zk::PiModProof proof =
      *zk::ProvePiMod({key.n()}, {key.p(), key.q()}, Ctx(), rng);
  for (auto _ : state) {
    absl::Status s = zk::VerifyPiMod({key.n()}, proof, Ctx());
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_PiMod_Verify)->Unit(benchmark::kMillisecond);

void BM_PiFac_Prove(benchmark::State& state) {
  DeterministicRandom rng(9);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const RingPedersenParams& params = FixtureRingPedersen(1).params();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        zk::ProvePiFac({key.n(), params}, {key.p(), key.q()}, Ctx(), rng));
  }
}
BENCHMARK(BM_PiFac_Prove)->Unit(benchmark::kMillisecond);

void BM_PiFac_Verify(benchmark::State& state) {
  DeterministicRandom rng(10);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const RingPedersenParams& params = FixtureRingPedersen(1).params();
  zk::PiFacProof proof =
      *zk::ProvePiFac({key.n(), params}, {key.p(), key.q()}, Ctx(), rng);
  for (auto _ : state) {
    absl::Status s = zk::VerifyPiFac({key.n(), params}, proof, Ctx());
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_PiFac_Verify)->Unit(benchmark::kMillisecond);

void BM_PiPrm_Prove(benchmark::State& state) {
  DeterministicRandom rng(11);
  const RingPedersenSecret& secret = FixtureRingPedersen(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        zk::ProvePiPrm({secret.params()}, {secret}, Ctx(), rng));
  }
}
BENCHMARK(BM_PiPrm_Prove)->Unit(benchmark::kMillisecond);

void BM_PiPrm_Verify(benchmark::State& state) {
  DeterministicRandom rng(12);
  const RingPedersenSecret& secret = FixtureRingPedersen(0);
  zk::PiPrmProof proof =
      *zk::ProvePiPrm({secret.params()}, {secret}, Ctx(), rng);
  for (auto _ : state) {
    absl::Status s = zk::VerifyPiPrm({secret.params()}, proof, Ctx());
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_PiPrm_Verify)->Unit(benchmark::kMillisecond);

// ---- Secret-modulus exponentiation (issue 12 finding 4) ----

// CrtExponentiator::Pow modulo N² = p²·q² for the key owner (Πaff-g's N0
// equation, NthPower checks): a unit base < N² and an exponent of
// range(0) bits, negative when range(1) is 1 (verifier exponents are the
// signed challenge e, 256 bits, or responses of 768+ bits; 2048 bits take
// the reduction modulo the secret order).
// crt.Pow of a unit base below `modulus` and an exponent of exactly
// range(0) bits, negated when range(1) != 0.
void RunCrtPow(benchmark::State& state, const zk::CrtExponentiator& crt,
               const BigInt& modulus, uint64_t seed) {
  DeterministicRandom rng(seed);
  const BigInt base = BigInt::RandomUnit(modulus, rng);
  BigInt e = BigInt::RandomBits(static_cast<size_t>(state.range(0)), rng);
  mpz_setbit(e.get_mut(), static_cast<mp_bitcnt_t>(state.range(0) - 1));
  if (state.range(1) != 0) e = -e;
  for (auto _ : state) benchmark::DoNotOptimize(crt.Pow(base, e));
}

void BM_CrtPow_PaillierSquare(benchmark::State& state) {
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  RunCrtPow(state, zk::CrtExponentiator::ForPaillierSquare(key.p(), key.q()),
            key.public_key().n_squared(), 13);
}
BENCHMARK(BM_CrtPow_PaillierSquare)
    ->ArgNames({"bits", "neg"})
    ->Args({256, 0})
    ->Args({256, 1})
    ->Args({768, 1})
    ->Args({2048, 0})
    ->Unit(benchmark::kMillisecond);

// The same for the ring-Pedersen owner's N^ = p·q (RingPedersenEquationHolds).
void BM_CrtPow_RingPedersenPrimes(benchmark::State& state) {
  const RingPedersenSecret& rp = FixtureRingPedersen(0);
  RunCrtPow(state, zk::CrtExponentiator::ForPrimes(rp.p(), rp.q()),
            rp.params().n(), 14);
}
BENCHMARK(BM_CrtPow_RingPedersenPrimes)
    ->ArgNames({"bits", "neg"})
    ->Args({256, 1})
    ->Args({2048, 0})
    ->Unit(benchmark::kMillisecond);

// Ring-Pedersen owner's commitment t^(λx + y) by CRT (Πlog-rp / Πaff-g
// verification under one's own N^).
void BM_RingPedersenSecret_Commit(benchmark::State& state) {
  DeterministicRandom rng(15);
  const RingPedersenSecret& rp = FixtureRingPedersen(0);
  const BigInt x = BigInt::RandomSigned(768, rng);
  const BigInt y = BigInt::RandomSigned(2816, rng);
  for (auto _ : state) benchmark::DoNotOptimize(rp.Commit(x, y));
}
BENCHMARK(BM_RingPedersenSecret_Commit)->Unit(benchmark::kMillisecond);

// Key loading: IsSafePrime(p, 20) on a fixture 1024-bit prime (20
// Miller–Rabin rounds on p and on (p-1)/2).
void BM_IsSafePrime1024(benchmark::State& state) {
  const BigInt& p = FixturePaillierKey(0).p();
  for (auto _ : state) benchmark::DoNotOptimize(IsSafePrime(p, 20));
}
BENCHMARK(BM_IsSafePrime1024)->Unit(benchmark::kMillisecond);

// The helper against the variable-time path on the same operation (these
// two rows need BigInt::PowModConstTime, so they are cut out when the same
// file is built against code from before issue 12 finding 4).
// One exponentiation modulo p² (2048-bit secret modulus) with a 1024-bit
// exponent and a 4096-bit base: variable time (mpz_mod + mpz_powm) against
// the constant-time helper (base reduced by mpn_sec_div_r).
void BM_PowModVariableTime_P2(benchmark::State& state) {
  DeterministicRandom rng(16);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const BigInt p2 = key.p() * key.p();
  const BigInt c = BigInt::RandomUnit(key.public_key().n_squared(), rng);
  const BigInt e = key.p() - BigInt(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(BigInt::PowMod(BigInt::Mod(c, p2), e, p2));
  }
}
BENCHMARK(BM_PowModVariableTime_P2)->Unit(benchmark::kMillisecond);

void BM_PowModConstTime_P2(benchmark::State& state) {
  DeterministicRandom rng(16);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const BigInt p2 = key.p() * key.p();
  const BigInt c = BigInt::RandomUnit(key.public_key().n_squared(), rng);
  const BigInt e = key.p() - BigInt(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(BigInt::PowModConstTime(c, e, p2, 1024));
  }
}
BENCHMARK(BM_PowModConstTime_P2)->Unit(benchmark::kMillisecond);
// r^N mod N² for a secret nonce r under a peer's key (public N): the
// variable-time mpz_powm that NthPower used to make, GMP's mpn_sec_powm
// (PowModConstTime), and the public-exponent Montgomery ladder NthPower now
// uses (constant time in r, schedule from the public N).
enum class NthPowerPath { kVariableTime, kSecPowm, kPublicExponent };

void BM_NthPowerForeign(benchmark::State& state, NthPowerPath path) {
  DeterministicRandom rng(17);
  const PaillierPublicKey& pk = FixturePaillierKey(1).public_key();
  const BigInt r = BigInt::RandomUnit(pk.n(), rng);
  for (auto _ : state) {
    switch (path) {
      case NthPowerPath::kVariableTime:
        benchmark::DoNotOptimize(BigInt::PowMod(r, pk.n(), pk.n_squared()));
        break;
      case NthPowerPath::kSecPowm:
        benchmark::DoNotOptimize(BigInt::PowModConstTime(
            r, pk.n(), pk.n_squared(), kPaillierModulusBits));
        break;
      case NthPowerPath::kPublicExponent:
        benchmark::DoNotOptimize(zk::NthPower(pk, r, nullptr));
        break;
    }
  }
}
BENCHMARK_CAPTURE(BM_NthPowerForeign, VariableTime, NthPowerPath::kVariableTime)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_NthPowerForeign, SecPowm, NthPowerPath::kSecPowm)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_NthPowerForeign, PublicExponent,
                  NthPowerPath::kPublicExponent)
    ->Unit(benchmark::kMillisecond);
// End of the helper-vs-variable-time rows.

// Issue 16, simultaneous exponentiation. Bob's C^s · r^N mod N0² for a fresh
// nonce r and a secret s (x: 256 bits, α: 769 bits): separately
// (PowModSecret, i.e. mpn_sec_powm, and NthPower) against
// zk::NextNonceTimesPower (one Montgomery::PowPublicTimesSecret).
void BM_NonceTimesPower(benchmark::State& state, bool simultaneous) {
  DeterministicRandom rng(19);
  const PaillierPublicKey& pk = FixturePaillierKey(1).public_key();
  const BigInt c = BigInt::RandomUnit(pk.n_squared(), rng);
  const size_t bits = static_cast<size_t>(state.range(0));
  const BigInt s = -BigInt::RandomBits(bits - 1, rng);
  for (auto _ : state) {
    if (simultaneous) {
      benchmark::DoNotOptimize(
          zk::NextNonceTimesPower(pk, nullptr, c, s, bits, rng));
    } else {
      zk::PaillierNonce nonce = zk::NextNonce(pk, nullptr, nullptr, rng);
      benchmark::DoNotOptimize(
          BigInt::ModMul(BigInt::PowModSecret(c, s, pk.n_squared()),
                         nonce.r_to_n, pk.n_squared()));
    }
  }
}
BENCHMARK_CAPTURE(BM_NonceTimesPower, Separate, false)
    ->Arg(256)
    ->Arg(769)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_NonceTimesPower, Simultaneous, true)
    ->Arg(256)
    ->Arg(769)
    ->Unit(benchmark::kMillisecond);

// One 1024-bit safe prime per iteration; the search time is highly
// variable, so run 25 repetitions and read the median. CPU time is the
// whole process's (all worker threads), so on a machine shared with other
// jobs the threads:2 row shows the total work; its wall time on idle cores
// is about half of it (see docs/BENCHMARKS.md).
void BM_SafePrime1024(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    absl::StatusOr<BigInt> p = GenerateSafePrime(1024, SystemRandom(), threads);
    if (!p.ok()) state.SkipWithError("generation failed");
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_SafePrime1024)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Repetitions(25)
    ->ReportAggregatesOnly(true)
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nitro_tss::mpc

BENCHMARK_MAIN();
