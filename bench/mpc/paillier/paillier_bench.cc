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
        ProvePiMod({key.n()}, {key.p(), key.q()}, Ctx(), rng));
  }
}
BENCHMARK(BM_PiMod_Prove)->Unit(benchmark::kMillisecond);

void BM_PiMod_Verify(benchmark::State& state) {
  DeterministicRandom rng(8);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  PiModProof proof = *ProvePiMod({key.n()}, {key.p(), key.q()}, Ctx(), rng);
  for (auto _ : state) {
    absl::Status s = VerifyPiMod({key.n()}, proof, Ctx());
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
        ProvePiFac(key.n(), params, {key.p(), key.q()}, Ctx(), rng));
  }
}
BENCHMARK(BM_PiFac_Prove)->Unit(benchmark::kMillisecond);

void BM_PiFac_Verify(benchmark::State& state) {
  DeterministicRandom rng(10);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const RingPedersenParams& params = FixtureRingPedersen(1).params();
  PiFacProof proof =
      *ProvePiFac(key.n(), params, {key.p(), key.q()}, Ctx(), rng);
  for (auto _ : state) {
    absl::Status s = VerifyPiFac(key.n(), params, proof, Ctx());
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_PiFac_Verify)->Unit(benchmark::kMillisecond);

void BM_PiPrm_Prove(benchmark::State& state) {
  DeterministicRandom rng(11);
  const RingPedersenSecret& secret = FixtureRingPedersen(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ProvePiPrm(secret, Ctx(), rng));
  }
}
BENCHMARK(BM_PiPrm_Prove)->Unit(benchmark::kMillisecond);

void BM_PiPrm_Verify(benchmark::State& state) {
  DeterministicRandom rng(12);
  const RingPedersenSecret& secret = FixtureRingPedersen(0);
  PiPrmProof proof = ProvePiPrm(secret, Ctx(), rng);
  for (auto _ : state) {
    absl::Status s = VerifyPiPrm(secret.params(), proof, Ctx());
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_PiPrm_Verify)->Unit(benchmark::kMillisecond);

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
