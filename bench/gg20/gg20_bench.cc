// GG20 benchmarks, in-process (every party's work runs on the calling thread,
// so CPU time is summed over parties), against the same-run baseline
// BM_Baseline_PaillierPowm (one full-size Paillier exponentiation: 2048-bit
// exponent modulo N² of a 2048-bit N = 1 unit).
#include <benchmark/benchmark.h>
#include <gmp.h>

#include <cstdlib>
#include <thread>

#include "mpc/gg20/keygen.h"
#include "mpc/gg20/presign.h"
#include "mpc/gg20/sign.h"
#include "tests/fixtures/fixtures.h"
#include "tests/gg20/gg20_test_util.h"

namespace nitro_tss::mpc::gg20::testing {
namespace {

void EnsureFixturePath() {
  setenv("NITRO_TSS_SOURCE_DIR", NITRO_TSS_SOURCE_DIR_DEFAULT, /*overwrite=*/0);
}

void BM_Baseline_PaillierPowm(benchmark::State& state) {
  EnsureFixturePath();
  DeterministicRandom rng(1);
  const BigInt& n = nitro_tss::testing::FixturePaillierKey(0).n();
  BigInt n2 = n * n;
  BigInt base = BigInt::RandomBelow(n2, rng);
  BigInt e = BigInt::RandomBits(2048, rng);
  mpz_setbit(e.get_mut(), 2047);
  BigInt r;
  for (auto _ : state) {
    mpz_powm(r.get_mut(), base.get(), e.get(), n2.get());
    benchmark::DoNotOptimize(r.get());
  }
}
BENCHMARK(BM_Baseline_PaillierPowm)->Unit(benchmark::kMillisecond);

// Keygen for 3 parties from scratch: fresh safe primes for every party
// (CGGMP21 layout: ring-Pedersen modulo the Paillier N), then the protocol.
// Wall time, primes searched with 2 threads (the machine's 2 cores).
void BM_Keygen3_FromScratch(benchmark::State& state) {
  uint64_t seed = 100;
  for (auto _ : state) {
    DeterministicRandom rng(++seed);
    std::vector<KeygenMaterial> mats;
    for (int i = 0; i < 3; ++i) {
      auto m = GenerateKeygenMaterial(SystemRandom(), /*threads=*/2,
                                      /*separate_ring_pedersen_modulus=*/false);
      if (!m.ok()) state.SkipWithError("material generation failed");
      mats.push_back(*m);
    }
    std::vector<PartyId> ids = PartyIds(3);
    std::map<PartyId, std::unique_ptr<round::Session>> sessions;
    for (PartyId id : ids) {
      KeygenConfig cfg;
      cfg.session_id = SessionId(seed);
      cfg.self = id;
      cfg.parties = ids;
      cfg.threshold = 1;
      cfg.material = mats[id - 1];
      sessions[id] = *NewKeygenSession(cfg, rng);
    }
    RunResult r = Drive(std::move(sessions), nullptr);
    if (!r.all_done) state.SkipWithError("keygen failed");
  }
}
BENCHMARK(BM_Keygen3_FromScratch)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

// The keygen protocol alone with pre-generated (fixture) material.
void BM_Keygen3_ProtocolOnly(benchmark::State& state) {
  EnsureFixturePath();
  uint64_t tag = 0;
  for (auto _ : state) {
    KeygenRun run;
    run.t = 1;
    run.n = 3;
    run.session_tag = ++tag;
    RunResult r = RunKeygen(run);
    if (!r.all_done) state.SkipWithError("keygen failed");
  }
}
BENCHMARK(BM_Keygen3_ProtocolOnly)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

const std::vector<std::shared_ptr<const KeyShare>>& Shares(size_t signers) {
  EnsureFixturePath();
  static auto* two =
      new std::vector<std::shared_ptr<const KeyShare>>(DealKeyShares(1, 3, 1));
  static auto* three =
      new std::vector<std::shared_ptr<const KeyShare>>(DealKeyShares(2, 3, 2));
  return signers == 2 ? *two : *three;
}

std::map<PartyId, std::shared_ptr<Presignature>> Presign(size_t signers,
                                                         uint64_t tag) {
  PresignRun run;
  run.shares = Shares(signers);
  run.signers =
      signers == 2 ? std::vector<PartyId>{1, 2} : std::vector<PartyId>{1, 2, 3};
  run.session_tag = tag;
  run.seed = tag;
  return PresignaturesOf(RunPresign(run));
}

void BM_Presign(benchmark::State& state) {
  const size_t signers = static_cast<size_t>(state.range(0));
  uint64_t tag = 1000;
  for (auto _ : state) {
    auto p = Presign(signers, ++tag);
    if (p.size() != signers) state.SkipWithError("presign failed");
  }
}
BENCHMARK(BM_Presign)
    ->Arg(2)
    ->Arg(3)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// Online signing: every signer's share, combination, libsecp256k1
// verification (the presignatures are produced outside the timed region).
void BM_OnlineSign(benchmark::State& state) {
  const size_t signers = static_cast<size_t>(state.range(0));
  uint64_t tag = 5000;
  std::vector<uint8_t> msg(64, 0x42);
  for (auto _ : state) {
    state.PauseTiming();
    auto p = Presign(signers, ++tag);
    SignRequest req = RequestFor(p.begin()->second->public_data(), msg);
    state.ResumeTiming();
    std::vector<round::Culprit> culprits;
    auto sig = SignAll(p, req, &culprits);
    if (!sig.ok()) state.SkipWithError("sign failed");
  }
}
BENCHMARK(BM_OnlineSign)
    ->Arg(2)
    ->Arg(3)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(5);

void BM_FullSign(benchmark::State& state) {
  const size_t signers = static_cast<size_t>(state.range(0));
  uint64_t tag = 9000;
  std::vector<uint8_t> msg(64, 0x42);
  for (auto _ : state) {
    auto p = Presign(signers, ++tag);
    SignRequest req = RequestFor(p.begin()->second->public_data(), msg);
    std::vector<round::Culprit> culprits;
    auto sig = SignAll(p, req, &culprits);
    if (!sig.ok()) state.SkipWithError("sign failed");
  }
}
BENCHMARK(BM_FullSign)
    ->Arg(2)
    ->Arg(3)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace nitro_tss::mpc::gg20::testing

BENCHMARK_MAIN();
