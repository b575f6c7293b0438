// Cost of enforcing approvals on the signing path (node/approval).
//
//   BM_Baseline_PaillierPowm   the same-run unit (bench/common/baseline.cc)
//   BM_CheckApprovals/ed25519  CheckApprovals of a 2-of-3 Ed25519 quorum:
//                              request validation, time and replay checks,
//                              2 signature verifications, nonce recorded
//   BM_CheckApprovals/p256     the same with ECDSA P-256 approvers (DER
//                              signatures, an EVP key built per verification)
//   BM_ReplayCacheRecord       one Record into a cache of 262144 entries
//                              kept full by expiry (steady state)
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "node/approval/replay_cache.h"
#include "node/approval/verifier.h"
#include "tests/node/approval/approval_test_util.h"

namespace nitro_tss::approval {
namespace {

constexpr uint64_t kNow = 1'700'000'000'000;
constexpr size_t kRequests = 512;

void BM_CheckApprovals(benchmark::State& state) {
  const bool p256 = state.range(0) == 1;
  std::vector<std::unique_ptr<testing::TestSigner>> signers;
  for (int i = 0; i < 3; ++i) {
    signers.push_back(
        p256 ? testing::MakeP256Signer()
             : testing::MakeEd25519Signer(static_cast<uint8_t>(i + 1)));
  }
  const ApprovalPolicy policy = testing::MakePolicy(
      {signers[0].get(), signers[1].get(), signers[2].get()}, 2);
  // Distinct, pre-approved requests (nonces must not repeat).
  std::vector<ApprovalRequest> requests;
  std::vector<std::vector<Approval>> approvals;
  for (size_t i = 0; i < kRequests; ++i) {
    ApprovalRequest r = testing::MakeRequest(kNow + 60'000);
    r.nonce[1] = static_cast<uint8_t>(i);
    r.nonce[2] = static_cast<uint8_t>(i >> 8);
    approvals.push_back({signers[0]->Approve(r), signers[1]->Approve(r)});
    requests.push_back(std::move(r));
  }
  auto cache = std::make_unique<ReplayCache>(kRequests);
  size_t i = 0;
  for (auto _ : state) {
    if (i == kRequests) {
      state.PauseTiming();
      cache = std::make_unique<ReplayCache>(kRequests);
      i = 0;
      state.ResumeTiming();
    }
    const absl::Status s =
        CheckApprovals(policy, requests[i], approvals[i], kNow, *cache);
    if (!s.ok()) state.SkipWithError("CheckApprovals failed");
    ++i;
  }
  state.SetLabel(p256 ? "p256 2-of-3" : "ed25519 2-of-3");
}
BENCHMARK(BM_CheckApprovals)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_ReplayCacheRecord(benchmark::State& state) {
  constexpr size_t kCapacity = ReplayCache::kDefaultCapacity;
  ReplayCache cache(kCapacity);
  std::vector<uint8_t> nonce(16, 0);
  uint64_t n = 0;
  // Each entry lives for kCapacity ticks: the cache stays full, each Record
  // drops one expired entry and adds one.
  auto record = [&] {
    for (int b = 0; b < 8; ++b) nonce[b] = static_cast<uint8_t>(n >> (8 * b));
    const absl::Status s = cache.Record(nonce, n + kCapacity, n);
    ++n;
    return s;
  };
  for (size_t k = 0; k < kCapacity; ++k) {
    if (!record().ok()) state.SkipWithError("fill failed");
  }
  for (auto _ : state) {
    if (!record().ok()) state.SkipWithError("Record failed");
  }
}
BENCHMARK(BM_ReplayCacheRecord);

}  // namespace
}  // namespace nitro_tss::approval

BENCHMARK_MAIN();
