// Πlog*: knowledge of exponent vs Paillier encryption, in range
// (CGGMP21 Fig. 25, "Knowledge of Exponent vs Paillier Encryption").
//
// Statement: the prover's Paillier key N0, the verifier's ring-Pedersen
// parameters (N̂, s, t), a ciphertext C ∈ Z*_{N0²}, a base point g and a
// point X (neither the identity).
// Witness: x ∈ ±2^L and ρ ∈ Z*_{N0} with C = (1+N0)^x ρ^N0 mod N0² and
// X = x·g (x reduced mod q on the curve). The range L is part of the
// statement: ℓ (the default, for k and x) or ℓ' (for an MtA mask β, used
// by GG20's σ identification); the randomness sizes of the ring-Pedersen
// commitments stay at ℓ, ℓ+ε as in every CGGMP21 proof.
//
//   prover:   α ← ±2^(L+ε), μ ← ±2^ℓ·N̂, r ← Z*_{N0}, γ ← ±2^(ℓ+ε)·N̂
//             S = s^x t^μ, A = (1+N0)^α r^N0 mod N0², Y = α·g,
//             D = s^α t^γ mod N̂
//   challenge e ∈ ±q from Transcript::ForProof("cggmp21/pi_log_star", ctx)
//             over (L, ℓ', ε, N0, N̂, s, t, C, X, g, S, A, Y, D)
//   response: z1 = α + e·x, z2 = r·ρ^e mod N0, z3 = γ + e·μ
//   verifier: z1 ∈ ±2^(L+ε), (1+N0)^z1 z2^N0 = A·C^e mod N0²,
//             z1·g = Y + e·X, s^z1 t^z3 = D·S^e mod N̂
//
// GG20 uses it in phase 5 (R̄_i = k_i·R against K_i = enc(k_i)) and, with
// L = ℓ', for identifying a party whose σ_i is wrong (B = β·G against the
// F = enc(β) of an MtAwc response). Uniqueness of the extracted plaintext
// needs 2^(L+ε) < N0/2, which holds for L = ℓ' (1792 < 2047 bits).
#ifndef NITRO_TSS_MPC_ZK_PI_LOG_STAR_H_
#define NITRO_TSS_MPC_ZK_PI_LOG_STAR_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"
#include "nitro_tss/mpc/v1/mta_proofs.pb.h"

namespace nitro_tss::mpc::zk {

// Statements and witnesses hold references: the referenced values must
// outlive them (build them from named variables, not temporaries).
struct PiLogStarStatement {
  const PaillierPublicKey& paillier;        // N0 (the prover's key)
  const RingPedersenParams& ring_pedersen;  // (N̂, s, t) of the verifier
  const BigInt& cap_c;                      // C
  const Point& base;                        // g
  const Point& cap_x;                       // X
  // The range L of x: kEll (default) or kEllPrime; anything else is
  // refused by prover and verifier ("pi_log_star: unsupported range").
  size_t ell = kEll;
};

struct PiLogStarWitness {
  const BigInt& x;    // in ±2^L (statement.ell)
  const BigInt& rho;  // nonce of C, in Z*_{N0}
  // The prover's private key for N0 (optional): A by its fixed-base
  // encryption (FreshEncryption in nonce_pool.h).
  const PaillierPrivateKey* own_key = nullptr;
  // Precomputation for the verifier's ring-Pedersen params (optional,
  // RingPedersenTable in ring_pedersen_table.h): faster constant-time
  // commitments. Must be built for statement's ring-Pedersen params.
  const RingPedersenTable* verifier_table = nullptr;
};

struct PiLogStarProof {
  BigInt cap_s, cap_a;  // S, A
  Point cap_y;          // Y
  BigInt cap_d;         // D
  BigInt z1, z2, z3;
};

// Proves the statement. Refuses ("pi_log_star: ..."): x outside ±2^ℓ
// ("pi_log_star: witness x out of range"), ρ not in Z*_{N0}, X != x·g,
// g or X the identity, an own_key not matching N0. C = enc(x; ρ) is not
// recomputed (a mismatch yields a proof every verifier rejects).
absl::StatusOr<PiLogStarProof> ProvePiLogStar(
    const PiLogStarStatement& statement, const PiLogStarWitness& witness,
    const ProofContext& context, RandomSource& rng);

// Verifies a proof. Checks in this order, each with its own error
// ("pi_log_star: <check>"): the range L supported; g / X / Y the point at
// infinity; C not in
// Z*_{N0^2}; S, D not in Z*_{Nhat}; A not in Z*_{N0^2}; z2 not in Z*_{N0};
// z1 out of range (|z1| > 2^(L+ε)); z3 out of range (> 2^(ℓ+ε+1)·N̂); then
// "paillier equation failed", "group equation failed", "ring-pedersen
// equation failed". `verifier_secret`: optional CRT acceleration as in
// VerifyPiEnc.
absl::Status VerifyPiLogStar(
    const PiLogStarStatement& statement, const PiLogStarProof& proof,
    const ProofContext& context,
    const RingPedersenSecret* verifier_secret = nullptr);

v1::PiLogStarProof PiLogStarProofToProto(const PiLogStarProof& proof);
// Strict decoding (limits as PiEncProofFromProto, z1 up to 2^(ℓ'+ε) so
// that both ranges decode (the verifier applies the statement's L); Y a
// 33-byte compressed point, never the identity). Errors: "pi_log_star: ...".
absl::StatusOr<PiLogStarProof> PiLogStarProofFromProto(
    const v1::PiLogStarProof& proto);

namespace internal {
// The prover without witness checks, for tests of the verifier only.
PiLogStarProof ProvePiLogStarUnchecked(const PiLogStarStatement& statement,
                                       const PiLogStarWitness& witness,
                                       const ProofContext& context,
                                       RandomSource& rng);
}  // namespace internal

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PI_LOG_STAR_H_
