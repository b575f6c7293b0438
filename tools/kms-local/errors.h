// AWS KMS error types carried in absl::Status.
//
// Every failure the service reports to a client is an absl::Status carrying
// the AWS error type ("AccessDeniedException", "NotFoundException", ...) as
// kms::kAwsErrorTypePayload (node/kms/kms_api.h, a common/status_payload.h
// TokenStatusPayload): the same payload our KMS client attaches to the
// errors it receives, so in-process and over-the-wire failures read alike.
// The HTTP front end turns it into the AWS JSON 1.1 error shape
// {"__type": <type>, "message": <status message>}.
#ifndef NITRO_TSS_TOOLS_KMS_LOCAL_ERRORS_H_
#define NITRO_TSS_TOOLS_KMS_LOCAL_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "node/kms/kms_api.h"

namespace nitro_tss::kms_local {

// A status with `code` and `message` tagged with AWS error type `aws_type`
// (letters and digits; see kms::kAwsErrorTypePayload).
absl::Status AwsError(absl::StatusCode code, absl::string_view aws_type,
                      absl::string_view message);

// Shorthands for the errors the service uses.
absl::Status AccessDenied(absl::string_view message);       // PermissionDenied
absl::Status NotFound(absl::string_view message);           // NotFound
absl::Status Validation(absl::string_view message);         // InvalidArgument
absl::Status InvalidCiphertext(absl::string_view message);  // InvalidArgument
absl::Status MalformedPolicy(absl::string_view message);    // InvalidArgument

// The AWS error type of `status`: its payload when present, else a type
// derived from the code (InvalidArgument -> ValidationException,
// PermissionDenied -> AccessDeniedException, NotFound -> NotFoundException,
// AlreadyExists -> AlreadyExistsException, Unauthenticated ->
// UnrecognizedClientException, anything else -> KMSInternalException).
std::string AwsErrorType(const absl::Status& status);

// The HTTP status AWS uses for an error type: 500 for KMSInternalException
// and DependencyTimeoutException, 400 otherwise.
int AwsErrorHttpStatus(absl::string_view aws_type);

}  // namespace nitro_tss::kms_local

#endif  // NITRO_TSS_TOOLS_KMS_LOCAL_ERRORS_H_
