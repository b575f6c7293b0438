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
//                                      session_id, party_id, Ed25519 key}
//     and sends it in HandshakeAttestation. Each receiver verifies the
//     document (certificate chain to the pinned root, COSE signature, the
//     AttestationPolicy: PCR allowlist, debug refusal, max age) with
//     expected nonce = the session nonce it computed itself, then checks that
//     user_data binds this protocol, this session id and the claimed sender.
//     The attested X25519 key of each peer yields, with crypto_kx (the lower
//     party id is the client), pairwise keys that are then bound to the
//     session nonce and direction (session.h); the attested Ed25519 key
//     verifies the peer's broadcasts.
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
};

// Verifies a peer's document (chain, signature, policy) and requires its
// nonce to equal `expected_nonce`. Errors are returned unchanged to the
// caller of Handshake::AddAttestation wrapped as kAttestationRejected.
using VerifyFunction = std::function<absl::StatusOr<VerifiedDocument>(
    absl::string_view document, absl::string_view expected_nonce)>;

struct HandshakeConfig {
  std::string session_id;           // 1..64 bytes
  uint32_t self_id = 0;             // >= 1, one of party_ids
  std::vector<uint32_t> party_ids;  // 2..255 distinct ids >= 1, incl. self
  AttestFunction attest;            // this enclave's NSM
  VerifyFunction verify;            // verifier + policy for peers
  size_t max_payload_bytes = kDefaultMaxPayloadBytes;
};

class Handshake {
 public:
  // Starts a handshake for `config` with `identity`'s keys (which must
  // outlive the Handshake). Fails with kMalformed if the config is
  // inconsistent (bad ids, missing functions).
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
  // binding for this protocol/session/sender, or the public key is not a
  // usable X25519 key).
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
