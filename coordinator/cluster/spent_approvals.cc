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

bool EverySignerRefusedBeforeApprovalsCheck(
    const std::map<uint32_t, SessionOutcome>& outcomes) {
  for (const auto& [party, o] : outcomes) {
    // A result or an abort: the enclave ran the protocol.
    if (o.stream_error.ok()) return false;
    if (!RefusedBeforeApprovalsCheck(o.stream_error)) return false;
  }
  return true;
}

SignRunApprovals ApprovalsAfterSignRun(
    const std::map<uint32_t, SessionOutcome>& outcomes) {
  for (const auto& [party, o] : outcomes) {
    if (absl::IsAlreadyExists(o.stream_error)) {
      return SignRunApprovals::kAlreadyUsed;
    }
  }
  return EverySignerRefusedBeforeApprovalsCheck(outcomes)
             ? SignRunApprovals::kUnspent
             : SignRunApprovals::kSpent;
}

}  // namespace nitro_tss::coordinator
