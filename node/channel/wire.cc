#include "node/channel/wire.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "google/protobuf/unknown_field_set.h"
#include "node/channel/errors.h"

namespace nitro_tss::channel {
namespace {

absl::Status Malformed(absl::string_view what) {
  return MakeChannelError(absl::StatusCode::kInvalidArgument,
                          ChannelError::kMalformed, what);
}

// Parses `bytes` into `message` and requires canonical encoding.
absl::Status ParseCanonical(absl::string_view bytes, size_t max_bytes,
                            absl::string_view name,
                            google::protobuf::Message& message) {
  if (bytes.size() > max_bytes) {
    return MakeChannelError(
        absl::StatusCode::kInvalidArgument, ChannelError::kTooLarge,
        absl::StrCat(name, " of ", bytes.size(), " bytes exceeds the limit of ",
                     max_bytes));
  }
  if (bytes.empty()) return Malformed(absl::StrCat(name, " is empty"));
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Malformed(absl::StrCat(name, " does not parse"));
  }
  if (!message.GetReflection()->GetUnknownFields(message).empty()) {
    return Malformed(absl::StrCat(name, " has unknown fields"));
  }
  if (EncodeCanonical(message) != bytes) {
    return Malformed(
        absl::StrCat(name,
                     " is not canonically encoded (unknown, repeated or "
                     "reordered fields)"));
  }
  return absl::OkStatus();
}

absl::Status CheckVersion(bool has, uint32_t version, absl::string_view name) {
  if (!has) return Malformed(absl::StrCat(name, ": missing version"));
  if (version != kChannelVersion) {
    return MakeChannelError(
        absl::StatusCode::kInvalidArgument, ChannelError::kWrongVersion,
        absl::StrCat(name, ": unsupported version ", version));
  }
  return absl::OkStatus();
}

absl::Status CheckSessionId(bool has, const std::string& id,
                            absl::string_view name) {
  if (!has || id.empty() || id.size() > kMaxSessionIdBytes) {
    return Malformed(absl::StrCat(name, ": session_id must be 1..",
                                  kMaxSessionIdBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckParty(bool has, uint32_t id, absl::string_view name,
                        absl::string_view field) {
  if (!has || id == 0) {
    return Malformed(
        absl::StrCat(name, ": ", field, " must be present and >= 1"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeCanonical(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

absl::StatusOr<v1::HandshakeHello> DecodeHello(absl::string_view bytes) {
  v1::HandshakeHello m;
  constexpr absl::string_view kName = "HandshakeHello";
  absl::Status s = ParseCanonical(bytes, 256, kName, m);
  if (!s.ok()) return s;
  if (s = CheckVersion(m.has_version(), m.version(), kName); !s.ok()) return s;
  if (s = CheckSessionId(m.has_session_id(), m.session_id(), kName); !s.ok()) {
    return s;
  }
  if (s = CheckParty(m.has_party_id(), m.party_id(), kName, "party_id");
      !s.ok()) {
    return s;
  }
  if (!m.has_contribution() || m.contribution().size() != kContributionBytes) {
    return Malformed("HandshakeHello: contribution must be 32 bytes");
  }
  return m;
}

absl::StatusOr<v1::HandshakeAttestation> DecodeHandshakeAttestation(
    absl::string_view bytes) {
  v1::HandshakeAttestation m;
  constexpr absl::string_view kName = "HandshakeAttestation";
  absl::Status s =
      ParseCanonical(bytes, kMaxAttestationDocumentBytes + 256, kName, m);
  if (!s.ok()) return s;
  if (s = CheckVersion(m.has_version(), m.version(), kName); !s.ok()) return s;
  if (s = CheckSessionId(m.has_session_id(), m.session_id(), kName); !s.ok()) {
    return s;
  }
  if (s = CheckParty(m.has_party_id(), m.party_id(), kName, "party_id");
      !s.ok()) {
    return s;
  }
  if (!m.has_attestation_document() || m.attestation_document().empty() ||
      m.attestation_document().size() > kMaxAttestationDocumentBytes) {
    return Malformed(
        "HandshakeAttestation: attestation_document must be 1..32768 bytes");
  }
  return m;
}

absl::StatusOr<v1::AttestationBinding> DecodeBinding(absl::string_view bytes) {
  v1::AttestationBinding m;
  constexpr absl::string_view kName = "AttestationBinding";
  absl::Status s = ParseCanonical(bytes, 1024, kName, m);
  if (!s.ok()) return s;
  if (!m.has_protocol() || m.protocol() != kProtocolTag) {
    return Malformed(
        "AttestationBinding: protocol is not nitro-tss/channel/v1");
  }
  if (s = CheckSessionId(m.has_session_id(), m.session_id(), kName); !s.ok()) {
    return s;
  }
  if (s = CheckParty(m.has_party_id(), m.party_id(), kName, "party_id");
      !s.ok()) {
    return s;
  }
  if (!m.has_signing_public_key() ||
      m.signing_public_key().size() != kEd25519PublicKeyBytes) {
    return Malformed("AttestationBinding: signing_public_key must be 32 bytes");
  }
  if (!m.has_identity_public_key() ||
      m.identity_public_key().size() != kEd25519PublicKeyBytes) {
    return Malformed(
        "AttestationBinding: identity_public_key must be 32 bytes");
  }
  if (!m.has_identity_signature() ||
      m.identity_signature().size() != kEd25519SignatureBytes) {
    return Malformed("AttestationBinding: identity_signature must be 64 bytes");
  }
  return m;
}

absl::StatusOr<v1::Envelope> DecodeEnvelope(absl::string_view bytes,
                                            size_t max_payload_bytes) {
  v1::Envelope m;
  constexpr absl::string_view kName = "Envelope";
  absl::Status s = ParseCanonical(
      bytes, max_payload_bytes + kAeadTagBytes + kMaxEnvelopeOverheadBytes,
      kName, m);
  if (!s.ok()) return s;
  if (s = CheckVersion(m.has_version(), m.version(), kName); !s.ok()) return s;
  if (!m.has_kind() || (m.kind() != v1::ENVELOPE_KIND_DIRECT &&
                        m.kind() != v1::ENVELOPE_KIND_BROADCAST)) {
    return Malformed("Envelope: kind must be DIRECT or BROADCAST");
  }
  if (s = CheckSessionId(m.has_session_id(), m.session_id(), kName); !s.ok()) {
    return s;
  }
  if (s = CheckParty(m.has_sender(), m.sender(), kName, "sender"); !s.ok()) {
    return s;
  }
  if (!m.has_round()) return Malformed("Envelope: missing round");
  if (!m.has_sequence() || m.sequence() == 0) {
    return Malformed("Envelope: sequence must be present and >= 1");
  }
  if (!m.has_body()) return Malformed("Envelope: missing body");
  if (m.kind() == v1::ENVELOPE_KIND_DIRECT) {
    if (s = CheckParty(m.has_receiver(), m.receiver(), kName, "receiver");
        !s.ok()) {
      return s;
    }
    if (m.receiver() == m.sender()) {
      return Malformed("Envelope: receiver equals sender");
    }
    if (m.body().size() < kAeadTagBytes) {
      return Malformed("Envelope: direct body shorter than the AEAD tag");
    }
    if (m.body().size() - kAeadTagBytes > max_payload_bytes) {
      return MakeChannelError(absl::StatusCode::kInvalidArgument,
                              ChannelError::kTooLarge,
                              "Envelope: payload above the limit");
    }
    if (m.has_signature()) {
      return Malformed("Envelope: direct message carries a signature");
    }
  } else {
    if (m.has_receiver()) {
      return Malformed("Envelope: broadcast message names a receiver");
    }
    if (m.body().size() > max_payload_bytes) {
      return MakeChannelError(absl::StatusCode::kInvalidArgument,
                              ChannelError::kTooLarge,
                              "Envelope: payload above the limit");
    }
    if (!m.has_signature() || m.signature().size() != kEd25519SignatureBytes) {
      return Malformed("Envelope: broadcast signature must be 64 bytes");
    }
  }
  return m;
}

}  // namespace nitro_tss::channel
