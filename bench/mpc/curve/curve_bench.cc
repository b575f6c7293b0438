// Benchmarks for secp256k1 arithmetic, the EC proofs and Feldman VSS.
// BM_Baseline_PaillierPowm is the project-wide unit: one mpz_powm with a
// 2048-bit exponent modulo a 4096-bit N^2 (random odd 2048-bit N).
#include <benchmark/benchmark.h>
#include <gmp.h>

#include <array>
#include <vector>

#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/vss/feldman.h"
#include "mpc/vss/lagrange.h"
#include "mpc/zk/equality.h"
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/schnorr.h"

namespace nitro_tss::mpc {
namespace {

ProofContext Ctx() {
  ProofContext c;
  c.session_id = {1, 2, 3};
  c.protocol = "bench";
  c.round = 1;
  c.prover = 1;
  c.verifier = 2;
  return c;
}

// BM_Baseline_PaillierPowm comes from bench/common/baseline.cc.

void BM_Point_MulBase(benchmark::State& state) {
  DeterministicRandom rng(2);
  Scalar k = Scalar::RandomNonZero(rng);
  for (auto _ : state) benchmark::DoNotOptimize(Point::MulBase(k));
}
BENCHMARK(BM_Point_MulBase)->Unit(benchmark::kMicrosecond);

void BM_Point_Mul(benchmark::State& state) {
  DeterministicRandom rng(3);
  Point p = Point::MulBase(Scalar::RandomNonZero(rng));
  Scalar k = Scalar::RandomNonZero(rng);
  for (auto _ : state) benchmark::DoNotOptimize(p.Mul(k));
}
BENCHMARK(BM_Point_Mul)->Unit(benchmark::kMicrosecond);

void BM_Point_Add(benchmark::State& state) {
  DeterministicRandom rng(4);
  Point p = Point::MulBase(Scalar::RandomNonZero(rng));
  Point q = Point::MulBase(Scalar::RandomNonZero(rng));
  for (auto _ : state) benchmark::DoNotOptimize(p + q);
}
BENCHMARK(BM_Point_Add)->Unit(benchmark::kMicrosecond);

void BM_Point_Decode(benchmark::State& state) {
  DeterministicRandom rng(5);
  auto enc = *Point::MulBase(Scalar::RandomNonZero(rng)).Encode();
  for (auto _ : state) benchmark::DoNotOptimize(Point::Decode(enc));
}
BENCHMARK(BM_Point_Decode)->Unit(benchmark::kMicrosecond);

void BM_Scalar_Mul(benchmark::State& state) {
  DeterministicRandom rng(6);
  Scalar a = Scalar::RandomNonZero(rng), b = Scalar::RandomNonZero(rng);
  for (auto _ : state) benchmark::DoNotOptimize(a * b);
}
BENCHMARK(BM_Scalar_Mul)->Unit(benchmark::kMicrosecond);

void BM_Scalar_Inverse(benchmark::State& state) {
  DeterministicRandom rng(7);
  Scalar a = Scalar::RandomNonZero(rng);
  for (auto _ : state) benchmark::DoNotOptimize(a.Inverse());
}
BENCHMARK(BM_Scalar_Inverse)->Unit(benchmark::kMicrosecond);

void BM_Schnorr_Prove(benchmark::State& state) {
  DeterministicRandom rng(8);
  Scalar x = Scalar::RandomNonZero(rng);
  auto st = zk::SchnorrStatement::ForGenerator(Point::MulBase(x));
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        zk::ProveSchnorr(st, zk::SchnorrWitness{x}, Ctx(), rng));
  }
}
BENCHMARK(BM_Schnorr_Prove)->Unit(benchmark::kMicrosecond);

void BM_Schnorr_Verify(benchmark::State& state) {
  DeterministicRandom rng(9);
  Scalar x = Scalar::RandomNonZero(rng);
  auto st = zk::SchnorrStatement::ForGenerator(Point::MulBase(x));
  zk::SchnorrProof proof =
      *zk::ProveSchnorr(st, zk::SchnorrWitness{x}, Ctx(), rng);
  for (auto _ : state) {
    if (!zk::VerifySchnorr(st, proof, Ctx()).ok()) state.SkipWithError("");
  }
}
BENCHMARK(BM_Schnorr_Verify)->Unit(benchmark::kMicrosecond);

void BM_PedersenPok_Prove(benchmark::State& state) {
  DeterministicRandom rng(10);
  zk::PedersenPokWitness w{Scalar::RandomNonZero(rng),
                           Scalar::RandomNonZero(rng)};
  zk::PedersenPokStatement st{zk::PedersenCommit(w.sigma, w.l)};
  for (auto _ : state) {
    benchmark::DoNotOptimize(zk::ProvePedersenPok(st, w, Ctx(), rng));
  }
}
BENCHMARK(BM_PedersenPok_Prove)->Unit(benchmark::kMicrosecond);

void BM_PedersenPok_Verify(benchmark::State& state) {
  DeterministicRandom rng(11);
  zk::PedersenPokWitness w{Scalar::RandomNonZero(rng),
                           Scalar::RandomNonZero(rng)};
  zk::PedersenPokStatement st{zk::PedersenCommit(w.sigma, w.l)};
  auto proof = *zk::ProvePedersenPok(st, w, Ctx(), rng);
  for (auto _ : state) {
    if (!zk::VerifyPedersenPok(st, proof, Ctx()).ok()) {
      state.SkipWithError("");
    }
  }
}
BENCHMARK(BM_PedersenPok_Verify)->Unit(benchmark::kMicrosecond);

zk::EqualityStatement MakeEquality(const zk::EqualityWitness& w,
                                   RandomSource& rng) {
  zk::EqualityStatement st;
  st.r = Point::MulBase(Scalar::RandomNonZero(rng));
  st.s = st.r.Mul(w.sigma);
  st.t = zk::PedersenCommit(w.sigma, w.l);
  return st;
}

void BM_Equality_Prove(benchmark::State& state) {
  DeterministicRandom rng(12);
  zk::EqualityWitness w{Scalar::RandomNonZero(rng), Scalar::RandomNonZero(rng)};
  zk::EqualityStatement st = MakeEquality(w, rng);
  for (auto _ : state) {
    benchmark::DoNotOptimize(zk::ProveEquality(st, w, Ctx(), rng));
  }
}
BENCHMARK(BM_Equality_Prove)->Unit(benchmark::kMicrosecond);

void BM_Equality_Verify(benchmark::State& state) {
  DeterministicRandom rng(13);
  zk::EqualityWitness w{Scalar::RandomNonZero(rng), Scalar::RandomNonZero(rng)};
  zk::EqualityStatement st = MakeEquality(w, rng);
  auto proof = *zk::ProveEquality(st, w, Ctx(), rng);
  for (auto _ : state) {
    if (!zk::VerifyEquality(st, proof, Ctx()).ok()) state.SkipWithError("");
  }
}
BENCHMARK(BM_Equality_Verify)->Unit(benchmark::kMicrosecond);

std::vector<Scalar> PartyIds(size_t n) {
  std::vector<Scalar> ids;
  for (size_t i = 1; i <= n; ++i) ids.push_back(Scalar::FromU64(i));
  return ids;
}

// Args: threshold t, parties n.
void BM_Vss_Share(benchmark::State& state) {
  DeterministicRandom rng(14);
  const size_t t = state.range(0), n = state.range(1);
  auto ids = PartyIds(n);
  Scalar secret = Scalar::RandomNonZero(rng);
  for (auto _ : state) {
    benchmark::DoNotOptimize(FeldmanShare(secret, t, ids, rng));
  }
}
BENCHMARK(BM_Vss_Share)
    ->Args({1, 3})
    ->Args({2, 5})
    ->Args({4, 9})
    ->Unit(benchmark::kMicrosecond);

// Arg: threshold t (one share checked against t + 1 commitments).
void BM_Vss_VerifyShare(benchmark::State& state) {
  DeterministicRandom rng(15);
  const size_t t = state.range(0);
  auto ids = PartyIds(t + 1);
  auto d = *FeldmanShare(Scalar::RandomNonZero(rng), t, ids, rng);
  for (auto _ : state) {
    if (!VerifyShare(d.shares[0].value, d.shares[0].id, d.commitments, t, 1)
             .ok()) {
      state.SkipWithError("");
    }
  }
}
BENCHMARK(BM_Vss_VerifyShare)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Unit(benchmark::kMicrosecond);

// Arg: signer-set size.
void BM_Lagrange_Coefficients(benchmark::State& state) {
  auto ids = PartyIds(state.range(0));
  for (auto _ : state)
    benchmark::DoNotOptimize(LagrangeCoefficientsAtZero(ids));
}
BENCHMARK(BM_Lagrange_Coefficients)
    ->Arg(3)
    ->Arg(5)
    ->Unit(benchmark::kMicrosecond);

void BM_Ecdsa_Verify(benchmark::State& state) {
  DeterministicRandom rng(16);
  Scalar x = Scalar::RandomNonZero(rng), k = Scalar::RandomNonZero(rng);
  std::array<uint8_t, 32> digest{};
  rng.Fill(digest.data(), digest.size());
  Scalar m = Scalar::FromBigIntReduce(BigInt::FromBytes(digest));
  Scalar r = *Point::MulBase(k).XCoordinateModN();
  Scalar s = k.Inverse()->Mul(m + r * x);
  Point pk = Point::MulBase(x);
  for (auto _ : state) {
    if (!VerifyEcdsa(pk, digest, r, s).ok()) state.SkipWithError("");
  }
}
BENCHMARK(BM_Ecdsa_Verify)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace nitro_tss::mpc

BENCHMARK_MAIN();
