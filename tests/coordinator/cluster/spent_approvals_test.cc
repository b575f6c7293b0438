// How the orchestrator reads a failed signing run's session ends to decide
// whether its approvals were spent (coordinator/cluster/spent_approvals.h):
// only a run every signer refused before its approvals check may be retried
// with them.
#include "coordinator/cluster/spent_approvals.h"

#include <gtest/gtest.h>

namespace nitro_tss::coordinator {
namespace {

SessionOutcome Ended(absl::Status end) {
  SessionOutcome o;
  o.stream_error = std::move(end);
  return o;
}

SessionOutcome Signed() {
  SessionOutcome o;
  o.done = true;
  o.result.mutable_signature()->set_r(std::string(32, 'r'));
  return o;
}

SessionOutcome Aborted() {
  SessionOutcome o;
  o.abort.set_round(1);
  enclave::v1::Culprit* c = o.abort.add_culprits();
  c->set_party_id(2);
  c->set_code("silent");
  c->set_action("retry");
  return o;
}

// The refusals an enclave makes before its approvals check (enclave.proto's
// end codes; node/enclave/core.cc StartSession).
std::vector<absl::Status> RefusalsBeforeTheCheck() {
  return {
      absl::InvalidArgumentError("sign.hash: SHA256 or KECCAK256 required"),
      absl::NotFoundError("link: unknown"),
      absl::NotFoundError("sign.presignature_id: no such presignature here"),
      absl::AlreadyExistsError(
          "approval request nonce was already used (replayed request)"),
      absl::FailedPreconditionError("link: not established yet"),
      absl::FailedPreconditionError("approval request expired"),
      absl::PermissionDeniedError("sign.approvals: quorum not met"),
      absl::UnimplementedError("sign: derivation paths are not supported"),
  };
}

// Ends that may come after the check (or whose timing is unknown).
std::vector<absl::Status> EndsThatMayFollowTheCheck() {
  return {
      absl::CancelledError("party 2 session: cancelled"),
      absl::UnavailableError("party 2 session: stream broke"),
      absl::DeadlineExceededError("party 2 session: the run deadline passed"),
      absl::ResourceExhaustedError("session: too many sessions"),
      absl::InternalError("party 2: session ended without a result"),
      absl::UnknownError("end code 99"),
      absl::AbortedError("?"),
      absl::DataLossError("?"),
      absl::OutOfRangeError("?"),
      absl::UnauthenticatedError("?"),
  };
}

TEST(SpentApprovals, RefusalsBeforeTheCheckAreKnownByTheirCode) {
  for (const absl::Status& s : RefusalsBeforeTheCheck()) {
    EXPECT_TRUE(RefusedBeforeApprovalsCheck(s)) << s;
  }
  for (const absl::Status& s : EndsThatMayFollowTheCheck()) {
    EXPECT_FALSE(RefusedBeforeApprovalsCheck(s)) << s;
  }
}

TEST(SpentApprovals, ARunEverySignerRefusedBeforeTheCheckLeavesThemUnspent) {
  for (const absl::Status& s : RefusalsBeforeTheCheck()) {
    if (absl::IsAlreadyExists(s)) continue;
    SCOPED_TRACE(s.ToString());
    EXPECT_EQ(ApprovalsAfterSignRun({{1, Ended(s)}, {2, Ended(s)}}),
              SignRunApprovals::kUnspent);
  }
  // Different refusals, all before the check (an unknown link at one
  // signer, expired approvals at the other).
  EXPECT_EQ(ApprovalsAfterSignRun(
                {{1, Ended(absl::NotFoundError("link"))},
                 {3, Ended(absl::FailedPreconditionError("expired"))}}),
            SignRunApprovals::kUnspent);
}

TEST(SpentApprovals, AnySignerPastTheCheckSpendsThem) {
  const SessionOutcome refused = Ended(absl::NotFoundError("link: unknown"));
  // It ran the protocol: a result or an abort (e.g. the cheating-enclave
  // case after the presign, or a silent peer at the round deadline).
  EXPECT_EQ(ApprovalsAfterSignRun({{1, Signed()}, {2, refused}}),
            SignRunApprovals::kSpent);
  EXPECT_EQ(ApprovalsAfterSignRun({{1, refused}, {2, Aborted()}}),
            SignRunApprovals::kSpent);
  EXPECT_EQ(ApprovalsAfterSignRun({{1, Aborted()}, {2, Aborted()}}),
            SignRunApprovals::kSpent);
  // Its end does not say: cancelled by the relay after a peer's refusal,
  // a broken stream, the run deadline, ...
  for (const absl::Status& s : EndsThatMayFollowTheCheck()) {
    SCOPED_TRACE(s.ToString());
    EXPECT_EQ(ApprovalsAfterSignRun({{1, refused}, {2, Ended(s)}}),
              SignRunApprovals::kSpent);
    EXPECT_EQ(ApprovalsAfterSignRun({{1, Ended(s)}, {2, Ended(s)}}),
              SignRunApprovals::kSpent);
  }
}

TEST(SpentApprovals, OnlyRefusalsBeforeTheCheckLeaveThePresignatureUntaken) {
  const SessionOutcome refused = Ended(absl::NotFoundError("link: unknown"));
  const SessionOutcome used = Ended(
      absl::AlreadyExistsError("approval request nonce was already used"));
  EXPECT_TRUE(EverySignerRefusedBeforeApprovalsCheck({{1, refused}}));
  EXPECT_TRUE(EverySignerRefusedBeforeApprovalsCheck({{1, used}, {2, used}}));
  EXPECT_TRUE(EverySignerRefusedBeforeApprovalsCheck(
      {{1, used}, {2, Ended(absl::PermissionDeniedError("quorum"))}}));
  EXPECT_FALSE(EverySignerRefusedBeforeApprovalsCheck(
      {{1, used}, {2, Ended(absl::CancelledError("cancelled"))}}));
  EXPECT_FALSE(
      EverySignerRefusedBeforeApprovalsCheck({{1, used}, {2, Signed()}}));
  EXPECT_FALSE(
      EverySignerRefusedBeforeApprovalsCheck({{1, refused}, {2, Aborted()}}));
}

TEST(SpentApprovals, ApprovalsRefusedAsUsedBeforeAreNotRetried) {
  const SessionOutcome used = Ended(
      absl::AlreadyExistsError("approval request nonce was already used"));
  EXPECT_EQ(ApprovalsAfterSignRun({{1, used}, {3, used}}),
            SignRunApprovals::kAlreadyUsed);
  // One signer had consumed them, the other refuses them before its check
  // for another reason, or was cancelled by the relay after the refusal
  // (its start may have run: still not retried, and the answer says why).
  EXPECT_EQ(ApprovalsAfterSignRun(
                {{1, used}, {3, Ended(absl::NotFoundError("link: unknown"))}}),
            SignRunApprovals::kAlreadyUsed);
  EXPECT_EQ(ApprovalsAfterSignRun(
                {{1, used}, {3, Ended(absl::CancelledError("cancelled"))}}),
            SignRunApprovals::kAlreadyUsed);
  EXPECT_EQ(ApprovalsAfterSignRun({{1, Aborted()}, {3, used}}),
            SignRunApprovals::kAlreadyUsed);
}

}  // namespace
}  // namespace nitro_tss::coordinator
