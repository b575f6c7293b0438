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
// How each signer's outcome (SessionOutcome) is read:
//  - a result or an abort: the enclave ran the protocol, so it had passed
//    its approvals check: spent.
//  - an end from the enclave that says (SessionEnd.approvals_consumed, set
//    on every end of a sign session): spent when it says true, not spent
//    when it says false, whatever the end's code (a cancel that overtook
//    the start, a start refused before or by the check, a session ended
//    by the stream's end or the shutdown before its start ran; or a start
//    that failed after the check, a session cancelled or ended UNAVAILABLE
//    after its start ran).
//  - no such word (the stream broke or the run deadline passed before the
//    enclave's end arrived, or an enclave that does not report it): read
//    from the code, conservatively. INVALID_ARGUMENT, NOT_FOUND,
//    ALREADY_EXISTS, FAILED_PRECONDITION, PERMISSION_DENIED and
//    UNIMPLEMENTED are the start's refusals before the check (malformed
//    request, unknown link or presignature, already-used approvals, an
//    unusable link or expired approvals, refused approvals, a derivation
//    path): not spent. Anything else (CANCELLED, UNAVAILABLE,
//    DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ...) may come after the check:
//    spent. This errs towards asking for fresh approvals, never towards a
//    retry the enclaves refuse.
//  - ALREADY_EXISTS from any signer whose end does not say this run
//    consumed the approvals there: an earlier run consumed them (the relay
//    then cancels the other sessions): read as already used, never
//    retried. (A session id reused on the link is also ALREADY_EXISTS,
//    refused before the approvals check: read the same way, which asks for
//    fresh approvals needlessly; the orchestrator never reuses an id.)
#ifndef NITRO_TSS_COORDINATOR_CLUSTER_SPENT_APPROVALS_H_
#define NITRO_TSS_COORDINATOR_CLUSTER_SPENT_APPROVALS_H_

#include <cstdint>
#include <map>
#include <optional>

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
// not OK) was refused before its enclave checked the approvals, read from
// the code alone (for an end that does not say; see the file comment).
bool RefusedBeforeApprovalsCheck(const absl::Status& end);

// Whether one signer's outcome of a failed sign run leaves the approvals
// unconsumed there (see the file comment).
bool LeftApprovalsUnconsumed(const SessionOutcome& outcome);

// Whether every signer of a failed sign run (RunSession's outcomes, by
// party) ended before consuming the approvals, so before taking the
// presignature (LeftApprovalsUnconsumed).
bool EverySignerRefusedBeforeApprovalsCheck(
    const std::map<uint32_t, SessionOutcome>& outcomes);

// The refusal a failed sign run answers with at once, final for its request
// id: the first PERMISSION_DENIED (refused approvals) or INVALID_ARGUMENT
// (a malformed request) end in party order, provided every signer refused
// its start before the approvals check (EverySignerRefusedBeforeApprovalsCheck:
// no enclave took the presignature). nullopt otherwise, also when some
// signer consumed the approvals (a spent run: ApprovalsAfterSignRun).
std::optional<absl::Status> FinalRefusal(
    const std::map<uint32_t, SessionOutcome>& outcomes);

// What a failed sign run's outcomes say about its approvals (see the file
// comment).
SignRunApprovals ApprovalsAfterSignRun(
    const std::map<uint32_t, SessionOutcome>& outcomes);

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_CLUSTER_SPENT_APPROVALS_H_
