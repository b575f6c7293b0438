// Whether a failed signing run spent its request's approvals, read from how
// each enclave's session ended.
//
// An enclave checks a sign run's approvals when it starts the run
// (node/enclave/core.cc StartSession) and, when they pass, records their
// nonce in its replay cache (node/approval/replay_cache.h) before it takes
// the presignature: approvals are single-use by design, so a second run
// with the same approvals that reaches that enclave is refused
// ALREADY_EXISTS ("approval request nonce was already used"). The
// orchestrator may therefore retry a failed sign run with the same
// approvals only when no enclave got past its approvals check; otherwise
// the caller needs fresh approvals (Orchestrator::Sign answers ABORTED).
//
// What each end says (enclave.proto, the Sessions rpc's end codes):
//  - a result or an abort: the enclave ran the protocol, so it had passed
//    its approvals check: spent.
//  - INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION,
//    PERMISSION_DENIED, UNIMPLEMENTED: the start was refused before the
//    approvals check (malformed request, unknown link or presignature, a
//    reused session id or already-used approvals, an unusable link or
//    expired approvals, refused approvals, a derivation path). Two refusals
//    of these codes come after the check, NOT_FOUND for a presignature
//    taken by a concurrent run and FAILED_PRECONDITION for a presignature
//    of another signer set; this coordinator starts neither (a
//    presignature is handed to one Sign, from its own link's pool). Should
//    one happen anyway, a retry that reaches that enclave is refused
//    ALREADY_EXISTS, which reads as already used (below): the caller gets
//    the same answer.
//  - anything else (CANCELLED: the relay cancels the other sessions once one
//    fails, and a cancel may come before or after the start ran;
//    UNAVAILABLE or DEADLINE_EXCEEDED: the stream broke or the run deadline
//    passed; RESOURCE_EXHAUSTED: also after the check; ...): the enclave may
//    have consumed the approvals, so they count as spent. This errs towards
//    asking for fresh approvals, never towards a retry the enclaves refuse.
//  - ALREADY_EXISTS from any signer: an earlier run consumed the approvals
//    there (the relay then cancels the other sessions, whose ends say
//    nothing more): read as already used, never retried.
#ifndef NITRO_TSS_COORDINATOR_CLUSTER_SPENT_APPROVALS_H_
#define NITRO_TSS_COORDINATOR_CLUSTER_SPENT_APPROVALS_H_

#include <cstdint>
#include <map>

#include "absl/status/status.h"
#include "coordinator/relay/relay.h"

namespace nitro_tss::coordinator {

enum class SignRunApprovals {
  // Every signer refused the start before its approvals check (none as
  // already used): a retry may use the same approvals.
  kUnspent,
  // Some signer got, or may have got, past its approvals check in this
  // run: never retried with them.
  kSpent,
  // Some signer refused them as used before (an earlier run consumed them
  // there), whatever the others did: never retried with them.
  kAlreadyUsed,
};

// Whether a sign session that ended with `end` (SessionOutcome::stream_error,
// not OK) was refused before its enclave checked the approvals (see the file
// comment).
bool RefusedBeforeApprovalsCheck(const absl::Status& end);

// Whether every signer of a failed sign run (RunSession's outcomes, by
// party) refused its start before its approvals check, so before taking the
// presignature.
bool EverySignerRefusedBeforeApprovalsCheck(
    const std::map<uint32_t, SessionOutcome>& outcomes);

// What a failed sign run's outcomes say about its approvals (see the file
// comment).
SignRunApprovals ApprovalsAfterSignRun(
    const std::map<uint32_t, SessionOutcome>& outcomes);

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_CLUSTER_SPENT_APPROVALS_H_
