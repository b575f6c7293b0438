// How the orchestrator reads a failed signing run's session ends to decide
// whether its approvals were spent (coordinator/cluster/spent_approvals.h):
// only a run every signer refused before its approvals check may be retried
// with them.
#include "coordinator/cluster/spent_approvals.h"

#include <gtest/gtest.h>

#include <map>

namespace nitro_tss::coordinator {
namespace {

SessionOutcome Ended(absl::Status end) {
  SessionOutcome o;
  o.stream_error = std::move(end);
  return o;
}

// An end from an enclave that says whether the start consumed the approvals
// (SessionEnd.approvals_consumed).
SessionOutcome EndedSaying(absl::Status end, bool consumed) {
  SessionOutcome o = Ended(std::move(end));
  o.approvals_consumed = consumed;
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

// The enclave's word decides whatever the code: a "before the check" code
// with consumed=true is spent, an "after the check" code with
// consumed=false is not.
TEST(SpentApprovals, AnEndThatSaysDecidesWhateverItsCode) {
  for (const absl::Status& s : EndsThatMayFollowTheCheck()) {
    SCOPED_TRACE(s.ToString());
    EXPECT_TRUE(LeftApprovalsUnconsumed(EndedSaying(s, false)));
    EXPECT_FALSE(LeftApprovalsUnconsumed(EndedSaying(s, true)));
    EXPECT_EQ(ApprovalsAfterSignRun(
                  {{1, EndedSaying(s, false)}, {2, EndedSaying(s, false)}}),
              SignRunApprovals::kUnspent);
    EXPECT_EQ(ApprovalsAfterSignRun(
                  {{1, EndedSaying(s, false)}, {2, EndedSaying(s, true)}}),
              SignRunApprovals::kSpent);
  }
  for (const absl::Status& s : RefusalsBeforeTheCheck()) {
    SCOPED_TRACE(s.ToString());
    EXPECT_FALSE(LeftApprovalsUnconsumed(EndedSaying(s, true)));
    EXPECT_TRUE(LeftApprovalsUnconsumed(EndedSaying(s, false)));
    if (absl::IsAlreadyExists(s)) continue;
    EXPECT_EQ(ApprovalsAfterSignRun(
                  {{1, EndedSaying(s, true)}, {2, EndedSaying(s, false)}}),
              SignRunApprovals::kSpent);
  }
  // The relay cancelled a signer after a peer's refusal, and its enclave
  // says the start never ran (the cancel overtook it): unspent, and the
  // presignature was not taken there.
  const std::map<uint32_t, SessionOutcome> cancelled_first = {
      {1, EndedSaying(absl::NotFoundError("link: unknown"), false)},
      {2, EndedSaying(absl::CancelledError("cancelled"), false)}};
  EXPECT_TRUE(EverySignerRefusedBeforeApprovalsCheck(cancelled_first));
  EXPECT_EQ(ApprovalsAfterSignRun(cancelled_first), SignRunApprovals::kUnspent);
  // The same cancel after the start ran there: spent.
  EXPECT_EQ(ApprovalsAfterSignRun(
                {{1, EndedSaying(absl::NotFoundError("link: unknown"), false)},
                 {2, EndedSaying(absl::CancelledError("cancelled"), true)}}),
            SignRunApprovals::kSpent);
}

// A signer whose end never came from its enclave (the stream broke, the run
// deadline passed) keeps the reading by code, whatever the others said.
TEST(SpentApprovals, ASignerWithoutTheEnclavesWordIsReadByItsCode) {
  const SessionOutcome unconsumed =
      EndedSaying(absl::CancelledError("cancelled"), false);
  EXPECT_EQ(ApprovalsAfterSignRun(
                {{1, unconsumed},
                 {2, Ended(absl::UnavailableError("stream broke"))}}),
            SignRunApprovals::kSpent);
  EXPECT_EQ(ApprovalsAfterSignRun(
                {{1, unconsumed},
                 {2, Ended(absl::DeadlineExceededError("run deadline"))}}),
            SignRunApprovals::kSpent);
  EXPECT_EQ(ApprovalsAfterSignRun(
                {{1, unconsumed}, {2, Ended(absl::NotFoundError("link"))}}),
            SignRunApprovals::kUnspent);
}

// A result or an abort spends them whatever an end says.
TEST(SpentApprovals, AResultOrAnAbortSpendsThemWhateverTheEndSays) {
  SessionOutcome signed_ = Signed();
  signed_.approvals_consumed = false;
  SessionOutcome aborted = Aborted();
  aborted.approvals_consumed = false;
  EXPECT_FALSE(LeftApprovalsUnconsumed(signed_));
  EXPECT_FALSE(LeftApprovalsUnconsumed(aborted));
  const SessionOutcome refused =
      EndedSaying(absl::NotFoundError("link: unknown"), false);
  EXPECT_EQ(ApprovalsAfterSignRun({{1, signed_}, {2, refused}}),
            SignRunApprovals::kSpent);
  EXPECT_EQ(ApprovalsAfterSignRun({{1, aborted}, {2, refused}}),
            SignRunApprovals::kSpent);
}

// ALREADY_EXISTS from a start that says it consumed the approvals itself
// (the check passed, then the start failed ALREADY_EXISTS) is this run's
// spending, not an earlier run's: spent, not "already used".
TEST(SpentApprovals, AlreadyExistsAfterThisRunsCheckIsSpentNotAlreadyUsed) {
  const absl::Status reused =
      absl::AlreadyExistsError("failed after the approvals check");
  EXPECT_EQ(ApprovalsAfterSignRun({{1, EndedSaying(reused, true)},
                                   {2, EndedSaying(reused, true)}}),
            SignRunApprovals::kSpent);
  const absl::Status used =
      absl::AlreadyExistsError("approval request nonce was already used");
  EXPECT_EQ(ApprovalsAfterSignRun(
                {{1, EndedSaying(used, false)},
                 {2, EndedSaying(absl::CancelledError("cancelled"), false)}}),
            SignRunApprovals::kAlreadyUsed);
  EXPECT_EQ(ApprovalsAfterSignRun({{1, Ended(used)}, {2, Ended(used)}}),
            SignRunApprovals::kAlreadyUsed);
}

TEST(SpentApprovals, ARefusalIsFinalOnlyWhenNoSignerConsumedThem) {
  // Every signer refused before its check: the first PERMISSION_DENIED or
  // INVALID_ARGUMENT in party order answers the request at once.
  const absl::Status denied = absl::PermissionDeniedError("refused");
  const absl::Status malformed = absl::InvalidArgumentError("malformed");
  std::optional<absl::Status> r =
      FinalRefusal({{1, Ended(absl::NotFoundError("x"))},
                    {2, Ended(denied)},
                    {3, Ended(malformed)}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, denied);
  r = FinalRefusal({{1, EndedSaying(malformed, false)}, {2, Ended(denied)}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, malformed);
  // Its twins: a co-signer that consumed them (a CANCELLED end saying so,
  // or an INVALID_ARGUMENT end of a started session saying so) makes the
  // run spent, not a refusal that returns the presignature to the pool.
  const std::map<uint32_t, SessionOutcome> spent_cancel = {
      {1, Ended(denied)},
      {2, EndedSaying(absl::CancelledError("cancelled"), true)}};
  EXPECT_FALSE(FinalRefusal(spent_cancel).has_value());
  EXPECT_EQ(ApprovalsAfterSignRun(spent_cancel), SignRunApprovals::kSpent);
  const std::map<uint32_t, SessionOutcome> spent_malformed = {
      {1, EndedSaying(malformed, true)}, {2, EndedSaying(malformed, false)}};
  EXPECT_FALSE(FinalRefusal(spent_malformed).has_value());
  EXPECT_EQ(ApprovalsAfterSignRun(spent_malformed), SignRunApprovals::kSpent);
  // A refusal with a co-signer whose stream broke (no word: may have
  // consumed them) is spent too.
  EXPECT_FALSE(
      FinalRefusal({{1, Ended(denied)},
                    {2, Ended(absl::UnavailableError("stream broke"))}})
          .has_value());
  // No refusal code at all: nothing final here.
  EXPECT_FALSE(
      FinalRefusal({{1, Ended(absl::NotFoundError("x"))}}).has_value());
}

}  // namespace
}  // namespace nitro_tss::coordinator
