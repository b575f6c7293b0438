#include "node/attestation/errors.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::attestation {
namespace {
constexpr char kPayloadUrl[] =
    "type.nitro-tss/nitro_tss.attestation.VerifyError";
}  // namespace

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
  absl::Status status(code, absl::StrCat("attestation: ", message));
  status.SetPayload(kPayloadUrl,
                    absl::Cord(absl::StrCat(static_cast<int>(error))));
  return status;
}

VerifyError GetVerifyError(const absl::Status& status) {
  if (status.ok()) return VerifyError::kNone;
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return VerifyError::kNone;
  int value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value) || value < 0 ||
      value > static_cast<int>(VerifyError::kUserDataMismatch)) {
    return VerifyError::kNone;
  }
  return static_cast<VerifyError>(value);
}

}  // namespace nitro_tss::attestation
