#include "coordinator/cluster/spent_approvals.h"

namespace nitro_tss::coordinator {

bool RefusedBeforeApprovalsCheck(const absl::Status& end) {
  switch (end.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnimplemented:
      return true;
    default:
      return false;
  }
}

bool LeftApprovalsUnconsumed(const SessionOutcome& outcome) {
  // A result or an abort: the enclave ran the protocol.
  if (outcome.stream_error.ok()) return false;
  // The enclave's own word, whatever the code.
  if (outcome.approvals_consumed.has_value()) {
    return !*outcome.approvals_consumed;
  }
  return RefusedBeforeApprovalsCheck(outcome.stream_error);
}

bool EverySignerRefusedBeforeApprovalsCheck(
    const std::map<uint32_t, SessionOutcome>& outcomes) {
  for (const auto& [party, o] : outcomes) {
    if (!LeftApprovalsUnconsumed(o)) return false;
  }
  return true;
}

std::optional<absl::Status> FinalRefusal(
    const std::map<uint32_t, SessionOutcome>& outcomes) {
  if (!EverySignerRefusedBeforeApprovalsCheck(outcomes)) return std::nullopt;
  for (const auto& [party, o] : outcomes) {
    if (absl::IsPermissionDenied(o.stream_error) ||
        absl::IsInvalidArgument(o.stream_error)) {
      return o.stream_error;
    }
  }
  return std::nullopt;
}

SignRunApprovals ApprovalsAfterSignRun(
    const std::map<uint32_t, SessionOutcome>& outcomes) {
  for (const auto& [party, o] : outcomes) {
    // Not when this very run consumed them there (an enclave whose start
    // failed ALREADY_EXISTS after the check; tss-enclave checks a reused
    // session id before the approvals, so its ALREADY_EXISTS says false).
    if (absl::IsAlreadyExists(o.stream_error) && o.approvals_consumed != true) {
      return SignRunApprovals::kAlreadyUsed;
    }
  }
  return EverySignerRefusedBeforeApprovalsCheck(outcomes)
             ? SignRunApprovals::kUnspent
             : SignRunApprovals::kSpent;
}

}  // namespace nitro_tss::coordinator
