// Binds the handshake's AttestFunction/VerifyFunction to the attestation
// component (node/attestation): the NSM for this enclave's documents, and the
// document verifier + AttestationPolicy for peers' documents.
#ifndef NITRO_TSS_NODE_CHANNEL_ATTESTED_H_
#define NITRO_TSS_NODE_CHANNEL_ATTESTED_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "node/attestation/nsm.h"
#include "node/attestation/verifier.h"
#include "node/channel/handshake.h"

namespace nitro_tss::channel {

// Obtains this enclave's documents from `nsm` (which must outlive the
// returned function): user_data, nonce and public_key are passed through.
AttestFunction MakeNsmAttester(attestation::Nsm& nsm);

// Verifies peers' documents with VerifyAttestationDocument against the
// pinned `root_der` at now_ms() and `policy`, with policy.expected_nonce
// replaced by the handshake's session nonce (any expected_public_key /
// expected_user_data in `policy` is ignored: the handshake checks those
// bindings itself). Set policy.expected_pcrs (at least PCR0 in production),
// allow_debug = false and max_age_ms. The verifier's error (with its
// attestation payload) is what Handshake::AddAttestation reports; the
// returned VerifiedDocument carries the document's PCRs, which the handshake
// checks against the per-party PeerExpectation (PCR3/PCR4).
//
// Fails to build (InvalidArgument, attestation::CheckPolicyPinsImage) if
// the policy pins no image: a policy without PCR0/PCR2/PCR8 would accept
// every non-debug image (issue 12, finding 5a). A development policy for
// debug enclaves pins PCR0 = 48 zero bytes with allow_debug.
absl::StatusOr<VerifyFunction> MakePolicyVerifier(
    std::vector<uint8_t> root_der, attestation::AttestationPolicy policy,
    std::function<int64_t()> now_ms);

// As MakePolicyVerifier, with an allowlist: the document (parsed and
// authenticated once) is accepted if it satisfies any of `allowed` (e.g. the
// old and the new image during a rolling upgrade). If none matches, the
// error of a policy whose PCRs matched is returned (e.g. a nonce mismatch),
// else the first policy's. Fails to build (InvalidArgument) if `allowed` is
// empty or any of its policies pins no image.
absl::StatusOr<VerifyFunction> MakeAllowlistVerifier(
    std::vector<uint8_t> root_der,
    std::vector<attestation::AttestationPolicy> allowed,
    std::function<int64_t()> now_ms);

}  // namespace nitro_tss::channel

#endif  // NITRO_TSS_NODE_CHANNEL_ATTESTED_H_
