// Πlog-rp: knowledge of exponent vs ring-Pedersen commitment, in range
// (Πlog* of CGGMP21 Fig. 25 with the Paillier part removed, the commitment
// S supplied by the statement instead of the proof).
//
// Statement: the verifier's ring-Pedersen parameters (N̂, s, t), a
// commitment S ∈ Z*_N̂, a base point g and a point X (neither the identity).
// Witness: x ∈ ±2^ℓ and μ (the randomness of S, an integer) with
// S = s^x t^μ mod N̂ and X = x·g.
//
//   prover:   α ← ±2^(ℓ+ε), γ ← ±2^(ℓ+ε)·N̂
//             Y = α·g, D = s^α t^γ mod N̂
//   challenge e ∈ ±q from Transcript::ForProof("nitro-tss/pi_log_rp", ctx)
//             over (ℓ, ℓ', ε, N̂, s, t, S, g, X, Y, D)
//   response: z1 = α + e·x, z3 = γ + e·μ
//   verifier: z1 ∈ ±2^(ℓ+ε), |z3| <= 2^(ℓ+ε+1)·N̂,
//             z1·g = Y + e·X, s^z1 t^z3 = D·S^e mod N̂
//
// Why it is sound. From two accepting transcripts with the same first
// message (Y, D) and challenges e ≠ e', (z1 - z1')·g = (e - e')·X and
// s^(z1-z1') t^(z3-z3') = S^(e-e') mod N̂. Under the strong-RSA assumption
// for the verifier's N̂ (whose well-formedness, s ∈ <t>, the verifier itself
// guarantees: it generated N̂, s, t and proved them with Πprm), e - e'
// divides z1 - z1' and z3 - z3' over the integers (CGGMP21 Lemma on
// ring-Pedersen extraction, as used in the proofs of Πenc and Πlog*), giving
// x = (z1 - z1')/(e - e') ∈ ±2^(ℓ+ε) and μ with S = s^x t^μ and X = x·g.
// Ring-Pedersen is binding under factoring of N̂: no prover can open S to
// two different x. So X = x·g for THE x committed in S.
//
// This is what makes the proof useful, and what its caller must ensure: S
// must be a ring-Pedersen commitment the same prover already bound to the
// value of interest, towards the same verifier (the verifier's own N̂, s, t),
// by an accepted proof. In GG20 presigning S is the S of the prover's
// round-1 Πenc to this verifier; Πenc's ring-Pedersen and Paillier equations
// share one response z1, so its extractor yields one k that opens both
// K = enc(k) and S. Hence Πlog-rp on that S proves R̄ = k·R for the k inside
// K, which is what Πlog* proved, without any Paillier operation. Against an
// S the prover chose freshly (or one made for another verifier, whose N̂ the
// prover might be able to equivocate) the proof shows nothing about K.
//
// Honest-verifier zero knowledge (as for Πlog*): a simulator picks e, z1
// uniform in ±2^(ℓ+ε), z3 in ±2^(ℓ+ε)·N̂ and sets Y = z1·g - e·X,
// D = s^z1 t^z3 S^-e; its transcripts are statistically close to real ones
// because α, γ mask e·x, e·μ with 2^(ε-ℓ) slack for x ∈ ±2^ℓ and
// μ ∈ ±2^ℓ·N̂ (Πenc's μ range). Reusing Πenc's μ is fine: S is public
// already and each proof draws fresh α, γ.
#ifndef NITRO_TSS_MPC_ZK_PI_LOG_RP_H_
#define NITRO_TSS_MPC_ZK_PI_LOG_RP_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"
#include "nitro_tss/mpc/v1/mta_proofs.pb.h"

namespace nitro_tss::mpc::zk {

// Statements and witnesses hold references: the referenced values must
// outlive them (build them from named variables, not temporaries).
struct PiLogRpStatement {
  const RingPedersenParams& ring_pedersen;  // (N̂, s, t) of the verifier
  const BigInt& cap_s;                      // S = s^x t^μ mod N̂
  const Point& base;                        // g
  const Point& cap_x;                       // X
};

struct PiLogRpWitness {
  const BigInt& x;   // in ±2^ℓ
  const BigInt& mu;  // randomness of S (|μ| <= 2^ℓ·N̂ for zero knowledge)
  // Precomputation for the verifier's ring-Pedersen params (optional,
  // RingPedersenTable in ring_pedersen_table.h): faster constant-time
  // commitments. Must be built for statement's ring-Pedersen params.
  const RingPedersenTable* verifier_table = nullptr;
};

struct PiLogRpProof {
  Point cap_y;   // Y = α·g
  BigInt cap_d;  // D = s^α t^γ mod N̂
  BigInt z1, z3;
};

// Proves the statement. Refuses (InvalidArgument, "pi_log_rp: ..."):
// x outside ±2^ℓ ("pi_log_rp: witness x out of range"), μ outside
// ±2^ℓ·N̂ ("pi_log_rp: witness mu out of range"), g or X the identity,
// X != x·g ("pi_log_rp: X != x*g"), a table for other params. S = s^x t^μ
// is not recomputed (it would cost a commitment): an S that does not match
// yields a proof every verifier rejects.
absl::StatusOr<PiLogRpProof> ProvePiLogRp(const PiLogRpStatement& statement,
                                          const PiLogRpWitness& witness,
                                          const ProofContext& context,
                                          RandomSource& rng);

// Verifies a proof. Checks in this order, each with its own error
// ("pi_log_rp: <check>"): "g is the point at infinity", "X is ...",
// "Y is ..."; "S not in Z*_{Nhat} (...)", "D not in Z*_{Nhat} (...)";
// "z1 out of range" (|z1| > 2^(ℓ+ε)); "z3 out of range" (|z3| >
// 2^(ℓ+ε+1)·N̂); then "group equation failed" (z1·g != Y + e·X) and
// "ring-pedersen equation failed" (s^z1 t^z3 != D·S^e mod N̂).
// `verifier_secret` (optional) is the verifier's own RingPedersenSecret for
// statement.ring_pedersen: the ring-Pedersen equation is then checked by
// CRT (same decisions); it must belong to statement.ring_pedersen
// ("pi_log_rp: verifier secret does not match the ring-Pedersen params").
// The caller is responsible for S's provenance (see the file comment).
absl::Status VerifyPiLogRp(const PiLogRpStatement& statement,
                           const PiLogRpProof& proof,
                           const ProofContext& context,
                           const RingPedersenSecret* verifier_secret = nullptr);

v1::PiLogRpProof PiLogRpProofToProto(const PiLogRpProof& proof);
// Strict decoding (D at most
// kMaxModulusBytes, z1 at most BytesForBits(ℓ+ε), z3 at most
// kMaxMaskedCommitmentBytes magnitude bytes; Y a 33-byte compressed point,
// never the identity; no unknown fields). Errors: "pi_log_rp: ...".
absl::StatusOr<PiLogRpProof> PiLogRpProofFromProto(
    const v1::PiLogRpProof& proto);

namespace internal {
// The prover without witness checks, for tests of the verifier only.
PiLogRpProof ProvePiLogRpUnchecked(const PiLogRpStatement& statement,
                                   const PiLogRpWitness& witness,
                                   const ProofContext& context,
                                   RandomSource& rng);
}  // namespace internal

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PI_LOG_RP_H_
