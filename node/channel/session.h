// An established attested session: point-to-point AEAD and signed broadcast.
//
// Obtained only from Handshake::Finish (handshake.h) once every peer's
// attestation document has been verified. Pure: takes and returns bytes; the
// coordinator relays the returned envelopes opaquely.
//
// Direct (point-to-point) messages: XChaCha20-Poly1305-IETF under a key per
// direction (sender -> receiver), derived from the crypto_kx session keys of
// the two attested X25519 keys and the session nonce. The 24-byte AEAD nonce
// is the 64-bit big-endian sequence number followed by 16 zero bytes (each
// key encrypts each sequence number at most once). Associated data:
//   "nitro-tss/channel/v1/direct" || session_nonce(32) || u8 len(session_id)
//   || session_id || u32 sender || u32 receiver || u32 round || u64 sequence
// (big-endian).
//
// Broadcast messages: the payload in the clear, signed with the sender's
// attested Ed25519 key over
//   "nitro-tss/channel/v1/broadcast" || session_nonce(32) || u8
//   len(session_id) || session_id || u32 sender || u32 round || u64 sequence
//   || payload.
//
// Sequence numbers start at 1 and are tracked per direction (direct) and per
// sender (broadcast); a receiver accepts only the next expected number:
// lower is kReplayed, higher is kOutOfOrder. Messages of another session id
// are kWrongSession; of an earlier handshake that reused the session id,
// kBadTag/kBadSignature (the session nonce differs). Rejected messages leave
// the state unchanged. Not thread-safe. All keys are zeroized on destruction.
#ifndef NITRO_TSS_NODE_CHANNEL_SESSION_H_
#define NITRO_TSS_NODE_CHANNEL_SESSION_H_

#include <sodium.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mpc/round/identity.h"

namespace nitro_tss::channel {

inline constexpr size_t kSessionNonceBytes = 32;

// What a peer proved about itself during the handshake (for audit logs and
// for the DKG, which records identity_public_key per party id).
struct AttestedPeer {
  uint32_t party_id = 0;
  std::string module_id;
  std::array<uint8_t, 32> kx_public_key{};
  std::array<uint8_t, 32> signing_public_key{};
  // The long-term identity key (proved by its signature over the session
  // nonce, party id and channel keys) and the document's PCRs (48 bytes
  // each, by index).
  mpc::round::IdentityPublicKey identity_public_key{};
  std::map<int, std::string> pcrs;
};

struct ReceivedMessage {
  bool broadcast = false;
  uint32_t sender = 0;
  uint32_t round = 0;
  std::string payload;
};

class SecureSession {
 public:
  SecureSession(const SecureSession&) = delete;
  SecureSession& operator=(const SecureSession&) = delete;
  ~SecureSession();

  uint32_t self_id() const { return self_id_; }
  const std::string& session_id() const { return session_id_; }
  const std::array<uint8_t, kSessionNonceBytes>& session_nonce() const {
    return session_nonce_;
  }
  // The other parties, ascending.
  std::vector<uint32_t> peers() const;
  // Attested facts about `party` (nullptr if not a peer).
  const AttestedPeer* peer(uint32_t party) const;
  // Every party's identity key, this party's own included: what a DKG binds
  // to the party ids (transcript and KeyShare).
  std::map<uint32_t, mpc::round::IdentityPublicKey> identity_keys() const;

  // Encrypts `payload` for `receiver` in `round`; returns an Envelope.
  // Errors: kUnknownParty (receiver not a peer), kTooLarge, kInternal
  // (sequence space exhausted).
  absl::StatusOr<std::string> SealDirect(uint32_t receiver, uint32_t round,
                                         absl::string_view payload);

  // Signs `payload` for every peer in `round`; returns one Envelope that the
  // coordinator delivers to all peers. Errors: kTooLarge, kInternal.
  absl::StatusOr<std::string> SignBroadcast(uint32_t round,
                                            absl::string_view payload);

  // A session for one protocol run on this established link (the link is a
  // SecureSession from a handshake among a peer set, made once and reused):
  // the same attested peers and signing key, with
  //   session_nonce' = BLAKE2b-256("nitro-tss/channel/v1/derived-nonce" ||
  //                    link session_nonce || u8 len(id) || id)
  //   key'(a -> b)   = BLAKE2b-256(key = key(a -> b),
  //                    "nitro-tss/channel/v1/derived-key" || session_nonce')
  // and fresh sequence numbers. Every envelope authenticates session_nonce'
  // (AEAD associated data, broadcast signature), so messages of one run are
  // refused by every other run and by the link itself; the protocol's own
  // session id should be session_nonce' (fresh per link handshake, so a
  // coordinator cannot make two runs share a transcript). `session_id` is
  // 1..64 bytes and may be derived at most once per link: a second Derive
  // of the same id is ALREADY_EXISTS (its keys and nonces would repeat), and
  // after `max_derived` ids RESOURCE_EXHAUSTED (re-link). Derived sessions
  // cannot derive further (FAILED_PRECONDITION). Not thread-safe.
  absl::StatusOr<std::unique_ptr<SecureSession>> Derive(
      absl::string_view session_id, size_t max_derived = 1 << 20);
  // What Derive(session_id, max_derived) would refuse (the same errors),
  // changing nothing: OK means Derive succeeds unless another Derive runs
  // in between.
  absl::Status CheckDerive(absl::string_view session_id,
                           size_t max_derived = 1 << 20) const;
  bool derived() const { return derived_; }

  // Authenticates and opens an Envelope from a peer (direct or broadcast).
  // Errors, checked in this order: kMalformed/kTooLarge/kWrongVersion
  // (decoding), kWrongSession, kWrongReceiver (direct message for someone
  // else), kUnknownParty (sender not a peer), kReplayed, kOutOfOrder, kBadTag
  // (direct) or kBadSignature (broadcast).
  absl::StatusOr<ReceivedMessage> Open(absl::string_view envelope);

 private:
  friend class Handshake;
  struct PeerKeys {
    AttestedPeer attested;
    std::array<uint8_t, 32> tx_key{};  // self -> peer
    std::array<uint8_t, 32> rx_key{};  // peer -> self
    uint64_t next_tx_sequence = 1;
    uint64_t next_rx_sequence = 1;
    uint64_t next_broadcast_sequence = 1;  // expected from this peer
  };

  SecureSession() = default;
  absl::Status CheckSequence(uint64_t got, uint64_t expected, uint32_t sender,
                             absl::string_view what) const;

  uint32_t self_id_ = 0;
  mpc::round::IdentityPublicKey self_identity_public_key_{};
  std::string session_id_;
  std::array<uint8_t, kSessionNonceBytes> session_nonce_{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> signing_secret_key_{};
  uint64_t next_broadcast_sequence_ = 1;
  size_t max_payload_bytes_ = 0;
  std::map<uint32_t, PeerKeys> peers_;
  bool derived_ = false;
  // Ids derived from this link so far (a link is only ever asked for a
  // bounded number, see Derive).
  std::set<std::string> derived_ids_;
};

}  // namespace nitro_tss::channel

#endif  // NITRO_TSS_NODE_CHANNEL_SESSION_H_
