// Error classification for attestation parsing and verification.
//
// Every error returned by this component is an absl::Status whose message
// starts with "attestation: " (parser/verifier/policy) or "nsm: " (NSM
// access), and, for the parser and verifier, carries a VerifyError code in a
// status payload so callers and tests can tell the failed check apart
// without matching message text. The payload is a common/status_payload.h
// EnumStatusPayload (kVerifyErrorPayload).
#ifndef NITRO_TSS_NODE_ATTESTATION_ERRORS_H_
#define NITRO_TSS_NODE_ATTESTATION_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status_payload.h"

namespace nitro_tss::attestation {

// Which check rejected a document. Stable: values are never renumbered.
enum class VerifyError {
  kNone = 0,                  // status is OK or carries no attestation code
  kMalformed = 1,             // CBOR/COSE/document structure or type error
  kTruncated = 2,             // input ends inside an item
  kTrailingBytes = 3,         // bytes after the top-level item
  kFieldTooLarge = 4,         // a field exceeds its size limit (or is empty)
  kDuplicateKey = 5,          // a map key appears twice
  kUnknownField = 6,          // a payload key that is not in the Nitro format
  kUnsupportedAlgorithm = 7,  // protected header is not exactly {1: -35}
  kBadSignature = 8,          // COSE ES384 signature does not verify
  kUntrustedRoot = 9,         // cabundle[0] is not the pinned root
  kCertificateInvalid = 10,   // unparsable cert, wrong key/alg, constraints
  kChainBroken = 11,          // issuer mismatch or certificate signature bad
  kCertificateExpired = 12,   // a certificate's notAfter < now
  kCertificateNotYetValid = 13,  // a certificate's notBefore > now
  kPcrMismatch = 14,             // expected PCR missing or different
  kDebugMode = 15,               // PCR0 all zero and policy forbids debug
  kDocumentTooOld = 16,          // now - timestamp > max_age_ms
  kDocumentFromFuture = 17,      // timestamp too far after now
  kNonceMismatch = 18,           // expected nonce absent or different
  kPublicKeyMismatch = 19,       // expected public_key absent or different
  kUserDataMismatch = 20,        // expected user_data absent or different
};

// The VerifyError payload of attestation statuses (kNone is never attached).
inline constexpr EnumStatusPayload<VerifyError> kVerifyErrorPayload(
    "type.nitro-tss/nitro_tss.attestation.VerifyError", VerifyError::kMalformed,
    VerifyError::kUserDataMismatch);

// Returns a stable identifier such as "PCR_MISMATCH" for `error`.
const char* VerifyErrorName(VerifyError error);

// Builds a status with `code`, message "attestation: <message>" and the
// VerifyError payload.
absl::Status MakeVerifyError(absl::StatusCode code, VerifyError error,
                             absl::string_view message);

// Returns the VerifyError carried by `status`, or kNone if the status is OK
// or has no attestation payload.
VerifyError GetVerifyError(const absl::Status& status);

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_ERRORS_H_
