#include "node/attestation/errors.h"

#include "absl/strings/str_cat.h"

namespace nitro_tss::attestation {

const char* VerifyErrorName(VerifyError error) {
  switch (error) {
    case VerifyError::kNone:
      return "NONE";
    case VerifyError::kMalformed:
      return "MALFORMED";
    case VerifyError::kTruncated:
      return "TRUNCATED";
    case VerifyError::kTrailingBytes:
      return "TRAILING_BYTES";
    case VerifyError::kFieldTooLarge:
      return "FIELD_SIZE";
    case VerifyError::kDuplicateKey:
      return "DUPLICATE_KEY";
    case VerifyError::kUnknownField:
      return "UNKNOWN_FIELD";
    case VerifyError::kUnsupportedAlgorithm:
      return "UNSUPPORTED_ALGORITHM";
    case VerifyError::kBadSignature:
      return "BAD_SIGNATURE";
    case VerifyError::kUntrustedRoot:
      return "UNTRUSTED_ROOT";
    case VerifyError::kCertificateInvalid:
      return "CERTIFICATE_INVALID";
    case VerifyError::kChainBroken:
      return "CHAIN_BROKEN";
    case VerifyError::kCertificateExpired:
      return "CERTIFICATE_EXPIRED";
    case VerifyError::kCertificateNotYetValid:
      return "CERTIFICATE_NOT_YET_VALID";
    case VerifyError::kPcrMismatch:
      return "PCR_MISMATCH";
    case VerifyError::kDebugMode:
      return "DEBUG_MODE";
    case VerifyError::kDocumentTooOld:
      return "DOCUMENT_TOO_OLD";
    case VerifyError::kDocumentFromFuture:
      return "DOCUMENT_FROM_FUTURE";
    case VerifyError::kNonceMismatch:
      return "NONCE_MISMATCH";
    case VerifyError::kPublicKeyMismatch:
      return "PUBLIC_KEY_MISMATCH";
    case VerifyError::kUserDataMismatch:
      return "USER_DATA_MISMATCH";
  }
  return "UNKNOWN";
}

absl::Status MakeVerifyError(absl::StatusCode code, VerifyError error,
                             absl::string_view message) {
  return kVerifyErrorPayload.Make(code, absl::StrCat("attestation: ", message),
                                  error);
}

VerifyError GetVerifyError(const absl::Status& status) {
  return kVerifyErrorPayload.Get(status).value_or(VerifyError::kNone);
}

}  // namespace nitro_tss::attestation
