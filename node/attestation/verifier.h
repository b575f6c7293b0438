// Verification of Nitro attestation documents against a pinned root and a
// policy.
//
// VerifyAttestationDocument runs, in this order, stopping at the first
// failure (each failure has its own VerifyError, see errors.h):
//  1. strict parsing (document.h);
//  2. the COSE ES384 signature over Sig_structure with the leaf key;
//  3. the certificate chain: cabundle[0] equals the pinned root byte for
//     byte; chain = root, cabundle[1..], leaf; every certificate parses
//     completely as DER, has an EC P-384 key and an ecdsa-with-SHA384
//     signature, no unknown critical extension, and is valid at now_ms
//     (notBefore <= now <= notAfter, millisecond clock); each non-root
//     certificate names its parent as issuer and is signed by it; every CA
//     has basicConstraints CA:TRUE, keyCertSign and a path length that
//     admits the intermediates below it; the leaf is not a CA and has
//     digitalSignature;
//  4. the policy (AttestationPolicy).
// Error messages start with "attestation: " and name the failed check, e.g.
// "attestation: PCR0 mismatch" or
// "attestation: certificate chain: leaf expired at 2024-09-07T17:37:39Z".
// Codes: kInvalidArgument for malformed input, kUnauthenticated for
// signature/chain failures, kPermissionDenied for policy failures,
// kFailedPrecondition for time-validity failures.
#ifndef NITRO_TSS_NODE_ATTESTATION_VERIFIER_H_
#define NITRO_TSS_NODE_ATTESTATION_VERIFIER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/attestation/document.h"

namespace nitro_tss::attestation {

struct VerifyOptions {
  // DER of the pinned root certificate (e.g. AwsNitroRootG1Der() or a
  // development root from DevCa::RootDer()).
  std::vector<uint8_t> root_der;
  // Verification time, milliseconds since the Unix epoch.
  int64_t now_ms = 0;
};

struct AttestationPolicy {
  // PCR index -> exact expected value; each must be present and equal.
  std::map<int, std::vector<uint8_t>> expected_pcrs;
  // Accept debug-mode enclaves (PCR0 all zero). Development only.
  bool allow_debug = false;
  // If set: reject documents older than this (now_ms - timestamp) and
  // documents stamped more than kMaxFutureSkewMs after now_ms.
  std::optional<int64_t> max_age_ms;
  // If set: the document's nonce must be present and equal.
  std::optional<std::vector<uint8_t>> expected_nonce;
  // If set: the document's public_key must be present and equal.
  std::optional<std::vector<uint8_t>> expected_public_key;
  // If set: the document's user_data must be present and equal.
  std::optional<std::vector<uint8_t>> expected_user_data;
};

// Tolerated clock difference for documents stamped after now_ms (only
// checked when max_age_ms is set).
inline constexpr int64_t kMaxFutureSkewMs = 5 * 60 * 1000;

// Verifies `document` (raw COSE_Sign1 bytes) as described above and returns
// the decoded document on success. `document` may come from anyone.
absl::StatusOr<AttestationDocument> VerifyAttestationDocument(
    absl::Span<const uint8_t> document, const VerifyOptions& options,
    const AttestationPolicy& policy);

// Steps 2 and 3 only, on an already parsed document: signature and chain.
absl::Status VerifyDocumentSignatureAndChain(const AttestationDocument& doc,
                                             const VerifyOptions& options);

// Whether `policy` pins an image: it must expect at least one of PCR0 (the
// whole image), PCR2 (the application) or PCR8 (the EIF signing
// certificate), each value 48 bytes. A policy without one accepts every
// non-debug image, so verifiers that admit peers or KMS recipients must be
// built only from policies that pass this check (issue 12, finding 5a).
// InvalidArgument naming the problem otherwise.
absl::Status CheckPolicyPinsImage(const AttestationPolicy& policy);

// Step 4 only: applies `policy` to an authenticated document at now_ms.
absl::Status CheckAttestationPolicy(const AttestationDocument& doc,
                                    const AttestationPolicy& policy,
                                    int64_t now_ms);

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_VERIFIER_H_
