// Πaff-g with a point-bound mask: Paillier affine operation with group
// commitments in range (CGGMP21 Fig. 15, with the prover's mask bound by
// a point Y = y·g instead of a ciphertext under the prover's own key).
//
// Statement: the verifier's Paillier key N0 (C and D are under it), the
// verifier's ring-Pedersen parameters (N̂, s, t), ciphertexts
// C, D ∈ Z*_{N0²}, a base point g and points X, Y (none the identity).
// Witness: x ∈ ±2^ℓ, y ∈ ±2^ℓ', ρ ∈ Z*_{N0} with
//   D = C^x · (1+N0)^y · ρ^N0 mod N0²,  X = x·g,  Y = y·g.
//
//   prover:   α ← ±2^(ℓ+ε), β ← ±2^(ℓ'+ε), r ← Z*_{N0},
//             γ, δ ← ±2^(ℓ+ε)·N̂, m, μ ← ±2^ℓ·N̂
//             A = C^α (1+N0)^β r^N0 mod N0², B_x = α·g, B_y = β·g,
//             E = s^α t^γ, S = s^x t^m, F = s^β t^δ, T = s^y t^μ (mod N̂)
//   challenge e ∈ ±q from Transcript::ForProof("nitro-tss/pi_aff_g_point",
//             ctx) over (ℓ, ℓ', ε, N0, N̂, s, t, C, D, X, Y, g, S, T, A,
//             B_x, B_y, E, F)
//   response: z1 = α + e·x, z2 = β + e·y, z3 = γ + e·m, z4 = δ + e·μ,
//             w = r·ρ^e mod N0
//   verifier: z1 ∈ ±2^(ℓ+ε), z2 ∈ ±2^(ℓ'+ε),
//             C^z1 (1+N0)^z2 w^N0 = A·D^e mod N0², z1·g = B_x + e·X,
//             z2·g = B_y + e·Y, s^z1 t^z3 = E·S^e, s^z2 t^z4 = F·T^e
//             (mod N̂)
//
// Soundness (special soundness as CGGMP21's Πaff-g, with Y's group
// equation in place of its N1 equation): from two accepting transcripts
// with the same first message and e ≠ e', the ring-Pedersen equations give
// x = (z1 − z1')/(e − e') and y = (z2 − z2')/(e − e') over the integers
// (strong RSA in the verifier's N̂), in ±2^(ℓ+ε), ±2^(ℓ'+ε); the group
// equations X = x·g and Y = y·g; the plaintext part of the N0 equation
// Dec(D) ≡ x·Dec(C) + y (mod N0) (e − e' is invertible mod N0, whose
// factors exceed q). Zero knowledge (honest verifier, statistical): the
// simulator draws z1, z2, z3, z4 in their ranges, w ∈ Z*_{N0}, S, T
// uniform in ⟨t⟩, and sets A = C^z1 (1+N0)^z2 w^N0 · D^-e,
// B_x = z1·g − e·X, B_y = z2·g − e·Y, E = s^z1 t^z3 S^-e,
// F = s^z2 t^z4 T^-e: the real responses hide x and y statistically (ε
// bits of slack), and B_y is a function of public values and z2 in both.
//
// In GG20's MtA / MtAwc, Bob proves to Alice that D = K^x · enc_N0(y) was
// formed with x = his share behind X = x·G (γ_i·G = Γ_i, or W_i) and a mask
// y in range whose point Y = y·G he sends along: the range checks are the
// defence against Alpha-Rays. Alice can compute Y herself (α·G − k·X for
// her α = Dec(D)), so Y tells her nothing; Bob's share is β = −y mod q, and
// the reveal rounds check shares in the exponent against Y (no ciphertext
// under Bob's own key, no proof towards a single verifier to rely on).
#ifndef NITRO_TSS_MPC_ZK_PI_AFF_G_H_
#define NITRO_TSS_MPC_ZK_PI_AFF_G_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"
#include "nitro_tss/mpc/v1/mta_proofs.pb.h"

namespace nitro_tss::mpc::zk {

// Statements and witnesses hold references: the referenced values must
// outlive them (build them from named variables, not temporaries).
struct PiAffGStatement {
  const PaillierPublicKey& paillier0;       // N0 (the verifier's key)
  const RingPedersenParams& ring_pedersen;  // (N̂, s, t) of the verifier
  const BigInt& cap_c;                      // C under N0
  const BigInt& cap_d;                      // D under N0
  const Point& base;                        // g
  const Point& cap_x;                       // X = x·g
  const Point& cap_y;                       // Y = y·g
};

struct PiAffGWitness {
  const BigInt& x;    // in ±2^ℓ
  const BigInt& y;    // in ±2^ℓ'
  const BigInt& rho;  // nonce of the enc_N0(y) part of D, in Z*_{N0}
  // Precomputation for the verifier's ring-Pedersen params (optional,
  // RingPedersenTable in ring_pedersen_table.h): faster constant-time
  // commitments. Must be built for statement's ring-Pedersen params.
  const RingPedersenTable* verifier_table = nullptr;
  // Precomputed randomizers under N0 (optional): r and r^N0 for A are taken
  // from it instead of computed (same distribution).
  PaillierNoncePool* n0_nonces = nullptr;
};

struct PiAffGProof {
  BigInt cap_s, cap_t, cap_a;  // S, T, A
  Point cap_b_x, cap_b_y;      // B_x, B_y
  BigInt cap_e, cap_f;
  BigInt z1, z2, z3, z4, w;
};

// Proves the statement. Refuses ("pi_aff_g: ..."): x outside ±2^ℓ
// ("pi_aff_g: witness x out of range"), y outside ±2^ℓ' ("pi_aff_g: witness
// y out of range"), ρ not a unit, g or X the identity, Y the identity
// ("pi_aff_g: Y is the point at infinity": y ≡ 0 mod q), C not in
// Z*_{N0^2} ("pi_aff_g: C not in Z*_{N0^2}"), X != x·g, Y != y·g. D is not
// recomputed (it would cost an N-th power): a mismatch yields a proof
// every verifier rejects.
absl::StatusOr<PiAffGProof> ProvePiAffG(const PiAffGStatement& statement,
                                        const PiAffGWitness& witness,
                                        const ProofContext& context,
                                        RandomSource& rng);

// Optional secrets of the verifier that make verification cheaper without
// changing any decision: its Paillier private key for N0 (the N0 equation
// by CRT mod p², q²) and its ring-Pedersen secret (both ring-Pedersen
// equations by CRT mod p̂, q̂, using s = t^λ). Each must match the statement
// (else "pi_aff_g: ... does not match ...").
//
// With the key, `c_plaintext` (the plaintext of C under N0, as an integer:
// in GG20 the k inside the verifier's own K) lets the verifier check the N0
// equation X = Y, X = C^z1 (1+N0)^z2 w^N0, Y = A·D^e, as its two halves:
//   X ≡ Y (mod N0), i.e. C^z1 · w^N0 ≡ A · D^e (mod N0), by CRT mod p, q;
//   Dec(X) = Dec(Y), i.e. z1·Dec(C) + z2 ≡ Dec(A) + e·Dec(D) (mod N0).
// This is the same decision: x ↦ (x mod N0, Dec(x)) is injective on
// Z*_{N0²} (x = (1+N0)^m r^N0 with m = Dec(x) and x ≡ r^N0 mod N0, and
// r ↦ r^N0 is a bijection of Z*_{N0} since gcd(N0, φ(N0)) = 1), and Dec is
// a homomorphism with Dec((1+N0)^m) = m, Dec(w^N0) = 0. It costs two
// decryptions (A, D) and exponentiations modulo the 1024-bit primes,
// against an N-th power and two exponentiations modulo p², q²; D's
// plaintext is what the verifier decrypts anyway (its MtA share α), and is
// handed out in `d_plaintext_out` (centered, as
// PaillierPrivateKey::DecryptSigned) when verification succeeds. A wrong
// c_plaintext makes verification wrong: pass only Dec(C).
struct PiAffGVerifierSecrets {
  const PaillierPrivateKey* paillier = nullptr;
  const RingPedersenSecret* ring_pedersen = nullptr;
  const BigInt* c_plaintext = nullptr;  // needs `paillier`
  BigInt* d_plaintext_out = nullptr;    // set on success with c_plaintext
};

// Verifies a proof. Checks in this order, each with its own error
// ("pi_aff_g: <check>"): g / X / Y / B_x / B_y the point at infinity;
// C, D not in Z*_{N0^2}; S, T, E, F not in Z*_{Nhat}; A not in Z*_{N0^2};
// w not in Z*_{N0}; z1 out of range (|z1| > 2^(ℓ+ε)); z2 out of range
// (|z2| > 2^(ℓ'+ε)); z3, z4 out of range (> 2^(ℓ+ε+1)·N̂); then "N0
// equation failed", "group equation failed" (X), "group y equation
// failed", "ring-pedersen x equation failed", "ring-pedersen y equation
// failed".
absl::Status VerifyPiAffG(const PiAffGStatement& statement,
                          const PiAffGProof& proof, const ProofContext& context,
                          const PiAffGVerifierSecrets& secrets = {});

// ---------------------------------------------------------------------
// Two proofs by one prover to one verifier, checked together
// (VerifyPiAffGPair: GG20's Alice checking Bob's MtA for γ and MtAwc for w,
// and everyone re-checking the pair in presign's reveal rounds, issue 16).
//
// Both statements have the verifier's key N0 and the same C (Alice's K).
// The pair checks everything of each proof exactly as VerifyPiAffG
// (membership, ranges, both group and both ring-Pedersen equations) except
// the Paillier equation, which it checks ONCE for both proofs with a
// combiner c: with u_i = lhs_i / rhs_i the ratio of proof i's equation,
//
//   u_1 · u_2^c = 1 (mod N0²), i.e.
//        C^(z1+c·z1') (1+N0)^(z2+c·z2') (w·w'^c)^N0
//                                     = A·A'^c · D^e · D'^(c·e')  (mod N0²)
//
// (x^N mod N² depends on x mod N only, so w·w'^c is reduced mod N0). With
// the verifier's key and Dec(C) = k the equation is checked by its two
// halves (above; the same decision): the residue half mod p, q and the
// plaintext half
//   (z1 + c·z1')·k + (z2 + c·z2') ≡ Dec(A·A'^c) + e·Dec(D) + c·e'·Dec(D')
//                                                              (mod N0)
// with one decryption (A·A'^c) where the proofs alone need two; Dec(D),
// Dec(D') are the MtA shares, needed anyway. Without Dec(C) (a complaint
// judge, a reveal round) it is checked whole mod N0² (by CRT mod p², q² if
// the key is given). Either way it is the same decision: the pair's
// outcome does not depend on who checks it. c is uniform in [0, 2^128)
// from a transcript (PiAffGPairCombiner) over both contexts, both
// statements and both complete proofs (including the responses), so every
// value the equation depends on is fixed before c.
//
// Soundness. Z*_{N0²} = ⟨1+N0⟩ × R (R = {r^N0} ≅ Z*_{N0}, a direct product
// because gcd(N0, φ(N0)) = 1: the verifier's own key); write
// u = (1+N0)^a · v with a = Dec(u) ∈ Z_N0 and v ∈ R. One proof's equation
// holds iff a = 0 and v = 1; the combination holds iff
// a_1 + c·a_2 ≡ 0 (mod N0) and v_1·v_2^c = 1.
// (a) Plaintext parts. If a_2 ≢ 0, let g = gcd(a_2, N0) ≠ N0; c·a_2 ≡ −a_1
//     forces c to at most one residue modulo N0/g ∈ {p, q, N0}, at least
//     the smallest prime factor of N0 (> 2^1023, the verifier's own key).
//     So at most one c ∈ [0, 2^128) passes, hit by each hash query with
//     probability 2^-128 (random oracle; the bound holds for every a_1,
//     a_2, so the prover's choices do not help); if a_2 ≡ 0 the equation
//     says a_1 ≡ 0. A passing pair has a_1 = a_2 = 0 except with
//     probability ≤ Q·2^-128 over Q hash queries.
// (b) Residue parts. These are where Z*_{N0²} has its elements of small
//     order (R ≅ Z*_{N0} contains −1 = (−1)^N0 and, for the owner of the
//     factorization, any order dividing p−1 or q−1), and where the
//     combination is NOT the decision of the proofs one by one: −w in both
//     proofs makes v_1 = v_2 = −1 and passes iff c is odd, −w in the second
//     alone iff c is even (each proof alone fails). It does not need to
//     be: the relation Πaff-g is used for in GG20 is
//       R' = {(x, y): x ∈ ±2^(ℓ+ε), y ∈ ±2^(ℓ'+ε), X = x·g, Y = y·g,
//             Dec_N0(D) ≡ x·Dec_N0(C) + y (mod N0)},
//     which is Πaff-g's relation with the nonce ρ quantified away: by the
//     decomposition every D with that plaintext is C^x (1+N0)^y ρ^N0 for
//     exactly one ρ ∈ Z*_N0, so the residue part carries no information
//     about x and y. Every value that GG20 takes from a response (Alice's
//     α = Dec(D), Bob's β = −y mod q, the points Y that the reveal rounds
//     check shares against) depends on the plaintext and the points only.
//     The extraction of (x, y) — two accepting transcripts with the same
//     first message and challenges e ≠ e' — uses the ring-Pedersen
//     equations (strong RSA in the verifier's N̂), the group equations and
//     the plaintext part of the Paillier equation, all of which the pair
//     enforces per proof by (a). So a prover that passes the pair yields
//     (x, y) ∈ R' for each statement with the knowledge error of a single
//     proof plus ≤ Q·2^-128, and the MtA it answers is correct
//     (α + β ≡ k·x mod q, |α| bounded) whatever its residue parts are.
// So the combination is sound against the relation actually needed; what
// it changes is only whether a prover who plants elements of small order
// in the nonces is caught. GG20's identification needs that decision to be
// the same wherever it is made, and it is by construction: round 2 (Alice,
// with her secrets), the complaint judge (no secrets) and the δ / σ reveal
// rounds (everyone, no secrets: the reveals carry each Bob's two round-2
// responses and re-check them with this function, hence the same c) all
// call VerifyPiAffGPair on the same statements and proofs, and its
// decision does not depend on the secrets passed (only its cost does). An
// honest Alice who accepted a pair is never contradicted by a reveal, and
// a pair she rejected is rejected by the judge.
//
// Fallback: if anything of the pair fails, both proofs are verified again
// one by one with VerifyPiAffG, in order, and the first failure is
// returned with its index: the same proof and the same error as two
// VerifyPiAffG calls. (A failing combination implies that one of them
// fails: two holding equations hold combined for every c.) When the two
// statements do not share N0 and C, VerifyPiAffGPair is exactly those two
// calls.
inline constexpr size_t kPiAffGCombinerBits = 128;

struct PiAffGPairEntry {
  const PiAffGStatement& statement;
  const PiAffGProof& proof;
  const ProofContext& context;
  // Receives Dec(D), centered, as PiAffGVerifierSecrets::d_plaintext_out
  // (only with the key and c_plaintext; set when this entry verified, so
  // on failure only the failing entry's and later ones are unset).
  BigInt* d_plaintext_out = nullptr;
};

// OK, or the failing proof (0 = first, 1 = second) and VerifyPiAffG's
// error for it.
struct PiAffGPairResult {
  absl::Status status;
  size_t failed = 0;
};

// Verifies both proofs (the combined decision above: the one of
// VerifyPiAffG on the first, then on the second, but for elements of small
// order in the nonces; on rejection VerifyPiAffG's error and index).
// `secrets.d_plaintext_out` is not used: each entry has its own.
PiAffGPairResult VerifyPiAffGPair(const PiAffGPairEntry& first,
                                  const PiAffGPairEntry& second,
                                  const PiAffGVerifierSecrets& secrets);

// The combiner c ∈ [0, 2^kPiAffGCombinerBits) of VerifyPiAffGPair
// (exposed for tests): Transcript "nitro-tss/pi_aff_g_point/pair-combiner/v1"
// over each entry's context, statement and complete proof, in order.
BigInt PiAffGPairCombiner(const PiAffGStatement& first_statement,
                          const PiAffGProof& first_proof,
                          const ProofContext& first_context,
                          const PiAffGStatement& second_statement,
                          const PiAffGProof& second_proof,
                          const ProofContext& second_context);

v1::PiAffGProof PiAffGProofToProto(const PiAffGProof& proof);
// Strict decoding: every field present and canonical; elements of Z_N̂ and
// Z_N at most kMaxModulusBytes, of Z_{N²} at most kMaxModulusSquaredBytes,
// z1 at most BytesForBits(ℓ+ε), z2 BytesForBits(ℓ'+ε), z3/z4
// kMaxMaskedCommitmentBytes magnitude bytes; B_x, B_y 33-byte compressed
// points.
// Errors: "pi_aff_g: ...".
absl::StatusOr<PiAffGProof> PiAffGProofFromProto(const v1::PiAffGProof& proto);

namespace internal {
// The prover without witness checks, so tests can show that a cheating Bob
// (x or y out of range: Alpha-Rays) is caught by the verifier. Never call it
// elsewhere.
PiAffGProof ProvePiAffGUnchecked(const PiAffGStatement& statement,
                                 const PiAffGWitness& witness,
                                 const ProofContext& context,
                                 RandomSource& rng);
}  // namespace internal

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PI_AFF_G_H_
