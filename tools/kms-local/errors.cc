#include "tools/kms-local/errors.h"

#include <optional>
#include <utility>

namespace nitro_tss::kms_local {

absl::Status AwsError(absl::StatusCode code, absl::string_view aws_type,
                      absl::string_view message) {
  return kms::kAwsErrorTypePayload.Make(code, message, aws_type);
}

absl::Status AccessDenied(absl::string_view message) {
  return AwsError(absl::StatusCode::kPermissionDenied, "AccessDeniedException",
                  message);
}
absl::Status NotFound(absl::string_view message) {
  return AwsError(absl::StatusCode::kNotFound, "NotFoundException", message);
}
absl::Status Validation(absl::string_view message) {
  return AwsError(absl::StatusCode::kInvalidArgument, "ValidationException",
                  message);
}
absl::Status InvalidCiphertext(absl::string_view message) {
  return AwsError(absl::StatusCode::kInvalidArgument,
                  "InvalidCiphertextException", message);
}
absl::Status MalformedPolicy(absl::string_view message) {
  return AwsError(absl::StatusCode::kInvalidArgument,
                  "MalformedPolicyDocumentException", message);
}

std::string AwsErrorType(const absl::Status& status) {
  if (std::optional<std::string> type = kms::AwsErrorTypeOf(status)) {
    return *std::move(type);
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return "ValidationException";
    case absl::StatusCode::kPermissionDenied:
      return "AccessDeniedException";
    case absl::StatusCode::kNotFound:
      return "NotFoundException";
    case absl::StatusCode::kAlreadyExists:
      return "AlreadyExistsException";
    case absl::StatusCode::kUnauthenticated:
      return "UnrecognizedClientException";
    default:
      return "KMSInternalException";
  }
}

int AwsErrorHttpStatus(absl::string_view aws_type) {
  if (aws_type == "KMSInternalException" ||
      aws_type == "DependencyTimeoutException") {
    return 500;
  }
  return 400;
}

}  // namespace nitro_tss::kms_local
