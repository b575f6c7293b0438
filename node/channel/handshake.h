// The mutual attested handshake of the n parties of one session.
//
// Two broadcast rounds, relayed by the (untrusted) coordinator:
//
//  1. Hello: every party sends HandshakeHello{session_id, party_id,
//     contribution = 32 fresh random bytes}. From all n hellos each party
//     derives the session nonce
//       BLAKE2b-256("nitro-tss/channel/v1/session-nonce" || u8
//       len(session_id) || session_id || u32 n || for each party ascending:
//       u32 party_id || contribution).
//     Because its own fresh contribution is inside, every party knows the
//     nonce has never been used before, so a document replayed from another
//     session (or an older run of this one) cannot carry it.
//  2. Attestation: every party asks its NSM for a document with
//       nonce = session nonce, public_key = its X25519 key,
//       user_data = AttestationBinding{protocol "nitro-tss/channel/v1",
//                                      session_id, party_id,
//                                      signing_public_key (per boot),
//                                      identity_public_key (long term),
//                                      identity_signature}
//     and sends it in HandshakeAttestation. Each receiver verifies the
//     document (certificate chain to the pinned root, COSE signature, the
//     AttestationPolicy: PCR allowlist, debug refusal, max age) with
//     expected nonce = the session nonce it computed itself, then checks that
//     user_data binds this protocol, this session id and the claimed sender,
//     that the identity signature verifies, and finally the party's
//     expectations (HandshakeConfig::peers): identity key, PCR3, PCR4.
//     The attested X25519 key of each peer yields, with crypto_kx (the lower
//     party id is the client), pairwise keys that are then bound to the
//     session nonce and direction (session.h); the attested Ed25519 signing
//     key verifies the peer's broadcasts.
//
// Party identity (issue 12, finding 3). The Nitro document proves "some
// genuine enclave of an allowed image", not "party k": any enclave of the
// image can claim any party id. Each party therefore has a long-term
// identity key (mpc::round::PartyIdentityKey, Ed25519, made inside the
// enclave, sealed with its share: node/kms/sealed_share.h). Its public key
// travels in the attested user_data together with a proof of possession,
//   identity_signature = Ed25519_identity("nitro-tss/channel/v1/identity" ||
//     session_nonce(32) || u8 len(session_id) || session_id || u32 party_id
//     || signing_public_key(32) || kx_public_key(32)),
// so it is fresh and bound to this party id and both channel keys. The
// channel's per-boot signing key stays a separate key (the identity key also
// signs round messages, mpc/round; one key per purpose), so the identity
// secret never leaves the PartyIdentityKey: the handshake only asks it for
// this one signature. At DKG the handshake returns every peer's identity key
// (SecureSession::identity_keys()), which the DKG binds to the party ids in
// its transcript and KeyShare; every later handshake is configured with the
// KeyShare's table (PeerExpectation::identity_public_key) and refuses a
// party presenting another key (kIdentityMismatch naming the party and the
// binding). Where the deployment pins per-party instances, PCR3 (parent IAM
// role) and PCR4 (parent instance) are checked the same way, which is what
// stops a substituted enclave at DKG time, before any identity is known.
// Independently of expectations, two peers may not present the same identity
// key, nor this party's own.
//
// A relay that substitutes its own X25519 key must also present a document
// carrying it, which only an NSM of an allowed image with this session's
// nonce can produce. A coordinator that equivocates on hellos only makes the
// handshake fail (different nonces), never succeed with wrong keys.
#ifndef NITRO_TSS_NODE_CHANNEL_HANDSHAKE_H_
#define NITRO_TSS_NODE_CHANNEL_HANDSHAKE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mpc/round/identity.h"
#include "node/channel/identity.h"
#include "node/channel/session.h"
#include "node/channel/wire.h"

namespace nitro_tss::channel {

// Asks the NSM for an attestation document (COSE_Sign1 bytes) carrying
// exactly these user_data, nonce and public_key.
using AttestFunction = std::function<absl::StatusOr<std::string>(
    absl::string_view user_data, absl::string_view nonce,
    absl::string_view public_key)>;

// The authenticated fields of a verified document.
struct VerifiedDocument {
  std::string module_id;
  std::string public_key;  // empty if absent
  std::string user_data;   // empty if absent
  // Every PCR of the document (index -> value, 48 bytes each).
  std::map<int, std::string> pcrs;
};

// Verifies a peer's document (chain, signature, policy) and requires its
// nonce to equal `expected_nonce`. `claimed_party` is the party id the
// document is presented for (a verifier may apply per-party policy; the
// handshake itself checks HandshakeConfig::peers afterwards). Errors are
// returned unchanged to the caller of Handshake::AddAttestation wrapped as
// kAttestationRejected.
using VerifyFunction = std::function<absl::StatusOr<VerifiedDocument>(
    absl::string_view document, absl::string_view expected_nonce,
    uint32_t claimed_party)>;

inline constexpr size_t kPcrBytes = 48;  // SHA-384

// What a peer must prove about itself, beyond the image policy. Every field
// is optional; an unset field is not checked.
struct PeerExpectation {
  // The party's long-term identity key (from the KeyShare / DKG transcript).
  std::optional<mpc::round::IdentityPublicKey> identity_public_key;
  // PCR3 (hash of the parent instance's IAM role) and PCR4 (hash of the
  // parent instance id), 48 bytes each.
  std::optional<std::string> pcr3;
  std::optional<std::string> pcr4;
};

struct HandshakeConfig {
  std::string session_id;           // 1..64 bytes
  uint32_t self_id = 0;             // >= 1, one of party_ids
  std::vector<uint32_t> party_ids;  // 2..255 distinct ids >= 1, incl. self
  AttestFunction attest;            // this enclave's NSM
  VerifyFunction verify;            // verifier + policy for peers
  // This party's long-term identity key (required; must outlive the
  // Handshake). Only used to sign the identity statement.
  const mpc::round::PartyIdentityKey* party_identity = nullptr;
  // Per-party expectations, by party id (ids must be peers in party_ids;
  // an entry for self_id is ignored). At DKG: PCR3/PCR4 where pinned; after
  // DKG: also every peer's identity key from the KeyShare.
  std::map<uint32_t, PeerExpectation> peers;
  size_t max_payload_bytes = kDefaultMaxPayloadBytes;
};

// The statement a party's identity key signs in its AttestationBinding:
// "nitro-tss/channel/v1/identity" || session_nonce(32) || u8
// len(session_id) || session_id || u32 party_id || signing_public_key(32)
// || kx_public_key(32) (big-endian integers).
std::string IdentityStatement(
    const std::array<uint8_t, kSessionNonceBytes>& session_nonce,
    absl::string_view session_id, uint32_t party_id,
    absl::string_view signing_public_key, absl::string_view kx_public_key);

class Handshake {
 public:
  // Starts a handshake for `config` with `identity`'s keys (which must
  // outlive the Handshake). Fails with kMalformed if the config is
  // inconsistent (bad ids, missing functions or party identity,
  // expectations for a party that is not a peer, PCR values not 48 bytes).
  static absl::StatusOr<std::unique_ptr<Handshake>> Start(
      const ChannelIdentity& identity, HandshakeConfig config);

  // This party's HandshakeHello, to broadcast.
  const std::string& hello() const { return hello_; }

  // Accepts a peer's HandshakeHello. Errors: kMalformed, kWrongSession,
  // kUnknownParty (not in party_ids, or self), kDuplicate (a different second
  // hello from the same party; an identical one is ignored), kWrongState
  // (after all hellos are in).
  absl::Status AddHello(absl::string_view bytes);

  // True once every peer's hello arrived.
  bool has_all_hellos() const { return session_nonce_.has_value(); }

  // The session nonce (requires has_all_hellos()).
  const std::array<uint8_t, kSessionNonceBytes>& session_nonce() const {
    return *session_nonce_;
  }

  // Obtains this party's attestation document through `attest` and returns
  // the HandshakeAttestation to broadcast. Errors: kWrongState (hellos
  // missing), kInternal (the NSM failed; its message is kept).
  absl::StatusOr<std::string> MakeAttestation();

  // Verifies a peer's HandshakeAttestation. Errors: kWrongState (hellos
  // missing), kMalformed, kWrongSession, kUnknownParty, kDuplicate,
  // kAttestationRejected (the verifier refused the document: chain,
  // signature, PCRs, debug mode, age, nonce — its status message and
  // attestation payload are kept), kBindingMismatch (user_data is not a
  // binding for this protocol/session/sender, the public key is not a
  // usable X25519 key, the identity key is not a valid Ed25519 key or its
  // signature does not verify), kIdentityMismatch (a valid document whose
  // identity key, PCR3 or PCR4 differs from the party's PeerExpectation, or
  // whose identity key is this party's own or another peer's; the message
  // names the party id and the binding: "identity key", "PCR3", "PCR4").
  absl::Status AddAttestation(absl::string_view bytes);

  // Once MakeAttestation succeeded and every peer's attestation was
  // verified: derives the pairwise keys and returns the session. The
  // Handshake is spent afterwards (kWrongState on reuse).
  absl::StatusOr<std::unique_ptr<SecureSession>> Finish();

 private:
  Handshake(const ChannelIdentity& identity, HandshakeConfig config)
      : identity_(identity), config_(std::move(config)) {}

  const ChannelIdentity& identity_;
  HandshakeConfig config_;
  std::array<uint8_t, kContributionBytes> contribution_{};
  std::string hello_;
  std::map<uint32_t, std::string> hellos_;  // raw bytes by party, incl. self
  std::map<uint32_t, std::string> contributions_;
  std::optional<std::array<uint8_t, kSessionNonceBytes>> session_nonce_;
  bool attested_ = false;
  bool finished_ = false;
  std::map<uint32_t, AttestedPeer> verified_;
};

}  // namespace nitro_tss::channel

#endif  // NITRO_TSS_NODE_CHANNEL_HANDSHAKE_H_
