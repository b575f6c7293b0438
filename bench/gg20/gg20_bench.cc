// GG20 benchmarks, in-process (every party's work runs on the calling thread,
// so CPU time is summed over parties), against the same-run baseline
// BM_Baseline_PaillierPowm (one full-size Paillier exponentiation: 2048-bit
// exponent modulo N² of a 2048-bit N = 1 unit).
#include <benchmark/benchmark.h>
#include <gmp.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <vector>

#include "bench/common/baseline.h"
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

// BM_Baseline_PaillierPowm comes from bench/common/baseline.cc.

// Keygen for 3 parties from scratch, as a 3-node cluster runs it: every
// node generates its own fresh material (2 safe primes, CGGMP21 layout:
// ring-Pedersen modulo the Paillier N) on its own thread with a 1-thread
// prime search (3 nodes share the machine's 2 cores), then the protocol runs
// with every party on its own thread (DriveConcurrently). Real (wall) time;
// the CPU column is the process CPU time, summed over all threads.
void BM_Keygen3_FromScratch(benchmark::State& state) {
  uint64_t seed = 100;
  for (auto _ : state) {
    ++seed;
    std::vector<std::unique_ptr<RandomSource>> rngs;
    for (int i = 0; i < 3; ++i) rngs.push_back(SystemRandom().Fork());
    std::vector<absl::StatusOr<KeygenMaterial>> mats(
        3, absl::InternalError("not run"));
    {
      std::vector<std::thread> threads;
      for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&, i] {
          mats[i] =
              GenerateKeygenMaterial(*rngs[i], /*threads=*/1,
                                     /*separate_ring_pedersen_modulus=*/false);
        });
      }
      for (std::thread& t : threads) t.join();
    }
    std::vector<PartyId> ids = PartyIds(3);
    std::map<PartyId, std::unique_ptr<round::Session>> sessions;
    for (PartyId id : ids) {
      if (!mats[id - 1].ok()) {
        state.SkipWithError("material generation failed");
        return;
      }
      KeygenConfig cfg;
      cfg.session_id = SessionId(seed);
      cfg.self = id;
      cfg.parties = ids;
      cfg.threshold = 1;
      cfg.material = *mats[id - 1];
      cfg.identity = TestIdentity(id);
      cfg.identity_keys = TestIdentityKeys(ids);
      sessions[id] = *NewKeygenSession(cfg, *rngs[id - 1]);
    }
    RunResult r = DriveConcurrently(std::move(sessions));
    if (!r.all_done) state.SkipWithError("keygen failed");
  }
}
BENCHMARK(BM_Keygen3_FromScratch)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Iterations(2);

// The keygen protocol alone with fixture material, every party on its own
// thread (wall time; CPU column = process CPU over all threads).
void BM_Keygen3_ProtocolOnlyConcurrent(benchmark::State& state) {
  EnsureFixturePath();
  uint64_t tag = 500;
  for (auto _ : state) {
    ++tag;
    std::vector<std::unique_ptr<RandomSource>> rngs;
    std::vector<PartyId> ids = PartyIds(3);
    std::map<PartyId, std::unique_ptr<round::Session>> sessions;
    for (PartyId id : ids) {
      rngs.push_back(std::make_unique<DeterministicRandom>(tag * 16 + id));
      KeygenConfig cfg;
      cfg.session_id = SessionId(tag);
      cfg.self = id;
      cfg.parties = ids;
      cfg.threshold = 1;
      cfg.material = FixtureMaterial(id - 1);
      cfg.identity = TestIdentity(id);
      cfg.identity_keys = TestIdentityKeys(ids);
      sessions[id] = *NewKeygenSession(cfg, *rngs.back());
    }
    RunResult r = DriveConcurrently(std::move(sessions));
    if (!r.all_done) state.SkipWithError("keygen failed");
  }
}
BENCHMARK(BM_Keygen3_ProtocolOnlyConcurrent)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
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

// The same shares with their per-peer ring-Pedersen tables built (the
// loaded state of a key, KeyShare::BuildPeerTables; built once, untimed).
const std::vector<std::shared_ptr<const KeyShare>>& SharesWithTables(
    size_t signers) {
  static auto* cache =
      new std::map<size_t, std::vector<std::shared_ptr<const KeyShare>>>();
  auto it = cache->find(signers);
  if (it != cache->end()) return it->second;
  std::vector<std::shared_ptr<const KeyShare>> out;
  for (const auto& k : Shares(signers)) {
    auto copy = std::make_shared<KeyShare>(*k);
    copy->BuildPeerTables();
    out.push_back(copy);
  }
  return (*cache)[signers] = out;
}

// One-time cost of loading a key: every party's BuildPeerTables (3 parties,
// 2 peers each), summed.
void BM_BuildPeerTables3(benchmark::State& state) {
  const auto& shares = Shares(3);
  for (auto _ : state) {
    for (const auto& k : shares) {
      KeyShare copy = *k;
      copy.ClearPeerTables();
      copy.BuildPeerTables();
      benchmark::DoNotOptimize(copy.BuiltPeerTables().size());
    }
  }
}
BENCHMARK(BM_BuildPeerTables3)->Unit(benchmark::kMillisecond)->Iterations(2);

std::map<PartyId, std::shared_ptr<Presignature>> Presign(
    size_t signers, uint64_t tag, bool with_tables = false, int threads = 1) {
  PresignRun run;
  run.threads = threads;
  run.shares = with_tables ? SharesWithTables(signers) : Shares(signers);
  run.signers =
      signers == 2 ? std::vector<PartyId>{1, 2} : std::vector<PartyId>{1, 2, 3};
  run.session_tag = tag;
  run.seed = tag;
  return PresignaturesOf(RunPresign(run));
}

// Drops the per-peer tables of the plain shares (untimed by the callers):
// the next presignature is the key's first after loading and builds the
// tables of its co-signers (KeyShare::PeerTable).
void ForgetTables(size_t signers) {
  for (const auto& k : Shares(signers)) k->ClearPeerTables();
}

// Presigning as the key's first presignature after loading (table builds
// included).
void BM_Presign(benchmark::State& state) {
  const size_t signers = static_cast<size_t>(state.range(0));
  uint64_t tag = 1000;
  for (auto _ : state) {
    state.PauseTiming();
    ForgetTables(signers);
    state.ResumeTiming();
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

// Full signing with the prover precomputation a node keeps: ring-Pedersen
// tables per peer (built once per key, outside the timed region) and nonce
// pools per peer refilled in idle time (outside the timed region: 4
// randomizers per peer per presignature).
void BM_FullSignAccelerated(benchmark::State& state) {
  const size_t signers = static_cast<size_t>(state.range(0));
  const auto& shares = Shares(signers);
  std::map<PartyId, std::shared_ptr<PresignAccelerators>> acc;
  for (const auto& k : shares) acc[k->self] = BuildPresignAccelerators(*k);
  DeterministicRandom fill(3);
  uint64_t tag = 12000;
  std::vector<uint8_t> msg(64, 0x42);
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& [id, a] : acc) {
      for (auto& [peer, pool] : a->nonce_pools) pool->Fill(4, fill);
    }
    state.ResumeTiming();
    PresignRun run;
    run.shares = shares;
    run.signers = signers == 2 ? std::vector<PartyId>{1, 2}
                               : std::vector<PartyId>{1, 2, 3};
    run.session_tag = ++tag;
    run.seed = tag;
    run.accelerators = acc;
    auto p = PresignaturesOf(RunPresign(run));
    if (p.size() != signers) state.SkipWithError("presign failed");
    SignRequest req = RequestFor(p.begin()->second->public_data(), msg);
    std::vector<round::Culprit> culprits;
    auto sig = SignAll(p, req, &culprits);
    if (!sig.ok()) state.SkipWithError("sign failed");
  }
}
BENCHMARK(BM_FullSignAccelerated)
    ->Arg(2)
    ->Arg(3)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// Full signing on the default path: state.range(1) = 1 uses the key
// shares' per-peer tables (loaded state), 0 the bare shares.
// Idle-time cost of the nonce pools a 3-signer presignature consumes: every
// party refills 4 randomizers (r, r^N) per peer.
void BM_FillNoncePools3(benchmark::State& state) {
  const auto& shares = Shares(3);
  std::map<PartyId, std::shared_ptr<PresignAccelerators>> acc;
  for (const auto& k : shares) acc[k->self] = BuildPresignAccelerators(*k);
  DeterministicRandom fill(4);
  for (auto _ : state) {
    for (auto& [id, a] : acc) {
      for (auto& [peer, pool] : a->nonce_pools) pool->Fill(4, fill);
    }
    state.PauseTiming();
    for (auto& [id, a] : acc) {
      for (auto& [peer, pool] : a->nonce_pools) {
        for (int i = 0; i < 4; ++i) benchmark::DoNotOptimize(pool->Take());
      }
    }
    state.ResumeTiming();
  }
}
BENCHMARK(BM_FillNoncePools3)->Unit(benchmark::kMillisecond)->Iterations(3);

// Full signing (presign + online). Second argument 1: a key loaded with its
// tables (every signature after the first; KeyShare::BuildPeerTables at
// load). 0: the key's first signature after loading, which builds the
// co-signers' tables itself (KeyShare::PeerTable).
void BM_FullSign(benchmark::State& state) {
  const size_t signers = static_cast<size_t>(state.range(0));
  const bool with_tables = state.range(1) != 0;
  uint64_t tag = 9000;
  std::vector<uint8_t> msg(64, 0x42);
  if (with_tables) SharesWithTables(signers);  // built once, untimed
  for (auto _ : state) {
    if (!with_tables) {
      state.PauseTiming();
      ForgetTables(signers);
      state.ResumeTiming();
    }
    auto p = Presign(signers, ++tag, with_tables);
    SignRequest req = RequestFor(p.begin()->second->public_data(), msg);
    std::vector<round::Culprit> culprits;
    auto sig = SignAll(p, req, &culprits);
    if (!sig.ok()) state.SkipWithError("sign failed");
  }
}
BENCHMARK(BM_FullSign)
    ->Args({2, 0})
    ->Args({3, 0})
    ->Args({2, 1})
    ->Args({3, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// The process's CPU time (every thread), in milliseconds.
double ProcessCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 +
         static_cast<double>(ts.tv_nsec) * 1e-6;
}

// BM_FullSign/N/1 in units measured next to each other: every iteration
// times four baseline exponentiations (the BM_Baseline_PaillierPowm
// operation) right before one full signing (steady state, tables), both as
// process CPU time, and keeps their ratio; the counters are the median and
// the minimum over the iterations. Adjacent measurements share the host's
// state, so the ratio holds where this VM's speed drifts within a run (its
// baseline moved between 9.5 and 16 ms within minutes, docs/BENCHMARKS.md);
// the benchmark's own time is not a figure to read.
void BM_FullSignUnits(benchmark::State& state) {
  const size_t signers = static_cast<size_t>(state.range(0));
  SharesWithTables(signers);  // built once, untimed
  nitro_tss::bench::BaselineOperands operands;
  std::vector<uint8_t> msg(64, 0x42);
  std::vector<double> units;
  uint64_t tag = 17000;
  for (auto _ : state) {
    const double t0 = ProcessCpuMs();
    for (int i = 0; i < 4; ++i) {
      operands.Run();
      benchmark::DoNotOptimize(operands.result());
    }
    const double t1 = ProcessCpuMs();
    auto p = Presign(signers, ++tag, /*with_tables=*/true);
    SignRequest req = RequestFor(p.begin()->second->public_data(), msg);
    std::vector<round::Culprit> culprits;
    auto sig = SignAll(p, req, &culprits);
    const double t2 = ProcessCpuMs();
    if (!sig.ok()) state.SkipWithError("sign failed");
    units.push_back((t2 - t1) / ((t1 - t0) / 4));
  }
  std::sort(units.begin(), units.end());
  if (!units.empty()) {
    state.counters["units_median"] = units[units.size() / 2];
    state.counters["units_min"] = units.front();
  }
}
BENCHMARK(BM_FullSignUnits)
    ->Arg(2)
    ->Arg(3)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(9);

// Latency of one presignature (steady state, key loaded with its tables)
// with state.range(1) threads per party (PresignConfig::threads: the
// per-peer work of rounds 0-2 in parallel). Wall-clock time: the simulator
// runs the parties one after another on this thread, so the time is the sum
// of every party's rounds; in a cluster the parties run at once, and a
// round takes about one party's share (this time / signers) plus the
// network. CPU time is the calling thread's only (the workers' CPU is not
// in it), so read the wall time.
void BM_PresignLatency(benchmark::State& state) {
  const size_t signers = static_cast<size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  uint64_t tag = 15000 + 100 * static_cast<uint64_t>(threads);
  SharesWithTables(signers);  // built once, untimed
  for (auto _ : state) {
    auto p = Presign(signers, ++tag, /*with_tables=*/true, threads);
    if (p.size() != signers) state.SkipWithError("presign failed");
  }
}
BENCHMARK(BM_PresignLatency)
    ->Args({2, 1})
    ->Args({2, 2})
    ->Args({3, 1})
    ->Args({3, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace
}  // namespace nitro_tss::mpc::gg20::testing

BENCHMARK_MAIN();
