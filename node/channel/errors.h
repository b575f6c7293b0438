// Error classification for the attested channel layer.
//
// Every error returned by node/channel is an absl::Status whose message
// starts with "channel: " and which carries a ChannelError in a status
// payload, so callers (and tests) can tell rejections apart without matching
// message text. Attestation failures keep the attestation component's own
// payload as well (see node/attestation/errors.h). The payload is a
// common/status_payload.h EnumStatusPayload (kChannelErrorPayload).
#ifndef NITRO_TSS_NODE_CHANNEL_ERRORS_H_
#define NITRO_TSS_NODE_CHANNEL_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status_payload.h"

namespace nitro_tss::channel {

// Why the channel layer refused something. Stable: never renumbered.
enum class ChannelError {
  kNone = 0,
  kMalformed = 1,            // bytes do not decode strictly (size, fields)
  kWrongVersion = 2,         // unsupported protocol version
  kWrongSession = 3,         // session id differs from this session's
  kUnknownParty = 4,         // sender not a peer of this session (or self)
  kWrongReceiver = 5,        // direct message addressed to another party
  kDuplicate = 6,            // a second hello/attestation from one party
  kWrongState = 7,           // call out of handshake order
  kAttestationRejected = 8,  // the document failed verification or policy
  kBindingMismatch = 9,      // user_data/public_key do not bind this party
  kReplayed = 10,            // sequence number already consumed
  kOutOfOrder = 11,          // sequence number skips ahead (reordered/lost)
  kBadTag = 12,              // AEAD authentication failed (tampered)
  kBadSignature = 13,        // broadcast signature does not verify
  kTooLarge = 14,            // payload above the configured limit
  kInternal = 15,            // NSM or crypto library failure
  kIdentityMismatch = 16,    // a valid document whose party id <-> identity
                             // key / PCR3 / PCR4 binding is not the expected
                             // one for that party (HandshakeConfig::peers)
};

// The ChannelError payload of channel statuses (kNone is never attached).
inline constexpr EnumStatusPayload<ChannelError> kChannelErrorPayload(
    "type.nitro-tss/channel.ChannelError", ChannelError::kMalformed,
    ChannelError::kIdentityMismatch);

// Stable identifier, e.g. "REPLAYED".
const char* ChannelErrorName(ChannelError error);

// A status with `code`, message "channel: <message>" and the ChannelError
// payload.
absl::Status MakeChannelError(absl::StatusCode code, ChannelError error,
                              absl::string_view message);

// The ChannelError carried by `status` (kNone if OK or absent).
ChannelError GetChannelError(const absl::Status& status);

}  // namespace nitro_tss::channel

#endif  // NITRO_TSS_NODE_CHANNEL_ERRORS_H_
