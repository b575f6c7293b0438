// Strict decoders and canonical encoders for the channel wire formats
// (protos/nitro_tss/channel/v1/channel.proto).
//
// Every decoder: rejects input above its size limit before parsing; parses
// with protobuf; re-encodes deterministically and requires the result to be
// byte-identical to the input (so unknown fields, repeated fields and
// non-canonical encodings are refused); then checks that exactly the fields
// of that message kind are present, with their sizes and values in range.
// Failures are ChannelError::kMalformed (kWrongVersion for a version other
// than 1, kTooLarge for an oversize input) with the field in the message.
#ifndef NITRO_TSS_NODE_CHANNEL_WIRE_H_
#define NITRO_TSS_NODE_CHANNEL_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "nitro_tss/channel/v1/channel.pb.h"

namespace nitro_tss::channel {

inline constexpr uint32_t kChannelVersion = 1;
inline constexpr char kProtocolTag[] = "nitro-tss/channel/v1";
inline constexpr size_t kMaxSessionIdBytes = 64;
inline constexpr size_t kContributionBytes = 32;
inline constexpr size_t kMaxAttestationDocumentBytes = 32 * 1024;
inline constexpr size_t kX25519PublicKeyBytes = 32;
inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kEd25519SignatureBytes = 64;
inline constexpr size_t kAeadTagBytes = 16;
// Default cap on one message payload (GG20 rounds with Paillier proofs stay
// far below this).
inline constexpr size_t kDefaultMaxPayloadBytes = 2 << 20;
// Fixed overhead an envelope adds around its body (field tags, lengths,
// ids, signature), used to bound the whole envelope before parsing.
inline constexpr size_t kMaxEnvelopeOverheadBytes = 256;

// Deterministic protobuf encoding of `message`.
std::string EncodeCanonical(const google::protobuf::MessageLite& message);

// HandshakeHello: version == 1; session_id 1..64 bytes; party_id >= 1;
// contribution exactly 32 bytes.
absl::StatusOr<v1::HandshakeHello> DecodeHello(absl::string_view bytes);

// HandshakeAttestation: version == 1; session_id 1..64 bytes; party_id >= 1;
// attestation_document 1..32 KiB.
absl::StatusOr<v1::HandshakeAttestation> DecodeHandshakeAttestation(
    absl::string_view bytes);

// AttestationBinding (a document's user_data): protocol == kProtocolTag;
// session_id 1..64 bytes; party_id >= 1; signing_public_key 32 bytes;
// identity_public_key 32 bytes; identity_signature 64 bytes (the handshake
// checks the key's encoding and the signature, handshake.h).
absl::StatusOr<v1::AttestationBinding> DecodeBinding(absl::string_view bytes);

// Envelope: version == 1; kind DIRECT or BROADCAST; session_id 1..64 bytes;
// sender >= 1; round present; sequence >= 1; body present. DIRECT: receiver
// >= 1 and != sender, body at least 16 bytes (the AEAD tag), no signature.
// BROADCAST: no receiver, signature exactly 64 bytes. The body may hold at
// most max_payload_bytes (+16 for DIRECT); larger input is kTooLarge.
absl::StatusOr<v1::Envelope> DecodeEnvelope(
    absl::string_view bytes,
    size_t max_payload_bytes = kDefaultMaxPayloadBytes);

}  // namespace nitro_tss::channel

#endif  // NITRO_TSS_NODE_CHANNEL_WIRE_H_
