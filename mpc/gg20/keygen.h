// GG20 distributed key generation (t-of-n, 1 <= t < n <= 16), hardened with
// the CGGMP21 Paillier / ring-Pedersen well-formedness proofs.
//
// Rounds (message numbers as stamped by the round engine):
//   1 (broadcast) H(session, party, decommitment) -- the decommitment holds
//     the Feldman commitments (exactly t+1 points) to f_i with f_i(0) = u_i,
//     a Schnorr proof of u_i, the Paillier modulus N_i, ring-Pedersen
//     parameters (N̂_i, s_i, t_i), Πmod on N_i and Πprm on (N̂_i, s_i, t_i);
//   2 (broadcast) the decommitment, every check above done on receipt
//     (moduli exactly 2048 bits); (direct) f_i(j);
//   3 (broadcast) Schnorr proof of x_i = sum_j f_j(i) against
//     X_i = sum_j sum_k C_jk i^k; (direct) Πfac of N_i against the
//     recipient's ring-Pedersen parameters;
//   4 (broadcast) the key id (hash of all public data): the echo broadcast
//     plus this confirmation make every party agree on the result.
// The session's result (std::any) is a std::shared_ptr<const KeyShare>.
// Every failure aborts naming the culprit(s).
#ifndef NITRO_TSS_MPC_GG20_KEYGEN_H_
#define NITRO_TSS_MPC_GG20_KEYGEN_H_

#include <atomic>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "mpc/gg20/key_share.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/round/round.h"

namespace nitro_tss::mpc::gg20 {

inline constexpr char kKeygenProtocol[] = "gg20/keygen/v1";

// A party's Paillier key and ring-Pedersen trapdoor for a new key.
struct KeygenMaterial {
  std::shared_ptr<const PaillierPrivateKey> paillier;
  std::shared_ptr<const RingPedersenSecret> ring_pedersen;
};

// Fresh material from new 1024-bit safe primes, each searched with
// `threads` threads. With `separate_ring_pedersen_modulus` (default) N̂ is
// built from two further primes; otherwise the ring-Pedersen parameters
// live modulo the Paillier N itself (CGGMP21's auxiliary-info layout: the
// same proofs Πmod/Πprm/Πfac apply), halving the prime search.
// `cancel` (optional; nullptr, the default, never cancels) is handed to each
// GenerateSafePrime (see its contract: read between candidates only) and
// read again before the keys are built from the primes: once *cancel is
// true the call returns CANCELLED ("safe prime search cancelled"), the
// primes found so far wiped.
absl::StatusOr<KeygenMaterial> GenerateKeygenMaterial(
    RandomSource& rng, int threads = 1,
    bool separate_ring_pedersen_modulus = true,
    const std::atomic<bool>* cancel = nullptr);

struct KeygenConfig {
  std::vector<uint8_t> session_id;
  round::PartyId self = 0;
  std::vector<round::PartyId> parties;  // all n parties, incl. self
  uint32_t threshold = 0;               // t: any t+1 parties can sign
  KeygenMaterial material;              // required
  // Required: this party's identity key and every party's identity public
  // key (distinct; from the attested handshake that admitted each peer).
  // They are bound to the party ids in the configuration digest (with t and
  // the party set: a peer configured differently aborts the session naming
  // no one), in every party's KeyShare and in the key id; every message is
  // signed with them, and complaints about direct messages are verifiable.
  std::shared_ptr<const round::PartyIdentityKey> identity;
  std::map<round::PartyId, round::IdentityPublicKey> identity_keys;
  // Optional (empty or 32 bytes): what the key is bound to besides its
  // parties, e.g. the digest of its approval policy (node/approval). Every
  // party must start with the same value (it enters the configuration
  // digest: a party configured differently aborts the DKG naming no one); it
  // is kept in every KeyShare and bound into the key id.
  std::vector<uint8_t> policy_digest = {};
};

// The digest every party of a DKG must agree on: protocol, session id,
// threshold, the sorted party ids and their identity keys.
std::vector<uint8_t> KeygenConfigDigest(const KeygenConfig& config);

// Validates the configuration (1 <= t < n <= kMaxParties, ids non-zero and
// distinct, self a member, material present and matching 2048-bit sizes)
// and creates the session. Errors start "keygen: ".
absl::StatusOr<std::unique_ptr<round::Session>> NewKeygenSession(
    const KeygenConfig& config, RandomSource& rng);

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_KEYGEN_H_
