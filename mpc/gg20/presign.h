// GG20 presigning (phases 1-6) for a signer set of exactly t+1 parties,
// with the CGGMP21 range proofs on every Paillier value.
//
// Rounds (message numbers as stamped by the round engine):
//   1 (broadcast) K_i = enc_i(k_i) and a hash commitment to Γ_i = γ_i·G;
//     (direct) Πenc of K_i against the recipient's ring-Pedersen params;
//   2 (broadcast) the opening of Γ_i; (direct to j) MtA for k_j·γ_i and
//     MtAwc for k_j·w_i (w_i = λ_i·x_i, plus the derivation tweak at the
//     lowest signer), each D = K_j^x·enc_j(y) and Y = y·G with Πaff-g
//     (point-bound mask) against Γ_i resp. W_i = λ_i·X_i (computed by
//     everyone from public data); Bob's share is β = −y mod q. Every MtA
//     step runs through
//     mpc/mta/mta.h (K and its Πenc, Bob's response, Alice's check and
//     decryption, and the judge's and reveal rounds' re-checks);
//   3 (broadcast) δ_i, T_i = σ_i·G + l_i·H with a Pedersen proof of
//     knowledge;
//   4 (broadcast) R̄_i = k_i·R and S_i = σ_i·R with the equality proof
//     against T_i; (direct) Πlog-rp (mpc/zk/pi_log_rp.h) that R̄_i uses the
//     k_i committed in the ring-Pedersen S of the round-1 Πenc to the same
//     recipient. Πenc's extractor opens K_i and that S to one k_i, and S is
//     binding under the recipient's own N̂, so this is the k_i inside K_i
//     (what CGGMP21's Πlog* against K_i proves) without any Paillier
//     operation.
// Then every party checks Σ R̄_i = G and Σ S_i = Y' (the possibly tweaked
// public key). The per-signer R̄_i, S_i let the online round identify a
// wrong signature share.
// Identification when a check fails (the presignature is discarded):
//   5δ (broadcast, Σ R̄_i != G) PresignReveal: γ_i, k_i with the nonce of
//     K_i and the MtA responses received (with their Πaff-g and mask points
//     Y); names every i with δ_i·G != k_i·γ·G + Σ_j (Y_{j->i} − Y_{i->j})
//     (sent as round 4 already when round 3 finds δ = 0 or R = identity);
//   5σ (Σ R̄_i = G, Σ S_i != Y') PresignSigmaReveal: k_i with the nonce of
//     K_i and the MtAwc responses received (with their Πaff-g and mask
//     points Y^w); names every i with
//     k·S_i != k_i·Y' + Σ_j (Y^w_{j->i} − Y^w_{i->j}), i.e. whose σ_i is not
//     k_i·w_i plus its MtAwc shares.
//   Both decide in the exponent on values bound without a proof made for a
//   single verifier, so colluding parties are named too
//   (presign_delta_reveal.cc, docs/AUDIT.md). Only the discarded k_i, γ_i
//   and the mask points become public.
// The session's result is a std::shared_ptr<Presignature>.
#ifndef NITRO_TSS_MPC_GG20_PRESIGN_H_
#define NITRO_TSS_MPC_GG20_PRESIGN_H_

#include <array>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/gg20/key_share.h"
#include "mpc/round/round.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/ring_pedersen_table.h"

namespace nitro_tss::mpc::gg20 {

// v4: a Bob's MtA and MtAwc responses to one Alice are proven as one
// Πaff-g pair with one Paillier commitment (mpc/zk/pi_aff_g.h); v3 bound
// the MtA masks by points Y = y·G (v2: ciphertexts F under Bob's key), and
// both reveals check shares in the exponent; v2's δ reveal opened k_i and
// the masks, v1's the ciphertext of δ_i (docs/AUDIT.md).
// Peers of another version refuse each other's messages (the envelope's
// protocol) and blame nobody.
inline constexpr char kPresignProtocol[] = "gg20/presign/v4";

using PresignatureId = std::array<uint8_t, 32>;

// What a presignature may be used for; fixed before presigning.
struct PresignBinding {
  KeyId key_id{};
  std::vector<round::PartyId> signers;  // sorted, exactly t+1
  Scalar tweak;  // additive derivation tweak (zero: none); Y' = Y + tweak·G
};

// The public part of a presignature (identical at every signer).
struct PresignaturePublic {
  PresignatureId id{};
  PresignBinding binding;
  Point public_key;                       // Y' (tweaked)
  Point big_r;                            // R
  Scalar r;                               // R.x mod n
  std::map<round::PartyId, Point> r_bar;  // R̄_j = k_j·R
  std::map<round::PartyId, Point> s;      // S_j = σ_j·R
};

// One signer's presignature. The secrets are wiped when it is used.
class Presignature {
 public:
  Presignature(PresignaturePublic pub, round::PartyId self, Scalar k,
               Scalar sigma);
  ~Presignature();
  Presignature(const Presignature&) = delete;
  Presignature& operator=(const Presignature&) = delete;

  const PresignaturePublic& public_data() const { return public_; }
  round::PartyId self() const { return self_; }
  bool used() const { return used_; }

 private:
  friend class PresignatureAccess;
  PresignaturePublic public_;
  round::PartyId self_;
  Scalar k_;
  Scalar sigma_;
  bool used_ = false;
};

// Optional precomputation for the prover side; it changes no message's
// distribution and no check. Per peer: a RingPedersenTable for the peer's
// ring-Pedersen parameters (built once per key, ~6 MB each, reused by every
// presignature) and a pool of Paillier randomizers (r, r^N) under the
// peer's key, which a node fills in idle time (each used once).
struct PresignAccelerators {
  std::map<round::PartyId, std::shared_ptr<const zk::RingPedersenTable>> tables;
  std::map<round::PartyId, std::shared_ptr<zk::PaillierNoncePool>> nonce_pools;
};

// Tables for every other party of `key_share` (the key share's own, see
// KeyShare::PeerTable) and empty nonce pools.
std::shared_ptr<PresignAccelerators> BuildPresignAccelerators(
    const KeyShare& key_share);

struct PresignConfig {
  // Never reused with the same key: every proof's Fiat–Shamir context and
  // every envelope carry it (the node derives a fresh one per run on each
  // link). A reported MtAwc response is bound to its Bob and run by its
  // Πaff-g pair, whose transcript also covers the run's Γ_Bob
  // (docs/AUDIT.md "Πaff-g pairs with one Paillier commitment").
  std::vector<uint8_t> session_id;
  std::shared_ptr<const KeyShare> key_share;
  std::vector<round::PartyId> signers;  // exactly t+1 parties of the key
  Scalar tweak;                         // zero: no derivation
  // Optional; without it (or for a peer it lacks) the key share's
  // KeyShare::PeerTable is used (built on the key's first presignature
  // unless KeyShare::BuildPeerTables ran at load).
  std::shared_ptr<PresignAccelerators> accelerators;
  // Required: this party's identity key (its public half must be the one the
  // key share binds to this party). Every message is signed with it; the
  // co-signers' keys come from the key share.
  std::shared_ptr<const round::PartyIdentityKey> identity;
  // Threads for the per-peer work of a round (Πenc proofs in round 0, the
  // Πenc checks and MtA responses in round 1, the Πaff-g checks in round 2),
  // the calling thread included: 1..16. With more than one, each peer's
  // proofs draw from their own RandomSource::Fork() of the round's source
  // (taken in signer order before any work starts), so the messages differ
  // from a 1-thread run with the same source but are equally distributed;
  // results are used in signer order, so an abort names the same peer.
  int threads = 1;
};

// What the signers of one presign session must agree on besides its id:
// the key id (which binds every party's identity key), the sorted signer set
// and the tweak. A peer configured differently aborts the session naming no
// one.
std::vector<uint8_t> PresignConfigDigest(const PresignConfig& config);

// The largest PresignConfig::threads.
inline constexpr int kMaxPresignThreads = 16;

// Validates the configuration and creates the session. Errors start
// "presign: " (e.g. "presign: signer set has 2 parties, threshold 2 needs
// exactly 3").
absl::StatusOr<std::unique_ptr<round::Session>> NewPresignSession(
    const PresignConfig& config, RandomSource& rng);

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_PRESIGN_H_
