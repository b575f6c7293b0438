#include "node/channel/session.h"

#include "absl/strings/str_cat.h"
#include "node/channel/encoding_internal.h"
#include "node/channel/errors.h"
#include "node/channel/wire.h"

namespace nitro_tss::channel {
namespace {

using internal::AppendShort;
using internal::AppendU32;
using internal::AppendU64;
using internal::AsView;

constexpr char kDirectTag[] = "nitro-tss/channel/v1/direct";
constexpr char kBroadcastTag[] = "nitro-tss/channel/v1/broadcast";

std::string SessionPrefix(absl::string_view tag,
                          const std::array<uint8_t, kSessionNonceBytes>& nonce,
                          absl::string_view session_id) {
  std::string out(tag);
  out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  AppendShort(out, session_id);
  return out;
}

std::string DirectAd(const std::array<uint8_t, kSessionNonceBytes>& nonce,
                     absl::string_view session_id, uint32_t sender,
                     uint32_t receiver, uint32_t round, uint64_t sequence) {
  std::string ad = SessionPrefix(kDirectTag, nonce, session_id);
  AppendU32(ad, sender);
  AppendU32(ad, receiver);
  AppendU32(ad, round);
  AppendU64(ad, sequence);
  return ad;
}

std::array<uint8_t, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES> AeadNonce(
    uint64_t sequence) {
  std::array<uint8_t, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES> n{};
  for (int i = 0; i < 8; ++i) n[i] = uint8_t(sequence >> (56 - 8 * i));
  return n;
}

std::string BroadcastSignedBytes(
    const std::array<uint8_t, kSessionNonceBytes>& nonce,
    absl::string_view session_id, uint32_t sender, uint32_t round,
    uint64_t sequence, absl::string_view payload) {
  std::string m = SessionPrefix(kBroadcastTag, nonce, session_id);
  AppendU32(m, sender);
  AppendU32(m, round);
  AppendU64(m, sequence);
  m.append(payload.data(), payload.size());
  return m;
}

absl::Status Error(absl::StatusCode code, ChannelError error,
                   absl::string_view message) {
  return MakeChannelError(code, error, message);
}

}  // namespace

absl::Status SecureSession::CheckDerive(absl::string_view session_id,
                                        size_t max_derived) const {
  if (derived_) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 ChannelError::kWrongState,
                 "derive: a derived session cannot derive further");
  }
  if (session_id.empty() || session_id.size() > kMaxSessionIdBytes) {
    return Error(absl::StatusCode::kInvalidArgument, ChannelError::kMalformed,
                 "derive: session id must be 1..64 bytes");
  }
  if (derived_ids_.count(std::string(session_id)) != 0) {
    return absl::AlreadyExistsError(
        "derive: this session id was already used on this link");
  }
  if (derived_ids_.size() >= max_derived) {
    return absl::ResourceExhaustedError(
        "derive: the link has run its maximum number of sessions; re-link");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SecureSession>> SecureSession::Derive(
    absl::string_view session_id, size_t max_derived) {
  if (absl::Status checked = CheckDerive(session_id, max_derived);
      !checked.ok()) {
    return checked;
  }
  std::unique_ptr<SecureSession> d(new SecureSession());
  d->derived_ = true;
  d->self_id_ = self_id_;
  d->self_identity_public_key_ = self_identity_public_key_;
  d->session_id_ = std::string(session_id);
  d->signing_secret_key_ = signing_secret_key_;
  d->max_payload_bytes_ = max_payload_bytes_;
  {
    std::string in = "nitro-tss/channel/v1/derived-nonce";
    in.append(reinterpret_cast<const char*>(session_nonce_.data()),
              session_nonce_.size());
    in.push_back(static_cast<char>(session_id.size()));
    in.append(session_id.data(), session_id.size());
    crypto_generichash(d->session_nonce_.data(), d->session_nonce_.size(),
                       reinterpret_cast<const uint8_t*>(in.data()), in.size(),
                       nullptr, 0);
  }
  std::string info = "nitro-tss/channel/v1/derived-key";
  info.append(reinterpret_cast<const char*>(d->session_nonce_.data()),
              d->session_nonce_.size());
  auto derive_key = [&info](const std::array<uint8_t, 32>& key,
                            std::array<uint8_t, 32>& out) {
    crypto_generichash(out.data(), out.size(),
                       reinterpret_cast<const uint8_t*>(info.data()),
                       info.size(), key.data(), key.size());
  };
  for (const auto& [party, keys] : peers_) {
    PeerKeys k;
    k.attested = keys.attested;
    derive_key(keys.tx_key, k.tx_key);
    derive_key(keys.rx_key, k.rx_key);
    d->peers_.emplace(party, std::move(k));
  }
  derived_ids_.insert(std::string(session_id));
  return d;
}

SecureSession::~SecureSession() {
  sodium_memzero(signing_secret_key_.data(), signing_secret_key_.size());
  for (auto& [id, keys] : peers_) {
    sodium_memzero(keys.tx_key.data(), keys.tx_key.size());
    sodium_memzero(keys.rx_key.data(), keys.rx_key.size());
  }
}

std::vector<uint32_t> SecureSession::peers() const {
  std::vector<uint32_t> out;
  for (const auto& [id, keys] : peers_) out.push_back(id);
  return out;
}

const AttestedPeer* SecureSession::peer(uint32_t party) const {
  auto it = peers_.find(party);
  return it == peers_.end() ? nullptr : &it->second.attested;
}

std::map<uint32_t, mpc::round::IdentityPublicKey> SecureSession::identity_keys()
    const {
  std::map<uint32_t, mpc::round::IdentityPublicKey> out;
  out[self_id_] = self_identity_public_key_;
  for (const auto& [party, keys] : peers_) {
    out[party] = keys.attested.identity_public_key;
  }
  return out;
}

absl::StatusOr<std::string> SecureSession::SealDirect(
    uint32_t receiver, uint32_t round, absl::string_view payload) {
  auto it = peers_.find(receiver);
  if (it == peers_.end()) {
    return Error(absl::StatusCode::kInvalidArgument,
                 ChannelError::kUnknownParty,
                 absl::StrCat("party ", receiver, " is not a peer"));
  }
  if (payload.size() > max_payload_bytes_) {
    return Error(absl::StatusCode::kInvalidArgument, ChannelError::kTooLarge,
                 absl::StrCat("payload of ", payload.size(),
                              " bytes exceeds the limit"));
  }
  PeerKeys& keys = it->second;
  if (keys.next_tx_sequence == UINT64_MAX) {
    return Error(absl::StatusCode::kResourceExhausted, ChannelError::kInternal,
                 "sequence numbers exhausted; start a new session");
  }
  const uint64_t sequence = keys.next_tx_sequence;
  const std::string ad = DirectAd(session_nonce_, session_id_, self_id_,
                                  receiver, round, sequence);
  const auto nonce = AeadNonce(sequence);
  std::string body(payload.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES,
                   '\0');
  unsigned long long body_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(body.data()), &body_len,
      reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      nonce.data(), keys.tx_key.data());
  body.resize(body_len);

  v1::Envelope env;
  env.set_version(kChannelVersion);
  env.set_kind(v1::ENVELOPE_KIND_DIRECT);
  env.set_session_id(session_id_);
  env.set_sender(self_id_);
  env.set_receiver(receiver);
  env.set_round(round);
  env.set_sequence(sequence);
  env.set_body(std::move(body));
  ++keys.next_tx_sequence;
  return EncodeCanonical(env);
}

absl::StatusOr<std::string> SecureSession::SignBroadcast(
    uint32_t round, absl::string_view payload) {
  if (payload.size() > max_payload_bytes_) {
    return Error(absl::StatusCode::kInvalidArgument, ChannelError::kTooLarge,
                 absl::StrCat("payload of ", payload.size(),
                              " bytes exceeds the limit"));
  }
  if (next_broadcast_sequence_ == UINT64_MAX) {
    return Error(absl::StatusCode::kResourceExhausted, ChannelError::kInternal,
                 "sequence numbers exhausted; start a new session");
  }
  const uint64_t sequence = next_broadcast_sequence_;
  const std::string signed_bytes = BroadcastSignedBytes(
      session_nonce_, session_id_, self_id_, round, sequence, payload);
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(
      reinterpret_cast<unsigned char*>(signature.data()), nullptr,
      reinterpret_cast<const unsigned char*>(signed_bytes.data()),
      signed_bytes.size(), signing_secret_key_.data());
  v1::Envelope env;
  env.set_version(kChannelVersion);
  env.set_kind(v1::ENVELOPE_KIND_BROADCAST);
  env.set_session_id(session_id_);
  env.set_sender(self_id_);
  env.set_round(round);
  env.set_sequence(sequence);
  env.set_body(std::string(payload));
  env.set_signature(std::move(signature));
  ++next_broadcast_sequence_;
  return EncodeCanonical(env);
}

absl::Status SecureSession::CheckSequence(uint64_t got, uint64_t expected,
                                          uint32_t sender,
                                          absl::string_view what) const {
  if (got < expected) {
    return Error(
        absl::StatusCode::kAlreadyExists, ChannelError::kReplayed,
        absl::StrCat(what, " from party ", sender, " with sequence ", got,
                     " was already received (expected ", expected, ")"));
  }
  if (got > expected) {
    return Error(
        absl::StatusCode::kFailedPrecondition, ChannelError::kOutOfOrder,
        absl::StrCat(what, " from party ", sender, " has sequence ", got,
                     ", expected ", expected, " (reordered or lost)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ReceivedMessage> SecureSession::Open(
    absl::string_view envelope) {
  absl::StatusOr<v1::Envelope> env =
      DecodeEnvelope(envelope, max_payload_bytes_);
  if (!env.ok()) return env.status();
  if (env->session_id() != session_id_) {
    return Error(absl::StatusCode::kInvalidArgument,
                 ChannelError::kWrongSession,
                 "message belongs to another session");
  }
  const bool broadcast = env->kind() == v1::ENVELOPE_KIND_BROADCAST;
  if (!broadcast && env->receiver() != self_id_) {
    return Error(absl::StatusCode::kInvalidArgument,
                 ChannelError::kWrongReceiver,
                 absl::StrCat("direct message for party ", env->receiver(),
                              " delivered to party ", self_id_));
  }
  auto it = peers_.find(env->sender());
  if (it == peers_.end()) {
    return Error(absl::StatusCode::kPermissionDenied,
                 ChannelError::kUnknownParty,
                 absl::StrCat("sender ", env->sender(),
                              " is not an attested peer of this session"));
  }
  PeerKeys& keys = it->second;
  ReceivedMessage out;
  out.broadcast = broadcast;
  out.sender = env->sender();
  out.round = env->round();
  if (broadcast) {
    absl::Status s =
        CheckSequence(env->sequence(), keys.next_broadcast_sequence,
                      env->sender(), "broadcast");
    if (!s.ok()) return s;
    const std::string signed_bytes =
        BroadcastSignedBytes(session_nonce_, session_id_, env->sender(),
                             env->round(), env->sequence(), env->body());
    if (crypto_sign_verify_detached(
            reinterpret_cast<const unsigned char*>(env->signature().data()),
            reinterpret_cast<const unsigned char*>(signed_bytes.data()),
            signed_bytes.size(),
            keys.attested.signing_public_key.data()) != 0) {
      return Error(absl::StatusCode::kUnauthenticated,
                   ChannelError::kBadSignature,
                   absl::StrCat("broadcast signature of party ", env->sender(),
                                " does not verify under its attested key"));
    }
    ++keys.next_broadcast_sequence;
    out.payload = std::move(*env->mutable_body());
    return out;
  }
  absl::Status s = CheckSequence(env->sequence(), keys.next_rx_sequence,
                                 env->sender(), "direct message");
  if (!s.ok()) return s;
  const std::string ad = DirectAd(session_nonce_, session_id_, env->sender(),
                                  self_id_, env->round(), env->sequence());
  const auto nonce = AeadNonce(env->sequence());
  const std::string& body = env->body();
  std::string plain(body.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES,
                    '\0');
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plain_len, nullptr,
          reinterpret_cast<const unsigned char*>(body.data()), body.size(),
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
          nonce.data(), keys.rx_key.data()) != 0) {
    sodium_memzero(plain.data(), plain.size());
    return Error(absl::StatusCode::kUnauthenticated, ChannelError::kBadTag,
                 absl::StrCat("direct message from party ", env->sender(),
                              " failed authentication (tampered, or keyed "
                              "for another session)"));
  }
  plain.resize(plain_len);
  ++keys.next_rx_sequence;
  out.payload = std::move(plain);
  return out;
}

}  // namespace nitro_tss::channel
