#include "node/channel/errors.h"

#include "absl/strings/str_cat.h"

namespace nitro_tss::channel {

const char* ChannelErrorName(ChannelError error) {
  switch (error) {
    case ChannelError::kNone:
      return "NONE";
    case ChannelError::kMalformed:
      return "MALFORMED";
    case ChannelError::kWrongVersion:
      return "WRONG_VERSION";
    case ChannelError::kWrongSession:
      return "WRONG_SESSION";
    case ChannelError::kUnknownParty:
      return "UNKNOWN_PARTY";
    case ChannelError::kWrongReceiver:
      return "WRONG_RECEIVER";
    case ChannelError::kDuplicate:
      return "DUPLICATE";
    case ChannelError::kWrongState:
      return "WRONG_STATE";
    case ChannelError::kAttestationRejected:
      return "ATTESTATION_REJECTED";
    case ChannelError::kBindingMismatch:
      return "BINDING_MISMATCH";
    case ChannelError::kReplayed:
      return "REPLAYED";
    case ChannelError::kOutOfOrder:
      return "OUT_OF_ORDER";
    case ChannelError::kBadTag:
      return "BAD_TAG";
    case ChannelError::kBadSignature:
      return "BAD_SIGNATURE";
    case ChannelError::kTooLarge:
      return "TOO_LARGE";
    case ChannelError::kInternal:
      return "INTERNAL";
    case ChannelError::kIdentityMismatch:
      return "IDENTITY_MISMATCH";
  }
  return "UNKNOWN";
}

absl::Status MakeChannelError(absl::StatusCode code, ChannelError error,
                              absl::string_view message) {
  return kChannelErrorPayload.Make(code, absl::StrCat("channel: ", message),
                                   error);
}

ChannelError GetChannelError(const absl::Status& status) {
  return kChannelErrorPayload.Get(status).value_or(ChannelError::kNone);
}

}  // namespace nitro_tss::channel
