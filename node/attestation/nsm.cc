#include "node/attestation/nsm.h"

#include "absl/strings/str_cat.h"

namespace nitro_tss::attestation {

const char* NsmErrorCodeName(NsmErrorCode code) {
  switch (code) {
    case NsmErrorCode::kSuccess:
      return "Success";
    case NsmErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case NsmErrorCode::kInvalidIndex:
      return "InvalidIndex";
    case NsmErrorCode::kInvalidResponse:
      return "InvalidResponse";
    case NsmErrorCode::kReadOnlyIndex:
      return "ReadOnlyIndex";
    case NsmErrorCode::kInvalidOperation:
      return "InvalidOperation";
    case NsmErrorCode::kBufferTooSmall:
      return "BufferTooSmall";
    case NsmErrorCode::kInputTooLarge:
      return "InputTooLarge";
    case NsmErrorCode::kInternalError:
      return "InternalError";
  }
  return "InternalError";
}

absl::Status NsmErrorToStatus(NsmErrorCode code, const std::string& context) {
  const std::string message =
      absl::StrCat("nsm: ", context, ": ", NsmErrorCodeName(code));
  switch (code) {
    case NsmErrorCode::kSuccess:
      return absl::OkStatus();
    case NsmErrorCode::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case NsmErrorCode::kInvalidIndex:
      return absl::OutOfRangeError(message);
    case NsmErrorCode::kReadOnlyIndex:
      return absl::FailedPreconditionError(message);
    case NsmErrorCode::kInputTooLarge:
      return absl::ResourceExhaustedError(message);
    case NsmErrorCode::kInvalidOperation:
      return absl::UnimplementedError(message);
    case NsmErrorCode::kInvalidResponse:
    case NsmErrorCode::kBufferTooSmall:
    case NsmErrorCode::kInternalError:
      return absl::InternalError(message);
  }
  return absl::InternalError(message);
}

NsmErrorCode StatusToNsmError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return NsmErrorCode::kSuccess;
    case absl::StatusCode::kInvalidArgument:
      return NsmErrorCode::kInvalidArgument;
    case absl::StatusCode::kOutOfRange:
      return NsmErrorCode::kInvalidIndex;
    case absl::StatusCode::kFailedPrecondition:
      return NsmErrorCode::kReadOnlyIndex;
    case absl::StatusCode::kResourceExhausted:
      return NsmErrorCode::kInputTooLarge;
    case absl::StatusCode::kUnimplemented:
      return NsmErrorCode::kInvalidOperation;
    default:
      return NsmErrorCode::kInternalError;
  }
}

}  // namespace nitro_tss::attestation
