#include "node/approval/verifier.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace nitro_tss::approval {
namespace {

std::string ShortId(const ApproverId& id) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(id.data()), 8));
}

}  // namespace

absl::Status CheckApprovals(const ApprovalPolicy& policy,
                            const ApprovalRequest& request,
                            absl::Span<const Approval> approvals,
                            uint64_t now_unix_ms, ReplayCache& replay_cache,
                            const VerifierOptions& options) {
  RETURN_IF_ERROR(ValidateRequest(request));
  if (options.max_validity_ms == 0) {
    return absl::InvalidArgumentError(
        "approval verifier: max_validity_ms must be > 0");
  }
  const std::string op = OperationName(request.operation);
  const uint32_t m = policy.quorum().For(request.operation);
  const size_t k = policy.approvers().size();
  if (approvals.size() > kMaxApprovalsPerRequest) {
    return absl::InvalidArgumentError(absl::StrCat(
        "approvals: ", approvals.size(), " approvals exceed the limit of ",
        kMaxApprovalsPerRequest));
  }
  if (approvals.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("approvals: the request carries no approvals; ", op,
                     " requires ", m, " of ", k, " approvers"));
  }
  if (request.expiry_unix_ms <= now_unix_ms) {
    return absl::FailedPreconditionError(absl::StrCat(
        "approval request expired: expiry ", request.expiry_unix_ms,
        " ms is not after now (", now_unix_ms, " ms)"));
  }
  if (request.expiry_unix_ms - now_unix_ms > options.max_validity_ms) {
    return absl::FailedPreconditionError(absl::StrCat(
        "approval request expiry is ", request.expiry_unix_ms - now_unix_ms,
        " ms in the future, beyond the enclave's maximum validity of ",
        options.max_validity_ms,
        " ms (nonces are remembered only in enclave memory until expiry, so "
        "the maximum validity bounds the replay window after a restart)"));
  }
  RETURN_IF_ERROR(
      replay_cache.Check(request.nonce, request.expiry_unix_ms, now_unix_ms));

  ASSIGN_OR_RETURN(std::vector<uint8_t> message, ApprovalMessage(request));
  std::vector<const Approver*> counted;
  for (size_t i = 0; i < approvals.size(); ++i) {
    const Approval& approval = approvals[i];
    const Approver* approver = policy.Find(approval.approver_id);
    if (approver == nullptr) {
      return absl::PermissionDeniedError(absl::StrCat(
          "approval ", i, ": approver id ", ShortId(approval.approver_id),
          "... is not an approver of this key's policy"));
    }
    absl::Status verified = approver->key.Verify(message, approval.signature);
    if (!verified.ok()) {
      std::string why(verified.message());
      if (verified.code() == absl::StatusCode::kPermissionDenied) {
        absl::StrAppend(&why,
                        " over this request (signed for another key, "
                        "operation, digest, hash function, derivation path, "
                        "expiry or nonce, or by another key)");
      }
      return absl::Status(verified.code(),
                          absl::StrCat("approval ", i, " by ",
                                       DescribeApprover(*approver), ": ", why));
    }
    bool seen = false;
    for (const Approver* c : counted) seen = seen || c == approver;
    if (!seen) counted.push_back(approver);
  }
  if (counted.size() < m) {
    std::vector<std::string> names;
    for (const Approver* c : counted) names.push_back(DescribeApprover(*c));
    return absl::PermissionDeniedError(absl::StrCat(
        "approvals: ", counted.size(), " distinct approver",
        counted.size() == 1 ? "" : "s", " (", absl::StrJoin(names, ", "), "); ",
        op, " requires ", m, " of ", k));
  }
  return replay_cache.Record(request.nonce, request.expiry_unix_ms,
                             now_unix_ms);
}

}  // namespace nitro_tss::approval
