// Checks that a request carries a valid quorum of approvals under a key's
// policy, and records its nonce. Pure code, no I/O; thread-safe (state is
// in the ReplayCache).
//
// How the enclave uses it: build `request` from the operation it is about
// to perform — the loaded key's id, the operation, the digest it will sign
// (and its hash function), the derivation path of the presignature — and
// take only the expiry and nonce from the caller (ApprovalBundle in
// approval.proto). Never check a request as sent: approvals for another
// key, operation, digest or path then fail as bad signatures over the
// enclave's canonical bytes, which is what makes the check meaningful.
//
// CheckApprovals refuses with these codes. Checks run in the order:
// malformed input, no approvals, time, replay and capacity, each approval in
// turn, quorum, recording the nonce; the first failure is returned.
//   INVALID_ARGUMENT    the request is malformed (ValidateRequest); more
//                       than kMaxApprovalsPerRequest approvals; a malformed
//                       signature (Ed25519 not 64 bytes, ECDSA not strict
//                       DER) — naming the approval and its approver;
//                       options.max_validity_ms == 0.
//   PERMISSION_DENIED   no approvals; an approval whose approver id is not
//                       in the policy ("approval 2: approver id ... is not an
//                       approver of this key"); a signature that does not
//                       verify over ApprovalMessage(request) ("approval 1
//                       by approver 'alice' (ed25519, id ...): signature does
//                       not verify ..."); fewer distinct approvers than the
//                       operation's quorum (naming who approved and m of
//                       k). Every approval must verify, even when the
//                       others already make a quorum; an approver who
//                       appears twice is counted once.
//   FAILED_PRECONDITION the request has expired (expiry <= now), or its
//                       expiry is more than options.max_validity_ms after
//                       now (the replay cache does not survive a restart,
//                       replay_cache.h, so the enclave only accepts
//                       approvals whose replay window it bounds).
//   ALREADY_EXISTS      the nonce was already used by an accepted request
//                       (still unexpired), including a concurrent one.
//   RESOURCE_EXHAUSTED  the replay cache is full of unexpired nonces.
// Time checks and the replay check come before the signature checks (they
// are cheap); the nonce is recorded only once every approval verified, so
// requests with bad approvals never consume a nonce.
#ifndef NITRO_TSS_NODE_APPROVAL_VERIFIER_H_
#define NITRO_TSS_NODE_APPROVAL_VERIFIER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "node/approval/policy.h"
#include "node/approval/replay_cache.h"
#include "node/approval/request.h"

namespace nitro_tss::approval {

inline constexpr size_t kMaxApprovalsPerRequest = kMaxApprovers;
inline constexpr uint64_t kDefaultMaxValidityMs = 24ull * 60 * 60 * 1000;

// One approver's signature over ApprovalMessage(request).
struct Approval {
  ApproverId approver_id{};
  std::vector<uint8_t> signature;

  friend bool operator==(const Approval&, const Approval&) = default;
};

struct VerifierOptions {
  // A request whose expiry is further than this after now is refused.
  uint64_t max_validity_ms = kDefaultMaxValidityMs;
};

// See above. On OK the request's nonce is recorded in `replay_cache`.
// `now_unix_ms` comes from the enclave's own clock, never from a request.
// `policy` is the key's policy as bound at DKG (its digest checked against
// the sealed record when it was loaded).
absl::Status CheckApprovals(const ApprovalPolicy& policy,
                            const ApprovalRequest& request,
                            absl::Span<const Approval> approvals,
                            uint64_t now_unix_ms, ReplayCache& replay_cache,
                            const VerifierOptions& options = {});

}  // namespace nitro_tss::approval

#endif  // NITRO_TSS_NODE_APPROVAL_VERIFIER_H_
