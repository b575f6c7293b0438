// CheckApprovals: every refusal (no approvals, too few, duplicates, a
// non-approver, bad and malformed signatures, approvals for another key /
// operation / hash function / digest / derivation path / expiry / nonce,
// expired, too far in the future, replay, full cache) with Ed25519, ECDSA
// P-256 and mixed approvers, and concurrent use.
#include "node/approval/verifier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/node/approval/approval_test_util.h"

namespace nitro_tss::approval {
namespace {

using testing::MakeEd25519Signer;
using testing::MakeP256Signer;
using testing::MakePolicy;
using testing::MakeRequest;
using testing::TestSigner;

constexpr uint64_t kNow = 1'700'000'000'000;  // ms
constexpr uint64_t kExpiry = kNow + 5 * 60 * 1000;

enum class Kind { kEd25519, kP256, kMixed };

std::string KindName(const ::testing::TestParamInfo<Kind>& info) {
  switch (info.param) {
    case Kind::kEd25519:
      return "Ed25519";
    case Kind::kP256:
      return "P256";
    case Kind::kMixed:
      return "Mixed";
  }
  return "unknown";
}

class ApprovalVerifierTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) signers_.push_back(NewSigner(i));
    outsider_ = NewSigner(7);
    policy_ = std::make_unique<ApprovalPolicy>(
        MakePolicy({signers_[0].get(), signers_[1].get(), signers_[2].get()},
                   Quorum{2, 2, 3, 3}));
  }

  std::unique_ptr<TestSigner> NewSigner(int i) {
    const bool p256 =
        GetParam() == Kind::kP256 || (GetParam() == Kind::kMixed && i % 2 == 1);
    return p256 ? MakeP256Signer()
                : MakeEd25519Signer(static_cast<uint8_t>(10 + i));
  }

  absl::Status Check(const ApprovalRequest& request,
                     const std::vector<Approval>& approvals,
                     uint64_t now = kNow, const VerifierOptions& options = {}) {
    return CheckApprovals(*policy_, request, approvals, now, cache_, options);
  }

  std::vector<std::unique_ptr<TestSigner>> signers_;
  std::unique_ptr<TestSigner> outsider_;
  std::unique_ptr<ApprovalPolicy> policy_;
  ReplayCache cache_{1024};
};

INSTANTIATE_TEST_SUITE_P(Approvers, ApprovalVerifierTest,
                         ::testing::Values(Kind::kEd25519, Kind::kP256,
                                           Kind::kMixed),
                         KindName);

#define EXPECT_REFUSED(expr, expected_code, substring)                   \
  do {                                                                   \
    const absl::Status refused_status_ = (expr);                         \
    EXPECT_EQ(refused_status_.code(), expected_code) << refused_status_; \
    EXPECT_TRUE(absl::StrContains(refused_status_.message(), substring)) \
        << refused_status_;                                              \
  } while (false)

TEST_P(ApprovalVerifierTest, QuorumOfDistinctApproversIsAccepted) {
  const ApprovalRequest r = MakeRequest(kExpiry);
  EXPECT_TRUE(
      Check(r, {signers_[0]->Approve(r), signers_[2]->Approve(r)}).ok());
  EXPECT_EQ(cache_.size(), 1u);
  const ApprovalRequest all = MakeRequest(kExpiry, 2);
  EXPECT_TRUE(Check(all, {signers_[2]->Approve(all), signers_[1]->Approve(all),
                          signers_[0]->Approve(all)})
                  .ok());
  EXPECT_EQ(cache_.size(), 2u);
}

TEST_P(ApprovalVerifierTest, NoApprovalsIsRefused) {
  EXPECT_REFUSED(Check(MakeRequest(kExpiry), {}),
                 absl::StatusCode::kPermissionDenied,
                 "no approvals; sign requires 2 of 3");
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_P(ApprovalVerifierTest, TooFewApprovalsAreRefusedNamingWhoApproved) {
  const ApprovalRequest r = MakeRequest(kExpiry);
  EXPECT_REFUSED(Check(r, {signers_[1]->Approve(r)}),
                 absl::StatusCode::kPermissionDenied,
                 "1 distinct approver (approver 'approver-1'");
  EXPECT_REFUSED(Check(r, {signers_[1]->Approve(r)}),
                 absl::StatusCode::kPermissionDenied, "sign requires 2 of 3");
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_P(ApprovalVerifierTest, AnApproverTwiceCountsOnce) {
  const ApprovalRequest r = MakeRequest(kExpiry);
  const Approval a = signers_[0]->Approve(r);
  EXPECT_REFUSED(Check(r, {a, a}), absl::StatusCode::kPermissionDenied,
                 "1 distinct approver");
  // Two different valid signatures by the same approver (ECDSA is
  // randomized; for Ed25519 they are equal) still count once.
  EXPECT_REFUSED(Check(r, {a, signers_[0]->Approve(r)}),
                 absl::StatusCode::kPermissionDenied, "1 distinct approver");
  // And a quorum with a repeated approver is still a quorum.
  EXPECT_TRUE(Check(r, {a, a, signers_[1]->Approve(r)}).ok());
}

TEST_P(ApprovalVerifierTest, ApprovalByANonApproverIsRefused) {
  const ApprovalRequest r = MakeRequest(kExpiry);
  const Approval outsider = outsider_->Approve(r);
  EXPECT_REFUSED(
      Check(r, {signers_[0]->Approve(r), signers_[1]->Approve(r), outsider}),
      absl::StatusCode::kPermissionDenied,
      absl::StrCat(
          "approval 2: approver id ",
          testing::Hex(absl::MakeConstSpan(outsider.approver_id.data(), 8)),
          "... is not an approver"));
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_P(ApprovalVerifierTest, NonApproverClaimingAnApproversIdIsABadSignature) {
  const ApprovalRequest r = MakeRequest(kExpiry);
  Approval forged = outsider_->Approve(r);
  forged.approver_id = signers_[1]->id();
  ASSERT_EQ(outsider_->algorithm(), signers_[1]->algorithm());
  EXPECT_REFUSED(Check(r, {signers_[0]->Approve(r), forged}),
                 absl::StatusCode::kPermissionDenied,
                 "approval 1 by approver 'approver-1'");
  EXPECT_REFUSED(Check(r, {signers_[0]->Approve(r), forged}),
                 absl::StatusCode::kPermissionDenied, "does not verify");
}

TEST_P(ApprovalVerifierTest, BadSignatureIsRefusedEvenWithAQuorumBesideIt) {
  const ApprovalRequest r = MakeRequest(kExpiry);
  Approval bad = signers_[2]->Approve(r);
  bad.signature.back() ^= 0x01;  // keeps the DER structure for ECDSA
  EXPECT_REFUSED(Check(r, {bad, signers_[0]->Approve(r)}),
                 absl::StatusCode::kPermissionDenied,
                 "approval 0 by approver 'approver-2'");
  EXPECT_REFUSED(
      Check(r, {signers_[0]->Approve(r), signers_[1]->Approve(r), bad}),
      absl::StatusCode::kPermissionDenied, "does not verify");
  // A refused request did not consume its nonce.
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_TRUE(
      Check(r, {signers_[0]->Approve(r), signers_[1]->Approve(r)}).ok());
}

TEST_P(ApprovalVerifierTest, ApprovalsForAnotherRequestFieldAreBadSignatures) {
  const ApprovalRequest r = MakeRequest(kExpiry);
  const std::vector<
      std::pair<std::string, std::function<void(ApprovalRequest&)>>>
      mutations = {
          {"key id", [](ApprovalRequest& x) { x.key_id[31] ^= 1; }},
          {"operation",
           [](ApprovalRequest& x) { x.operation = Operation::kRefresh; }},
          {"hash function",
           [](ApprovalRequest& x) {
             x.hash_function = HashFunction::kKeccak256;
           }},
          {"digest", [](ApprovalRequest& x) { x.message_digest[0] ^= 0x80; }},
          {"path element",
           [](ApprovalRequest& x) { x.derivation_path[4] = 8; }},
          {"path prefix",
           [](ApprovalRequest& x) { x.derivation_path.pop_back(); }},
          {"path extended",
           [](ApprovalRequest& x) { x.derivation_path.push_back(0); }},
          {"root key", [](ApprovalRequest& x) { x.derivation_path.clear(); }},
          {"expiry", [](ApprovalRequest& x) { x.expiry_unix_ms += 1; }},
          {"nonce", [](ApprovalRequest& x) { x.nonce[5] ^= 1; }},
          {"nonce length", [](ApprovalRequest& x) { x.nonce.push_back(1); }},
      };
  for (const auto& [name, mutate] : mutations) {
    SCOPED_TRACE(name);
    ApprovalRequest approved = r;
    mutate(approved);
    ASSERT_TRUE(ValidateRequest(approved).ok());
    const std::vector<Approval> approvals = {signers_[0]->Approve(approved),
                                             signers_[1]->Approve(approved)};
    // The enclave checks the request of the operation it performs (r).
    EXPECT_REFUSED(Check(r, approvals), absl::StatusCode::kPermissionDenied,
                   "approval 0 by approver 'approver-0'");
    EXPECT_REFUSED(Check(r, approvals), absl::StatusCode::kPermissionDenied,
                   "does not verify over this request");
    // Control: the same approvals verify for the request they were made for.
    ReplayCache fresh(4);
    EXPECT_TRUE(
        CheckApprovals(*policy_, approved, approvals, kNow, fresh).ok());
  }
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_P(ApprovalVerifierTest, ExpiredRequestIsRefused) {
  const ApprovalRequest at_now = MakeRequest(kNow);
  EXPECT_REFUSED(Check(at_now, {signers_[0]->Approve(at_now),
                                signers_[1]->Approve(at_now)}),
                 absl::StatusCode::kFailedPrecondition, "expired");
  const ApprovalRequest past = MakeRequest(kNow - 1);
  EXPECT_REFUSED(
      Check(past, {signers_[0]->Approve(past), signers_[1]->Approve(past)}),
      absl::StatusCode::kFailedPrecondition, "expired");
  // One millisecond before expiry it is fine.
  EXPECT_TRUE(
      Check(at_now,
            {signers_[0]->Approve(at_now), signers_[1]->Approve(at_now)},
            kNow - 1)
          .ok());
}

TEST_P(ApprovalVerifierTest, ExpiryBeyondMaxValidityIsRefusedSayingWhy) {
  const ApprovalRequest too_far = MakeRequest(kNow + kDefaultMaxValidityMs + 1);
  EXPECT_REFUSED(Check(too_far, {signers_[0]->Approve(too_far),
                                 signers_[1]->Approve(too_far)}),
                 absl::StatusCode::kFailedPrecondition,
                 "beyond the enclave's maximum validity of 86400000 ms");
  EXPECT_REFUSED(Check(too_far, {signers_[0]->Approve(too_far),
                                 signers_[1]->Approve(too_far)}),
                 absl::StatusCode::kFailedPrecondition, "replay window");
  const ApprovalRequest edge = MakeRequest(kNow + kDefaultMaxValidityMs, 2);
  EXPECT_TRUE(
      Check(edge, {signers_[0]->Approve(edge), signers_[1]->Approve(edge)})
          .ok());
  // A configured, shorter maximum.
  VerifierOptions one_minute;
  one_minute.max_validity_ms = 60'000;
  const ApprovalRequest r = MakeRequest(kNow + 60'001, 3);
  EXPECT_REFUSED(Check(r, {signers_[0]->Approve(r), signers_[1]->Approve(r)},
                       kNow, one_minute),
                 absl::StatusCode::kFailedPrecondition,
                 "maximum validity of 60000 ms");
  EXPECT_TRUE(Check(r, {signers_[0]->Approve(r), signers_[1]->Approve(r)},
                    kNow + 1, one_minute)
                  .ok());
}

TEST_P(ApprovalVerifierTest, ReplayedRequestIsRefused) {
  const ApprovalRequest r = MakeRequest(kExpiry);
  const std::vector<Approval> approvals = {signers_[0]->Approve(r),
                                           signers_[1]->Approve(r)};
  ASSERT_TRUE(Check(r, approvals).ok());
  EXPECT_REFUSED(Check(r, approvals, kNow + 1),
                 absl::StatusCode::kAlreadyExists, "already used");
  // Another quorum over the same request (same nonce) is a replay too.
  EXPECT_REFUSED(
      Check(r, {signers_[2]->Approve(r), signers_[1]->Approve(r)}, kNow + 2),
      absl::StatusCode::kAlreadyExists, "already used");
  // The same nonce on a request for another digest as well.
  ApprovalRequest other = r;
  other.message_digest[3] ^= 1;
  EXPECT_REFUSED(
      Check(other, {signers_[0]->Approve(other), signers_[1]->Approve(other)},
            kNow + 3),
      absl::StatusCode::kAlreadyExists, "already used");
  // After expiry the request is refused as expired, never accepted again.
  EXPECT_REFUSED(Check(r, approvals, kExpiry),
                 absl::StatusCode::kFailedPrecondition, "expired");
}

TEST_P(ApprovalVerifierTest, QuorumIsPerOperation) {
  // Policy: sign 2, refresh 2, reshare 3, export 3.
  ApprovalRequest r = MakeRequest(kExpiry);
  r.operation = Operation::kExport;
  EXPECT_REFUSED(Check(r, {signers_[0]->Approve(r), signers_[1]->Approve(r)}),
                 absl::StatusCode::kPermissionDenied, "export requires 3 of 3");
  r.operation = Operation::kReshare;
  EXPECT_REFUSED(Check(r, {signers_[0]->Approve(r), signers_[1]->Approve(r)}),
                 absl::StatusCode::kPermissionDenied,
                 "reshare requires 3 of 3");
  EXPECT_TRUE(Check(r, {signers_[0]->Approve(r), signers_[1]->Approve(r),
                        signers_[2]->Approve(r)})
                  .ok());
  r = MakeRequest(kExpiry, 9);
  r.operation = Operation::kRefresh;
  EXPECT_TRUE(
      Check(r, {signers_[0]->Approve(r), signers_[1]->Approve(r)}).ok());
}

TEST_P(ApprovalVerifierTest, MalformedInputIsInvalidArgument) {
  ApprovalRequest r = MakeRequest(kExpiry);
  const std::vector<Approval> ok = {signers_[0]->Approve(r),
                                    signers_[1]->Approve(r)};
  ApprovalRequest bad = r;
  bad.nonce.resize(15);
  EXPECT_REFUSED(Check(bad, ok), absl::StatusCode::kInvalidArgument, "nonce");
  bad = r;
  bad.operation = Operation{};
  EXPECT_REFUSED(Check(bad, ok), absl::StatusCode::kInvalidArgument,
                 "unknown operation 0");
  bad = r;
  bad.derivation_path.assign(kMaxDerivationDepth + 1, 1);
  EXPECT_REFUSED(Check(bad, ok), absl::StatusCode::kInvalidArgument,
                 "derivation path");
  EXPECT_REFUSED(
      Check(r, std::vector<Approval>(kMaxApprovalsPerRequest + 1, ok[0])),
      absl::StatusCode::kInvalidArgument, "exceed the limit");
  VerifierOptions zero;
  zero.max_validity_ms = 0;
  EXPECT_REFUSED(Check(r, ok, kNow, zero), absl::StatusCode::kInvalidArgument,
                 "max_validity_ms");
  Approval truncated = ok[1];
  truncated.signature.resize(truncated.signature.size() - 1);
  EXPECT_REFUSED(Check(r, {ok[0], truncated}),
                 absl::StatusCode::kInvalidArgument,
                 "approval 1 by approver 'approver-1'");
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_P(ApprovalVerifierTest, FullReplayCacheRefusesNewRequests) {
  ReplayCache small(2);
  auto check = [&](uint8_t nonce, uint64_t now) {
    const ApprovalRequest r = MakeRequest(kNow + 1000 * nonce, nonce);
    return CheckApprovals(*policy_, r,
                          {signers_[0]->Approve(r), signers_[1]->Approve(r)},
                          now, small);
  };
  ASSERT_TRUE(check(1, kNow).ok());
  ASSERT_TRUE(check(2, kNow).ok());
  EXPECT_REFUSED(check(3, kNow), absl::StatusCode::kResourceExhausted,
                 "replay cache is full");
  // Nothing was evicted: the first request is still a replay.
  EXPECT_REFUSED(check(1, kNow + 1), absl::StatusCode::kAlreadyExists,
                 "already used");
  // Once the first expires, its slot frees up.
  EXPECT_TRUE(check(3, kNow + 1000).ok());
}

TEST_P(ApprovalVerifierTest, ConcurrentIdenticalRequestsSucceedExactlyOnce) {
  const ApprovalRequest r = MakeRequest(kExpiry);
  const std::vector<Approval> approvals = {signers_[0]->Approve(r),
                                           signers_[1]->Approve(r)};
  std::atomic<int> ok{0}, replayed{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      const absl::Status s = Check(r, approvals);
      if (s.ok()) {
        ++ok;
      } else if (s.code() == absl::StatusCode::kAlreadyExists) {
        ++replayed;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(replayed.load(), 7);
  EXPECT_EQ(other.load(), 0);
}

TEST_P(ApprovalVerifierTest, ConcurrentDistinctRequestsAllSucceed) {
  std::vector<ApprovalRequest> requests;
  std::vector<std::vector<Approval>> approvals;
  for (int i = 0; i < 32; ++i) {
    requests.push_back(MakeRequest(kExpiry, static_cast<uint8_t>(i + 1)));
    approvals.push_back({signers_[i % 3]->Approve(requests.back()),
                         signers_[(i + 1) % 3]->Approve(requests.back())});
  }
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < requests.size(); i += 4) {
        if (Check(requests[i], approvals[i]).ok()) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 32);
  EXPECT_EQ(cache_.size(), 32u);
}

// P-256 signature formats (independent of the parameterized suite).
TEST(ApprovalVerifierP256Test, SignatureFormats) {
  std::unique_ptr<TestSigner> s0 = MakeP256Signer();
  std::unique_ptr<TestSigner> s1 = MakeP256Signer();
  const ApprovalPolicy policy = MakePolicy({s0.get(), s1.get()}, 2);
  ReplayCache cache(8);
  auto Check = [&](const ApprovalRequest& r,
                   const std::vector<Approval>& approvals,
                   uint64_t now = kNow) {
    return CheckApprovals(policy, r, approvals, now, cache);
  };
  const ApprovalRequest r = MakeRequest(kExpiry);
  const Approval a0 = s0->Approve(r);
  // Raw r||s (PKCS#11's default output) is refused as malformed, saying so.
  Approval raw = s1->Approve(r);
  raw.signature = testing::DerToRawRs(raw.signature);
  EXPECT_REFUSED(Check(r, {a0, raw}), absl::StatusCode::kInvalidArgument,
                 "raw r||s is not accepted");
  // BER (a long-form length) is refused: strict DER only.
  Approval ber = s1->Approve(r);
  std::vector<uint8_t> long_form = {0x30, 0x81,
                                    static_cast<uint8_t>(ber.signature[1])};
  long_form.insert(long_form.end(), ber.signature.begin() + 2,
                   ber.signature.end());
  ber.signature = long_form;
  EXPECT_REFUSED(Check(r, {a0, ber}), absl::StatusCode::kInvalidArgument,
                 "DER");
  // Trailing byte after the DER value.
  Approval trailing = s1->Approve(r);
  trailing.signature.push_back(0);
  EXPECT_REFUSED(Check(r, {a0, trailing}), absl::StatusCode::kInvalidArgument,
                 "DER");
  // (r, n - s) verifies too: hardware keys do not normalize s, and it gives
  // no second approval (counted by approver, replay by nonce).
  Approval high_s = s1->Approve(r);
  high_s.signature = testing::HighSTwin(high_s.signature);
  EXPECT_TRUE(Check(r, {a0, high_s}).ok());
  EXPECT_REFUSED(Check(r, {a0, high_s}, kNow + 1),
                 absl::StatusCode::kAlreadyExists, "already used");
}

}  // namespace
}  // namespace nitro_tss::approval
