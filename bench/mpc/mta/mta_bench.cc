// MtA proof benchmarks (Πenc, Πaff-g, Πlog-rp: prove, verify plain,
// verify with the verifier's CRT secrets) and one full MtA, each read as a
// ratio to the same-run baseline BM_Baseline_PaillierPowm (one mpz_powm with a
// 2048-bit exponent modulo N² of a 2048-bit fixture N = 1 unit).
// Run from the repository root (the fixtures are read from tests/fixtures/).
#include <benchmark/benchmark.h>
#include <gmp.h>

#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/mta/mta.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/params.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "mpc/zk/pi_log_rp.h"
#include "mpc/zk/ring_pedersen_table.h"
#include "tests/fixtures/fixtures.h"

namespace nitro_tss::mpc {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixtureRingPedersen;

const PaillierPrivateKey& Alice() { return FixturePaillierKey(0); }
const RingPedersenSecret& AliceRp() { return FixtureRingPedersen(0); }
const RingPedersenSecret& BobRp() { return FixtureRingPedersen(1); }

ProofContext Ctx(uint32_t prover, uint32_t verifier) {
  ProofContext ctx;
  ctx.session_id = {1, 2, 3, 4};
  ctx.protocol = "bench/mta";
  ctx.round = 1;
  ctx.prover = prover;
  ctx.verifier = verifier;
  return ctx;
}

// BM_Baseline_PaillierPowm comes from bench/common/baseline.cc.

// One prover-side ring-Pedersen commitment s^α t^γ with the mask sizes of
// the proofs (α ∈ ±2^(ℓ+ε), γ ∈ ±2^(ℓ+ε)·N̂): constant-time (arg 1, as the
// provers use) or variable-time (arg 0, as verifiers without the secret).
void BM_RingPedersenCommit(benchmark::State& state) {
  DeterministicRandom rng(9);
  const RingPedersenParams& params = BobRp().params();
  BigInt a = BigInt::RandomSigned(zk::kEll + zk::kEpsilon, rng);
  BigInt b = zk::RandomSignedTimes(zk::kEll + zk::kEpsilon, params.n(), rng);
  for (auto _ : state) {
    benchmark::DoNotOptimize(state.range(0) ? params.Commit(a, b)
                                            : params.CommitPublic(a, b));
  }
}
BENCHMARK(BM_RingPedersenCommit)
    ->ArgName("sec")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

// Building the prover's fixed-base table for one verifier's params (done
// once per peer and reused by every proof towards it), and one commitment
// through it.
const zk::RingPedersenTable& BobTable() {
  static const zk::RingPedersenTable* t =
      new zk::RingPedersenTable(BobRp().params());
  return *t;
}
const zk::RingPedersenTable& AliceTable() {
  static const zk::RingPedersenTable* t =
      new zk::RingPedersenTable(AliceRp().params());
  return *t;
}

void BM_RingPedersenTable_Build(benchmark::State& state) {
  for (auto _ : state) {
    zk::RingPedersenTable table(BobRp().params());
    benchmark::DoNotOptimize(&table);
  }
}
BENCHMARK(BM_RingPedersenTable_Build)->Unit(benchmark::kMillisecond);

void BM_RingPedersenTable_Commit(benchmark::State& state) {
  DeterministicRandom rng(9);
  const RingPedersenParams& params = BobRp().params();
  const size_t nb = params.n().BitLength();
  BigInt a = BigInt::RandomSigned(zk::kEll + zk::kEpsilon, rng);
  BigInt b = zk::RandomSignedTimes(zk::kEll + zk::kEpsilon, params.n(), rng);
  const zk::RingPedersenTable& table = BobTable();
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Commit(a, zk::kEll + zk::kEpsilon, b,
                                          zk::kEll + zk::kEpsilon + nb));
  }
}
BENCHMARK(BM_RingPedersenTable_Commit)->Unit(benchmark::kMillisecond);

// ---- Πenc: Alice's K = enc(k), proven to Bob against Bob's params ----

struct EncFixture {
  BigInt k;
  PaillierEncryption enc;
  zk::PiEncProof proof;
  EncFixture() {
    DeterministicRandom rng(2);
    k = Scalar::Random(rng).ToBigInt();
    enc = *Alice().Encrypt(k, rng);
    proof = *zk::ProvePiEnc(Statement(), Witness(), Ctx(1, 2), rng);
  }
  zk::PiEncStatement Statement() const {
    return {Alice().public_key(), BobRp().params(), enc.ciphertext};
  }
  zk::PiEncWitness Witness(const zk::RingPedersenTable* table = nullptr) const {
    return {k, enc.nonce, &Alice(), table};
  }
};
const EncFixture& Enc() {
  static const EncFixture* f = new EncFixture();
  return *f;
}

void BM_PiEnc_Prove(benchmark::State& state) {
  DeterministicRandom rng(3);
  const EncFixture& f = Enc();
  const zk::RingPedersenTable* table = state.range(0) ? &BobTable() : nullptr;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        zk::ProvePiEnc(f.Statement(), f.Witness(table), Ctx(1, 2), rng));
  }
}
BENCHMARK(BM_PiEnc_Prove)
    ->ArgName("table")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

void BM_PiEnc_Verify(benchmark::State& state) {
  const EncFixture& f = Enc();
  const RingPedersenSecret* secret = state.range(0) ? &BobRp() : nullptr;
  for (auto _ : state) {
    absl::Status s = zk::VerifyPiEnc(f.Statement(), f.proof, Ctx(1, 2), secret);
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_PiEnc_Verify)
    ->ArgName("crt")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

// ---- Πaff-g: Bob's D = K^x enc(y), Y = y·G, X = x·G, to Alice ----

struct AffGFixture {
  BigInt x, y, rho, cap_d;
  PaillierEncryption cap_c;
  Point base = Point::Generator(), cap_x, cap_y;
  zk::PiAffGProof proof;
  AffGFixture() {
    DeterministicRandom rng(4);
    Scalar xs = Scalar::Random(rng);
    x = xs.ToBigInt();
    y = BigInt::RandomSigned(zk::kEllPrime, rng);
    cap_c = *Alice().Encrypt(Scalar::Random(rng).ToBigInt(), rng);
    rho = BigInt::RandomUnit(Alice().n(), rng);
    cap_d = BigInt::ModMul(*Alice().public_key().MulScalar(cap_c.ciphertext, x),
                           *Alice().public_key().EncryptWithNonce(y, rho),
                           Alice().public_key().n_squared());
    cap_x = Point::MulBase(xs);
    cap_y = Point::MulBase(Scalar::FromBigIntReduce(y));
    proof = *zk::ProvePiAffG(Statement(), Witness(), Ctx(2, 1), rng);
  }
  zk::PiAffGStatement Statement() const {
    return {Alice().public_key(),
            AliceRp().params(),
            cap_c.ciphertext,
            cap_d,
            base,
            cap_x,
            cap_y};
  }
  zk::PiAffGWitness Witness(
      const zk::RingPedersenTable* table = nullptr) const {
    return {x, y, rho, table};
  }
};
const AffGFixture& AffG() {
  static const AffGFixture* f = new AffGFixture();
  return *f;
}

void BM_PiAffG_Prove(benchmark::State& state) {
  DeterministicRandom rng(5);
  const AffGFixture& f = AffG();
  const zk::RingPedersenTable* table = state.range(0) ? &AliceTable() : nullptr;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        zk::ProvePiAffG(f.Statement(), f.Witness(table), Ctx(2, 1), rng));
  }
}
BENCHMARK(BM_PiAffG_Prove)
    ->ArgName("table")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

void BM_PiAffG_Verify(benchmark::State& state) {
  const AffGFixture& f = AffG();
  zk::PiAffGVerifierSecrets secrets;
  if (state.range(0)) secrets = {&Alice(), &AliceRp()};
  for (auto _ : state) {
    absl::Status s =
        zk::VerifyPiAffG(f.Statement(), f.proof, Ctx(2, 1), secrets);
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_PiAffG_Verify)
    ->ArgName("crt")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

// ---- Πlog-rp: S = s^x t^μ under the verifier's params (in GG20 the S of
// the round-1 Πenc), X = x·R for a nonce point R ----

struct LogRpFixture {
  BigInt x, mu, cap_s;
  Point base, cap_x;
  zk::PiLogRpProof proof;
  LogRpFixture() {
    DeterministicRandom rng(10);
    Scalar xs = Scalar::Random(rng);
    x = xs.ToBigInt();
    mu = zk::RandomSignedTimes(zk::kEll, BobRp().params().n(), rng);
    cap_s = BobRp().params().Commit(x, mu);
    base = Point::MulBase(Scalar::Random(rng));
    cap_x = base.Mul(xs);
    proof = *zk::ProvePiLogRp(Statement(), Witness(), Ctx(1, 2), rng);
  }
  zk::PiLogRpStatement Statement() const {
    return {BobRp().params(), cap_s, base, cap_x};
  }
  zk::PiLogRpWitness Witness(
      const zk::RingPedersenTable* table = nullptr) const {
    return {x, mu, table};
  }
};
const LogRpFixture& LogRp() {
  static const LogRpFixture* f = new LogRpFixture();
  return *f;
}

void BM_PiLogRp_Prove(benchmark::State& state) {
  DeterministicRandom rng(11);
  const LogRpFixture& f = LogRp();
  const zk::RingPedersenTable* table = state.range(0) ? &BobTable() : nullptr;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        zk::ProvePiLogRp(f.Statement(), f.Witness(table), Ctx(1, 2), rng));
  }
}
BENCHMARK(BM_PiLogRp_Prove)
    ->ArgName("table")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

void BM_PiLogRp_Verify(benchmark::State& state) {
  const LogRpFixture& f = LogRp();
  const RingPedersenSecret* secret = state.range(0) ? &BobRp() : nullptr;
  for (auto _ : state) {
    absl::Status s =
        zk::VerifyPiLogRp(f.Statement(), f.proof, Ctx(1, 2), secret);
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_PiLogRp_Verify)
    ->ArgName("crt")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

// ---- One full MtA: Alice's K + Πenc, Bob's check, Bob's response with
// Πaff-g, Alice's check and decryption (verifiers use their CRT secrets):
// the mpc/mta functions GG20 presigning calls for each MtA and MtAwc.
// Arg: 0 plain provers, 1 provers with ring-Pedersen tables, 2 tables and
// Bob's randomizers under N0 precomputed (pool refilled outside the timed
// region, as an idle thread would) ----

void BM_Mta_Full(benchmark::State& state) {
  DeterministicRandom rng(8);
  const zk::RingPedersenTable* bob_table =
      state.range(0) ? &BobTable() : nullptr;
  const zk::RingPedersenTable* alice_table =
      state.range(0) ? &AliceTable() : nullptr;
  Scalar k = Scalar::Random(rng);
  Scalar x = Scalar::Random(rng);
  zk::PaillierNoncePool pool(Alice().public_key());
  zk::PaillierNoncePool* nonces = state.range(0) == 2 ? &pool : nullptr;
  for (auto _ : state) {
    if (nonces != nullptr) {
      state.PauseTiming();
      pool.Fill(2, rng);
      state.ResumeTiming();
    }
    auto enc = mta::AliceEncrypt(Alice(), k, rng);
    auto req = mta::AliceRequest(Alice(), *enc, k, BobRp().params(), Ctx(1, 2),
                                 rng, bob_table);
    absl::Status s =
        mta::BobVerifyRequest(Alice().public_key(), BobRp().params(), &BobRp(),
                              req->cap_k, req->enc_proof, Ctx(1, 2));
    auto bob = mta::BobRespond(Alice().public_key(), AliceRp().params(),
                               req->cap_k, x, Point::Generator(), Ctx(2, 1),
                               rng, alice_table, nonces);
    auto alice = mta::AliceFinalize(Alice(), AliceRp().params(), &AliceRp(),
                                    req->cap_k, bob->response,
                                    Point::Generator(), nullptr, Ctx(2, 1));
    if (!s.ok() || !alice.ok() || !(alice->alpha + bob->beta == k * x)) {
      state.SkipWithError("MtA failed");
    }
  }
}
BENCHMARK(BM_Mta_Full)
    ->ArgName("precomp")
    ->DenseRange(0, 2)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nitro_tss::mpc

BENCHMARK_MAIN();
