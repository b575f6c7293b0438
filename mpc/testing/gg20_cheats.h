// Cheating GG20 parties for the adversarial tests (tests/gg20/): the cheats
// that used to be options inside the rounds (KeygenConfig::testing,
// PresignConfig::testing), now test rules (rules.h) applied around the
// cheater's rounds. A cheat never weakens a check; it only changes what the
// cheater itself sends, exactly as the in-round options did (same messages
// and the same draws from the session's randomness, so every adversarial
// scenario is the run it was).
//
// How each cheat acts on the round (state through the internal headers
// mpc/gg20/keygen_state.h and presign_state.h, which the production code
// exposes to this test-only target):
//   tamper                 rewrites each outbound payload after the round,
//                          before the engine signs it; keygen's
//                          decommitment is rewritten before the commitment
//                          to it is computed (the commitment is recomputed
//                          over the tampered bytes);
//   extra_vss_degree       keygen round 0 runs with threshold t + extra
//                          (its only use of t: the degree it deals);
//   mta_beta_extra_bits    presign round 1's MtA responses are redrawn with
//                          mpc/mta's test-only oversized-mask Bob;
//   mta_negate_*_d         presign round 1's MtA pairs are redrawn (until
//                          the pair passes or fails as asked) with D's
//                          negated;
//   wrong_sigma            σ_i + 1 after round 2, committed to (T_i, PoK)
//                          as round 2 commits to σ_i;
//   wrong_delta,
//   broadcast_delta        the δ_i round 2 broadcasts (and round 3 sums);
//   r_bar_with_other_k     presign round 3 runs with k_i + 1 (R̄_i and its
//                          Πlog-rp), k_i restored afterwards;
//   mta_gamma_half_mask_to presign round 1's MtA(k·γ) (or MtAwc) response
//                          towards one Alice is replaced by a forged one
//                          (collusion);
//   accept_mta_from        presign round 2's abort naming that Bob is
//                          replaced by the round's normal output, computed
//                          from the unchecked decryptions (collusion).
//
// Test-only (nitro_mpc_testing).
#ifndef NITRO_TSS_MPC_TESTING_GG20_CHEATS_H_
#define NITRO_TSS_MPC_TESTING_GG20_CHEATS_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/gg20/keygen.h"
#include "mpc/gg20/presign.h"
#include "mpc/math/random.h"
#include "mpc/round/round.h"

namespace nitro_tss::mpc::gg20::testing {

// Called with every payload the cheater is about to send (before it is
// signed; keygen's decommitment before it is committed to):
// `message_round` is the round number the message is stamped with, `to`
// the recipient (0 for broadcasts). The hook may modify the payload.
using TamperHook = std::function<void(uint32_t message_round, uint32_t to,
                                      google::protobuf::Message& payload)>;

struct KeygenCheat {
  TamperHook tamper;
  // Deal a polynomial of degree t + extra_vss_degree (threshold raising).
  size_t extra_vss_degree = 0;
};

struct PresignCheat {
  TamperHook tamper;
  // Bob's MtA mask y sampled 2^extra bits larger than ±2^ℓ' and proven with
  // the unchecked prover (Alpha-Rays style out-of-range value), for k·γ and
  // k·w (both parts of the pair).
  size_t mta_beta_extra_bits = 0;
  // If set, only the MtA towards this Alice gets the oversized mask.
  std::optional<round::PartyId> mta_beta_extra_bits_only_to;
  // With mta_beta_extra_bits: each oversized pair is drawn again (up to
  // 64 times) until both parts' Πaff-g z2 land where only the exact range check
  // can catch it, 2^(ℓ'+ε+1) < |z2| < 2^(8·BytesForBits(ℓ'+ε)) (past the
  // bound, within the decoder's size limit). A cheater may send whatever
  // it likes; this one makes every run a test of that check (without it a
  // small challenge e leaves z2 in range now and then).
  bool mta_beta_until_out_of_range = false;
  // Bob's D of the MtA(γ) part, the MtAwc part or both sent negated
  // towards every Alice (−D: the same plaintext, its nonce −ρ) with the
  // pair proven from ρ (mta::internal::BobPairCheat): the pair's Paillier
  // equation is off by (−1)^(e_i) per negated part, an element of order 2,
  // so the pair passes iff the negated parts' challenges sum to an even
  // number (zk::VerifyPiAffGPair). With mta_negated_passes, each pair is
  // drawn again from the session's randomness (fresh responses, up to 64
  // times) until it passes (true) or fails (false) towards that Alice; the
  // draws replace round 1's (as with mta_beta_extra_bits).
  bool mta_negate_gamma_d = false;
  bool mta_negate_w_d = false;
  std::optional<bool> mta_negated_passes;
  // Bob's MtAwc part made for γ_i (D_w = K_j^γ_i·enc(y), γ_i the proof's
  // witness) while its statement names W_i, towards every Alice: every
  // equation holds but that part's group x equation
  // (mta::internal::BobPairCheat::second_x_from_first).
  bool mta_w_part_for_gamma = false;
  // If set, the pair cheats above (mta_negate_*, mta_w_part_for_gamma) go
  // towards this Alice only; the other Alices get honest pairs.
  std::optional<round::PartyId> mta_pair_cheat_only_to;
  // Adds 1 to the broadcast δ_i (proofs stay valid: phase-5 check fails).
  bool wrong_delta = false;
  // Adds 1 to σ_i after the MtA (T_i, its proofs and S_i stay consistent
  // with the wrong value: the Σ S_j = Y' check fails, round 5 reveals σ).
  bool wrong_sigma = false;
  // Broadcasts this δ_i instead of the computed one (e.g. one that makes
  // Σ δ_j = 0).
  std::optional<Scalar> broadcast_delta;
  // Broadcasts R̄_i = (k_i + 1)·R and proves it with the honest Πlog-rp
  // prover for k_i + 1 (and the μ of the round-1 Πenc), whose S still
  // commits to k_i: every verifier's ring-Pedersen equation fails.
  bool r_bar_with_other_k = false;

  // Collusion of an Alice and a Bob (possible when t >= 2; docs/AUDIT.md
  // "Non-identifiable δ abort under collusion"). Bob's half: his MtA(k·γ)
  // (or, with mta_half_mask_w, MtAwc) response towards Alice
  // `mta_gamma_half_mask_to` carries the mask "y/2" — y odd, small; y/2 the
  // integer y·(M+1)/2 with M = N_alice·ord(N̂_alice)·q, which is y/2 modulo
  // each of them — in D, and Y = (y/2 mod q)·G. Its part of the Πaff-g
  // pair (the other response honest, both drawn anew) is the prover's run
  // for the mask y/2 whose z2 is then reduced by (e/2)·y·M (drawn again
  // until that part's challenge e is even and z2 in range): every
  // equation of the proof holds modulo the order it lives in (N0, the
  // order of s, q), so the proof verifies against Alice's ring-Pedersen
  // parameters. That needs the order of her ring-Pedersen group
  // (`colluding_alice_rp_order` = p'·q' for N̂ = (2p'+1)(2q'+1)): only a
  // colluding Alice can give it. Dec(D) is then about N/2: Alice's α wraps
  // modulo her N (Bob's β = −y/2 mod q stays consistent with Y).
  std::optional<round::PartyId> mta_gamma_half_mask_to;
  BigInt colluding_alice_rp_order;
  bool mta_half_mask_w = false;
  // Collusion, Alice's half: when her round 2 aborts (naming this Bob for
  // the α range), she goes on as if it had not: α = Dec(D) of every
  // response, δ_i, σ_i, T_i and the round-3 broadcast as round 2 makes them.
  std::optional<round::PartyId> accept_mta_from;
};

// NewKeygenSession / NewPresignSession for a party that cheats as `cheat`
// says (same validation and errors).
absl::StatusOr<std::unique_ptr<round::Session>> NewKeygenSessionWithCheat(
    const KeygenConfig& config, const KeygenCheat& cheat, RandomSource& rng);
absl::StatusOr<std::unique_ptr<round::Session>> NewPresignSessionWithCheat(
    const PresignConfig& config, const PresignCheat& cheat, RandomSource& rng);

}  // namespace nitro_tss::mpc::gg20::testing

#endif  // NITRO_TSS_MPC_TESTING_GG20_CHEATS_H_
