// Πaff-g: Paillier affine operation with group commitment in range
// (CGGMP21 Fig. 15).
//
// Statement: the verifier's Paillier key N0 (C and D are under it), the
// prover's Paillier key N1 (Y is under it), the verifier's ring-Pedersen
// parameters (N̂, s, t), ciphertexts C, D ∈ Z*_{N0²}, Y ∈ Z*_{N1²}, a base
// point g and a point X (neither the identity).
// Witness: x ∈ ±2^ℓ, y ∈ ±2^ℓ', ρ ∈ Z*_{N0}, ρ_y ∈ Z*_{N1} with
//   D = C^x · (1+N0)^y · ρ^N0 mod N0²,  Y = (1+N1)^y · ρ_y^N1 mod N1²,
//   X = x·g.
//
//   prover:   α ← ±2^(ℓ+ε), β ← ±2^(ℓ'+ε), r ← Z*_{N0}, r_y ← Z*_{N1},
//             γ, δ ← ±2^(ℓ+ε)·N̂, m, μ ← ±2^ℓ·N̂
//             A = C^α (1+N0)^β r^N0 mod N0², B_x = α·g,
//             B_y = (1+N1)^β r_y^N1 mod N1², E = s^α t^γ, S = s^x t^m,
//             F = s^β t^δ, T = s^y t^μ (mod N̂)
//   challenge e ∈ ±q from Transcript::ForProof("cggmp21/pi_aff_g", ctx) over
//             (ℓ, ℓ', ε, N0, N1, N̂, s, t, C, D, Y, X, g, S, T, A, B_x,
//             B_y, E, F)
//   response: z1 = α + e·x, z2 = β + e·y, z3 = γ + e·m, z4 = δ + e·μ,
//             w = r·ρ^e mod N0, w_y = r_y·ρ_y^e mod N1
//   verifier: z1 ∈ ±2^(ℓ+ε), z2 ∈ ±2^(ℓ'+ε),
//             C^z1 (1+N0)^z2 w^N0 = A·D^e mod N0²,
//             (1+N1)^z2 w_y^N1 = B_y·Y^e mod N1², z1·g = B_x + e·X,
//             s^z1 t^z3 = E·S^e, s^z2 t^z4 = F·T^e (mod N̂)
//
// In GG20's MtA / MtAwc, Bob proves to Alice that D = K^x · enc_N0(y) was
// formed with x = his share behind X = x·G (γ_i·G = Γ_i, or W_i) and a mask
// y in range: the range checks are the defence against Alpha-Rays.
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
  const PaillierPublicKey& paillier1;       // N1 (the prover's key)
  const RingPedersenParams& ring_pedersen;  // (N̂, s, t) of the verifier
  const BigInt& cap_c;                      // C under N0
  const BigInt& cap_d;                      // D under N0
  const BigInt& cap_y;                      // Y under N1
  const Point& base;                        // g
  const Point& cap_x;                       // X
};

struct PiAffGWitness {
  const BigInt& x;      // in ±2^ℓ
  const BigInt& y;      // in ±2^ℓ'
  const BigInt& rho;    // nonce of the enc_N0(y) part of D, in Z*_{N0}
  const BigInt& rho_y;  // nonce of Y, in Z*_{N1}
  // The prover's private key for N1 (optional): B_y by its fixed-base
  // encryption (FreshEncryption in nonce_pool.h).
  const PaillierPrivateKey* own_key = nullptr;
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
  Point cap_b_x;               // B_x
  BigInt cap_b_y, cap_e, cap_f;
  BigInt z1, z2, z3, z4, w, w_y;
};

// Proves the statement. Refuses ("pi_aff_g: ..."): x outside ±2^ℓ
// ("pi_aff_g: witness x out of range"), y outside ±2^ℓ' ("pi_aff_g: witness
// y out of range"), ρ / ρ_y not units, g or X the identity, C not in
// Z*_{N0^2} ("pi_aff_g: C not in Z*_{N0^2}"), X != x·g, an
// own_key not matching N1. D and Y are not recomputed (each would cost an
// N-th power): a mismatch yields a proof every verifier rejects.
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
// ("pi_aff_g: <check>"): g / X / B_x the point at infinity; C, D not in
// Z*_{N0^2}; Y not in Z*_{N1^2}; S, T, E, F not in Z*_{Nhat}; A not in
// Z*_{N0^2}; B_y not in Z*_{N1^2}; w not in Z*_{N0}; w_y not in Z*_{N1};
// z1 out of range (|z1| > 2^(ℓ+ε)); z2 out of range (|z2| > 2^(ℓ'+ε));
// z3, z4 out of range (> 2^(ℓ+ε+1)·N̂); then "N0 equation failed",
// "N1 equation failed", "group equation failed", "ring-pedersen x equation
// failed", "ring-pedersen y equation failed".
absl::Status VerifyPiAffG(const PiAffGStatement& statement,
                          const PiAffGProof& proof, const ProofContext& context,
                          const PiAffGVerifierSecrets& secrets = {});

// ---------------------------------------------------------------------
// Two proofs by one prover to one verifier, checked together
// (VerifyPiAffGPair: GG20's Alice checking Bob's MtA for γ and MtAwc for w,
// and everyone re-checking the pair in presign's reveal rounds, issue 16).
//
// Both statements have the verifier's key N0, the prover's key N1 and the
// same C (Alice's K). The pair checks everything of each proof exactly as
// VerifyPiAffG (membership, ranges, the group and both ring-Pedersen
// equations) except the two Paillier equations, each of which it checks
// ONCE for both proofs with a combiner c: with u_i = lhs_i / rhs_i the
// ratio of proof i's equation,
//
//   N0:  u_N0,1 · u_N0,2^c = 1 (mod N0²), i.e.
//        C^(z1+c·z1') (1+N0)^(z2+c·z2') (w·w'^c)^N0
//                                     = A·A'^c · D^e · D'^(c·e')  (mod N0²)
//   N1:  (1+N1)^(z2+c·z2') (w_y·w_y'^c)^N1
//                                     = B_y·B_y'^c · Y^e · Y'^(c·e')  (mod N1²)
//
// (x^N mod N² depends on x mod N only, so w·w'^c is reduced mod N0). With
// the verifier's key and Dec(C) = k the N0 equation is checked by its two
// halves (above; the same decision): the residue half mod p, q and the
// plaintext half
//   (z1 + c·z1')·k + (z2 + c·z2') ≡ Dec(A·A'^c) + e·Dec(D) + c·e'·Dec(D')
//                                                              (mod N0)
// with one decryption (A·A'^c) where the proofs alone need two; Dec(D),
// Dec(D') are the MtA shares, needed anyway. Without Dec(C) (a complaint
// judge, a reveal round) the N0 equation is checked whole mod N0² (by CRT
// mod p², q² if the key is given). Either way it is the same decision: the
// pair's outcome does not depend on who checks it. c is uniform in [0, 2^128)
// from a transcript (PiAffGPairCombiner) over both contexts, both
// statements and both complete proofs (including the responses), so every
// value the equations depend on is fixed before c.
//
// Soundness. Z*_{N²} = ⟨1+N⟩ × R_N (R_N = {r^N} ≅ Z*_N, a direct product
// because gcd(N, φ(N)) = 1: the verifier's own key for N0, Πmod for N1);
// write u = (1+N)^a · v with a = Dec(u) ∈ Z_N and v ∈ R_N. A Paillier
// equation of one proof holds iff a = 0 and v = 1; the combination holds
// iff a_1 + c·a_2 ≡ 0 (mod N) and v_1·v_2^c = 1.
// (a) Plaintext parts. If a_2 ≢ 0, let g = gcd(a_2, N) ≠ N; c·a_2 ≡ −a_1
//     forces c to at most one residue modulo N/g ∈ {p, q, N}, at least the
//     smallest prime factor of N: > 2^1023 for the verifier's N0, > 2^256
//     for the prover's N1 by Πfac (mpc/zk/pi_fac.h). So at most one
//     c ∈ [0, 2^128) passes, hit by each hash query with probability
//     2^-128 (random oracle; the bound holds for every a_1, a_2, so the
//     prover's choices do not help); if a_2 ≡ 0 the equation says a_1 ≡ 0.
//     Z_N has no subgroup of order < 2^256: a passing pair has a_1 = a_2 = 0
//     in both equations except with probability ≤ 2·Q·2^-128 over Q hash
//     queries.
// (b) Residue parts. These are where Z*_{N²} has its elements of small
//     order (R_N ≅ Z*_N contains −1 = (−1)^N and, for the owner of the
//     factorization, any order dividing p−1 or q−1), and where the
//     combination is NOT the decision of the proofs one by one: −w_y in
//     both proofs makes v_1 = v_2 = −1 and passes iff c is odd, −w_y in the
//     second alone iff c is even (each proof alone fails). It does not need
//     to be: the relation Πaff-g is used for in GG20 is
//       R' = {(x, y): x ∈ ±2^(ℓ+ε), y ∈ ±2^(ℓ'+ε), X = x·g,
//             Dec_N0(D) ≡ x·Dec_N0(C) + y (mod N0), Dec_N1(Y) ≡ y (mod N1)},
//     which is Πaff-g's relation with the nonces ρ, ρ_y quantified away:
//     by the decomposition every D with that plaintext is C^x (1+N0)^y ρ^N0
//     for exactly one ρ ∈ Z*_N0 (and Y likewise), so the residue parts
//     carry no information about x and y. Every value that GG20 takes
//     from a response (Alice's α = Dec(D), Bob's β = −y, the F = Y that the
//     σ reveal's Πlog* opens with Bob's own nonce, the D's summed into C_j in
//     the δ reveal, opened with the owner's key) depends on the
//     plaintexts only. The extraction of (x, y) — two accepting
//     transcripts with the same first message and challenges e ≠ e' —
//     uses the ring-Pedersen equations (z1 − z1', z2 − z2' divisible by
//     e − e' over the integers, strong RSA in the verifier's N̂), the group
//     equation and the plaintext parts of the Paillier equations (e − e' is
//     invertible mod N0 and N1, whose factors exceed q), all of which the
//     pair enforces per proof by (a). So a prover that passes the pair
//     yields (x, y) ∈ R' for each statement with the knowledge error of a
//     single proof plus ≤ 2·Q·2^-128, and the MtA it answers is correct
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
// statements do not share N0, N1 and C, VerifyPiAffGPair is exactly those
// two calls.
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
// (exposed for tests): Transcript "nitro-tss/pi_aff_g/pair-combiner/v1"
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
// kMaxMaskedCommitmentBytes magnitude bytes; B_x a 33-byte compressed point.
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
