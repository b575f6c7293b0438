#include "node/channel/handshake.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/channel/encoding_internal.h"
#include "node/channel/errors.h"

namespace nitro_tss::channel {
namespace {

using internal::AppendShort;
using internal::AppendU32;
using internal::AsView;

constexpr char kNonceTag[] = "nitro-tss/channel/v1/session-nonce";
constexpr char kDirectKeyTag[] = "nitro-tss/channel/v1/direct-key";
constexpr char kIdentityTag[] = "nitro-tss/channel/v1/identity";

absl::Status Error(absl::StatusCode code, ChannelError error,
                   absl::string_view message) {
  return MakeChannelError(code, error, message);
}

// K(sender -> receiver) = BLAKE2b-256(key = crypto_kx key of that
// direction, "nitro-tss/channel/v1/direct-key" || session_nonce || u32
// sender || u32 receiver).
void DeriveDirectionKey(const uint8_t kx_key[crypto_kx_SESSIONKEYBYTES],
                        const std::array<uint8_t, kSessionNonceBytes>& nonce,
                        uint32_t sender, uint32_t receiver,
                        std::array<uint8_t, 32>& out) {
  std::string info(kDirectKeyTag);
  info.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  AppendU32(info, sender);
  AppendU32(info, receiver);
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(info.data()),
                     info.size(), kx_key, crypto_kx_SESSIONKEYBYTES);
}

absl::Span<const uint8_t> Bytes(absl::string_view s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

std::string Hex8(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()),
                        std::min<size_t>(bytes.size(), 8)));
}

}  // namespace

std::string IdentityStatement(
    const std::array<uint8_t, kSessionNonceBytes>& session_nonce,
    absl::string_view session_id, uint32_t party_id,
    absl::string_view signing_public_key, absl::string_view kx_public_key) {
  std::string out(kIdentityTag);
  out.append(reinterpret_cast<const char*>(session_nonce.data()),
             session_nonce.size());
  AppendShort(out, session_id);
  AppendU32(out, party_id);
  out.append(signing_public_key.data(), signing_public_key.size());
  out.append(kx_public_key.data(), kx_public_key.size());
  return out;
}

absl::StatusOr<std::unique_ptr<Handshake>> Handshake::Start(
    const ChannelIdentity& identity, HandshakeConfig config) {
  auto bad = [](absl::string_view what) {
    return Error(absl::StatusCode::kInvalidArgument, ChannelError::kMalformed,
                 absl::StrCat("handshake config: ", what));
  };
  if (config.session_id.empty() ||
      config.session_id.size() > kMaxSessionIdBytes) {
    return bad("session_id must be 1..64 bytes");
  }
  std::set<uint32_t> ids(config.party_ids.begin(), config.party_ids.end());
  if (ids.size() != config.party_ids.size() || ids.size() < 2 ||
      ids.size() > 255 || ids.count(0) != 0) {
    return bad("party_ids must be 2..255 distinct ids >= 1");
  }
  if (ids.count(config.self_id) == 0) return bad("self_id not in party_ids");
  if (!config.attest || !config.verify) {
    return bad("attest and verify functions are required");
  }
  if (config.party_identity == nullptr) {
    return bad("party_identity (the long-term identity key) is required");
  }
  for (const auto& [party, expectation] : config.peers) {
    if (ids.count(party) == 0) {
      return bad(absl::StrCat("expectation for party ", party,
                              ", which is not in party_ids"));
    }
    for (const auto* pcr : {&expectation.pcr3, &expectation.pcr4}) {
      if (pcr->has_value() && (*pcr)->size() != kPcrBytes) {
        return bad(absl::StrCat("expected PCR3/PCR4 of party ", party,
                                " must be 48 bytes"));
      }
    }
  }
  if (config.max_payload_bytes == 0 ||
      config.max_payload_bytes > (size_t{64} << 20)) {
    return bad("max_payload_bytes must be 1..64 MiB");
  }
  std::sort(config.party_ids.begin(), config.party_ids.end());
  std::unique_ptr<Handshake> h(new Handshake(identity, std::move(config)));
  randombytes_buf(h->contribution_.data(), h->contribution_.size());
  v1::HandshakeHello hello;
  hello.set_version(kChannelVersion);
  hello.set_session_id(h->config_.session_id);
  hello.set_party_id(h->config_.self_id);
  hello.set_contribution(
      std::string(AsView(h->contribution_.data(), h->contribution_.size())));
  h->hello_ = EncodeCanonical(hello);
  h->hellos_[h->config_.self_id] = h->hello_;
  h->contributions_[h->config_.self_id] = hello.contribution();
  return h;
}

absl::Status Handshake::AddHello(absl::string_view bytes) {
  if (session_nonce_.has_value()) {
    // All hellos are in; a byte-identical resend is harmless.
    absl::StatusOr<v1::HandshakeHello> again = DecodeHello(bytes);
    if (again.ok() && hellos_.count(again->party_id()) &&
        hellos_[again->party_id()] == bytes) {
      return absl::OkStatus();
    }
    return Error(absl::StatusCode::kFailedPrecondition,
                 ChannelError::kWrongState, "all hellos were already received");
  }
  absl::StatusOr<v1::HandshakeHello> hello = DecodeHello(bytes);
  if (!hello.ok()) return hello.status();
  if (hello->session_id() != config_.session_id) {
    return Error(absl::StatusCode::kInvalidArgument,
                 ChannelError::kWrongSession,
                 "hello belongs to another session");
  }
  const uint32_t party = hello->party_id();
  if (party == config_.self_id ||
      !std::binary_search(config_.party_ids.begin(), config_.party_ids.end(),
                          party)) {
    return Error(absl::StatusCode::kPermissionDenied,
                 ChannelError::kUnknownParty,
                 absl::StrCat("hello from party ", party,
                              ", which is not a peer of this session"));
  }
  auto it = hellos_.find(party);
  if (it != hellos_.end()) {
    if (it->second == bytes) return absl::OkStatus();
    return Error(absl::StatusCode::kAlreadyExists, ChannelError::kDuplicate,
                 absl::StrCat("a different second hello from party ", party));
  }
  hellos_[party] = std::string(bytes);
  contributions_[party] = hello->contribution();
  if (contributions_.size() == config_.party_ids.size()) {
    std::string transcript(kNonceTag);
    AppendShort(transcript, config_.session_id);
    AppendU32(transcript, uint32_t(config_.party_ids.size()));
    for (const auto& [id, contribution] : contributions_) {  // ascending ids
      AppendU32(transcript, id);
      transcript.append(contribution);
    }
    std::array<uint8_t, kSessionNonceBytes> nonce{};
    crypto_generichash(
        nonce.data(), nonce.size(),
        reinterpret_cast<const unsigned char*>(transcript.data()),
        transcript.size(), nullptr, 0);
    session_nonce_ = nonce;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Handshake::MakeAttestation() {
  if (!session_nonce_.has_value()) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 ChannelError::kWrongState,
                 "attestation requested before every hello arrived");
  }
  if (finished_) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 ChannelError::kWrongState, "handshake already finished");
  }
  v1::AttestationBinding binding;
  binding.set_protocol(kProtocolTag);
  binding.set_session_id(config_.session_id);
  binding.set_party_id(config_.self_id);
  const absl::string_view signing_key =
      AsView(identity_.signing_public_key().data(),
             identity_.signing_public_key().size());
  const absl::string_view kx_key = AsView(identity_.kx_public_key().data(),
                                          identity_.kx_public_key().size());
  binding.set_signing_public_key(std::string(signing_key));
  const mpc::round::IdentityPublicKey& identity_key =
      config_.party_identity->public_key();
  binding.set_identity_public_key(
      std::string(AsView(identity_key.data(), identity_key.size())));
  const mpc::round::IdentitySignature identity_signature =
      config_.party_identity->Sign(
          Bytes(IdentityStatement(*session_nonce_, config_.session_id,
                                  config_.self_id, signing_key, kx_key)));
  binding.set_identity_signature(std::string(
      AsView(identity_signature.data(), identity_signature.size())));
  absl::StatusOr<std::string> document =
      config_.attest(EncodeCanonical(binding),
                     AsView(session_nonce_->data(), session_nonce_->size()),
                     AsView(identity_.kx_public_key().data(),
                            identity_.kx_public_key().size()));
  if (!document.ok()) {
    return Error(
        absl::StatusCode::kInternal, ChannelError::kInternal,
        absl::StrCat("NSM attestation failed: ", document.status().ToString()));
  }
  v1::HandshakeAttestation msg;
  msg.set_version(kChannelVersion);
  msg.set_session_id(config_.session_id);
  msg.set_party_id(config_.self_id);
  msg.set_attestation_document(*std::move(document));
  attested_ = true;
  return EncodeCanonical(msg);
}

absl::Status Handshake::AddAttestation(absl::string_view bytes) {
  if (!session_nonce_.has_value() || finished_) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 ChannelError::kWrongState,
                 "attestation received before every hello arrived");
  }
  absl::StatusOr<v1::HandshakeAttestation> msg =
      DecodeHandshakeAttestation(bytes);
  if (!msg.ok()) return msg.status();
  if (msg->session_id() != config_.session_id) {
    return Error(absl::StatusCode::kInvalidArgument,
                 ChannelError::kWrongSession,
                 "attestation belongs to another session");
  }
  const uint32_t party = msg->party_id();
  if (party == config_.self_id ||
      !std::binary_search(config_.party_ids.begin(), config_.party_ids.end(),
                          party)) {
    return Error(absl::StatusCode::kPermissionDenied,
                 ChannelError::kUnknownParty,
                 absl::StrCat("attestation from party ", party,
                              ", which is not a peer of this session"));
  }
  if (verified_.count(party) != 0) {
    return Error(absl::StatusCode::kAlreadyExists, ChannelError::kDuplicate,
                 absl::StrCat("party ", party, " is already attested"));
  }
  absl::StatusOr<VerifiedDocument> doc = config_.verify(
      msg->attestation_document(),
      AsView(session_nonce_->data(), session_nonce_->size()), party);
  if (!doc.ok()) {
    absl::Status out = Error(
        absl::StatusCode::kPermissionDenied, ChannelError::kAttestationRejected,
        absl::StrCat("attestation of party ", party,
                     " rejected: ", doc.status().message()));
    doc.status().ForEachPayload(
        [&out](absl::string_view url, const absl::Cord& payload) {
          out.SetPayload(url, payload);
        });
    return out;
  }
  auto binding_error = [party](absl::string_view what) {
    return Error(absl::StatusCode::kPermissionDenied,
                 ChannelError::kBindingMismatch,
                 absl::StrCat("attestation of party ", party, ": ", what));
  };
  if (doc->public_key.size() != kX25519PublicKeyBytes) {
    return binding_error("public_key is not a 32-byte X25519 key");
  }
  absl::StatusOr<v1::AttestationBinding> binding =
      DecodeBinding(doc->user_data);
  if (!binding.ok()) {
    return binding_error(absl::StrCat("user_data is not a channel binding (",
                                      binding.status().message(), ")"));
  }
  if (binding->session_id() != config_.session_id) {
    return binding_error("user_data binds another session");
  }
  if (binding->party_id() != party) {
    return binding_error(
        absl::StrCat("user_data binds party ", binding->party_id()));
  }
  AttestedPeer peer;
  peer.party_id = party;
  peer.module_id = doc->module_id;
  std::copy(doc->public_key.begin(), doc->public_key.end(),
            peer.kx_public_key.begin());
  std::copy(binding->signing_public_key().begin(),
            binding->signing_public_key().end(),
            peer.signing_public_key.begin());
  if (sodium_memcmp(peer.kx_public_key.data(), identity_.kx_public_key().data(),
                    kX25519PublicKeyBytes) == 0) {
    return binding_error("public_key is this party's own key (reflection)");
  }
  absl::StatusOr<mpc::round::IdentityPublicKey> identity_key =
      mpc::round::DecodeIdentityPublicKey(Bytes(binding->identity_public_key()),
                                          "identity_public_key");
  if (!identity_key.ok()) {
    return binding_error(identity_key.status().message());
  }
  if (!mpc::round::VerifyIdentitySignature(
          *identity_key,
          Bytes(IdentityStatement(*session_nonce_, config_.session_id, party,
                                  binding->signing_public_key(),
                                  doc->public_key)),
          Bytes(binding->identity_signature()))) {
    return binding_error(
        "identity_signature does not verify under identity_public_key");
  }
  peer.identity_public_key = *identity_key;
  peer.pcrs = doc->pcrs;
  auto identity_error = [party](absl::string_view binding,
                                absl::string_view what) {
    return Error(
        absl::StatusCode::kPermissionDenied, ChannelError::kIdentityMismatch,
        absl::StrCat("party ", party, " ", binding, " binding failed: ", what));
  };
  if (auto it = config_.peers.find(party); it != config_.peers.end()) {
    const PeerExpectation& expected = it->second;
    if (expected.identity_public_key.has_value() &&
        sodium_memcmp(expected.identity_public_key->data(),
                      identity_key->data(), identity_key->size()) != 0) {
      return identity_error(
          "identity key",
          absl::StrCat("document carries identity key ", Hex8(*identity_key),
                       "..., expected ", Hex8(*expected.identity_public_key),
                       "..."));
    }
    const std::pair<const std::optional<std::string>*, int> pcrs[] = {
        {&expected.pcr3, 3}, {&expected.pcr4, 4}};
    for (const auto& [want, index] : pcrs) {
      if (!want->has_value()) continue;
      auto got = doc->pcrs.find(index);
      const std::string name = absl::StrCat("PCR", index);
      if (got == doc->pcrs.end()) {
        return identity_error(name, "the document has no " + name);
      }
      if (got->second.size() != (*want)->size() ||
          sodium_memcmp(got->second.data(), (*want)->data(), (*want)->size()) !=
              0) {
        return identity_error(
            name, absl::StrCat("document ", name, " ", Hex8(Bytes(got->second)),
                               "... is not the expected ", Hex8(Bytes(**want)),
                               "..."));
      }
    }
  }
  if (sodium_memcmp(identity_key->data(),
                    config_.party_identity->public_key().data(),
                    identity_key->size()) == 0) {
    return identity_error("identity key",
                          "it is this party's own identity key");
  }
  for (const auto& [other, other_peer] : verified_) {
    if (sodium_memcmp(identity_key->data(),
                      other_peer.identity_public_key.data(),
                      identity_key->size()) == 0) {
      return identity_error(
          "identity key",
          absl::StrCat("it is the identity key of party ", other));
    }
  }
  verified_[party] = peer;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SecureSession>> Handshake::Finish() {
  if (finished_ || !attested_ ||
      verified_.size() + 1 != config_.party_ids.size()) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 ChannelError::kWrongState,
                 absl::StrCat("handshake incomplete: ", verified_.size(),
                              " of ", config_.party_ids.size() - 1,
                              " peers attested, own attestation ",
                              attested_ ? "sent" : "missing"));
  }
  std::unique_ptr<SecureSession> session(new SecureSession());
  session->self_id_ = config_.self_id;
  session->self_identity_public_key_ = config_.party_identity->public_key();
  session->session_id_ = config_.session_id;
  session->session_nonce_ = *session_nonce_;
  session->max_payload_bytes_ = config_.max_payload_bytes;
  std::copy(identity_.signing_secret_key_.begin(),
            identity_.signing_secret_key_.end(),
            session->signing_secret_key_.begin());
  for (const auto& [party, peer] : verified_) {
    uint8_t rx[crypto_kx_SESSIONKEYBYTES];
    uint8_t tx[crypto_kx_SESSIONKEYBYTES];
    const bool client = config_.self_id < party;
    const int rc =
        client
            ? crypto_kx_client_session_keys(
                  rx, tx, identity_.kx_public_key_.data(),
                  identity_.kx_secret_key_.data(), peer.kx_public_key.data())
            : crypto_kx_server_session_keys(
                  rx, tx, identity_.kx_public_key_.data(),
                  identity_.kx_secret_key_.data(), peer.kx_public_key.data());
    if (rc != 0) {
      sodium_memzero(rx, sizeof(rx));
      sodium_memzero(tx, sizeof(tx));
      return Error(
          absl::StatusCode::kPermissionDenied, ChannelError::kBindingMismatch,
          absl::StrCat("party ", party, "'s attested X25519 key is unusable"));
    }
    SecureSession::PeerKeys& keys = session->peers_[party];
    keys.attested = peer;
    DeriveDirectionKey(tx, *session_nonce_, config_.self_id, party,
                       keys.tx_key);
    DeriveDirectionKey(rx, *session_nonce_, party, config_.self_id,
                       keys.rx_key);
    sodium_memzero(rx, sizeof(rx));
    sodium_memzero(tx, sizeof(tx));
  }
  finished_ = true;
  return session;
}

}  // namespace nitro_tss::channel
