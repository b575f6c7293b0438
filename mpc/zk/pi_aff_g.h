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
// issue 16).
//
// Both statements have the verifier's key N0 and the same C (Alice's K).
// With the verifier's key and Dec(C) (PiAffGVerifierSecrets::c_plaintext),
// each proof's N0 equation is checked by halves (above); the pair checks
// everything of each proof exactly as VerifyPiAffG (membership, ranges,
// the residue half of N0 mod p, q, N1, group, ring-Pedersen) except the
// plaintext halves, which it checks as ONE equation with a combiner c:
//
//   (z1 + c·z1')·k + (z2 + c·z2') ≡ Dec(A·A'^c) + e·Dec(D) + c·e'·Dec(D')
//                                                           (mod N0)
//
// (k = Dec(C); Dec is a homomorphism, so Dec(A·A'^c) = Dec(A) + c·Dec(A')
// mod N0): one decryption (of A·A'^c) instead of two (A, A'); Dec(D) and
// Dec(D') are the MtA shares and are needed anyway. c is uniform in
// [0, 2^128) from a transcript (PiAffGPairCombiner) over both contexts, both
// statements and both complete proofs (including the responses), so every
// value the equation depends on except k is fixed before c.
//
// Soundness (the decision is the one of two VerifyPiAffG calls except with
// probability ≤ Q·2^-128 for a prover making Q hash queries): let
// a_i = z1_i·k + z2_i − Dec(A_i) − e_i·Dec(D_i) mod N0 (proof i's
// plaintext half holds iff a_i ≡ 0). The pair's equation is
// a_1 + c·a_2 ≡ 0 (mod N0). If both halves hold it holds for every c, so the
// pair never rejects an honest pair. If a_2 ≢ 0, let g = gcd(a_2, N0) ≠ N0;
// then c·a_2 ≡ −a_1 (mod N0) forces c to one residue modulo N0/g > 1, a
// divisor of N0 = p·q, hence ≥ min(p, q) > 2^1023 > 2^128: at most one
// c ∈ [0, 2^128) passes, and each hash query hits it with probability
// 2^-128 (random oracle; k enters a_i but is fixed before c as well, and
// the bound holds for every a_1, a_2). If a_2 ≡ 0 the equation says
// a_1 ≡ 0. Z_N0 has no small subgroups (its prime factors are the
// verifier's own 1024-bit primes), so there is no small-order escape here.
//
// Not combined, on purpose (each stays per proof, as in VerifyPiAffG):
// the residue half of N0 (mod p, q) and the N1 equation. Combining them as
// u1·u2^c = 1 (u_i each equation's ratio lhs/rhs) is *sound*: in
// Z*_{N²} ≅ ⟨1+N⟩ × {r^N} (gcd(N, φ(N)) = 1: Πmod) write u = (1+N)^a·v^N;
// the plaintext parts give a_1 + c·a_2 ≡ 0 (mod N), so as above a_1 ≡ a_2 ≡ 0
// except with probability ≤ 2^-128 (N1's factors are > 2^128 by Πfac), and
// then u_i = v_i^N and the nonce w_y/v_i (w/v_i) makes each proof's equation
// hold with every other value unchanged, so each proof's extraction (x, y
// from z1, z2) is as before. But it is not the same *decision*: elements of
// small order in Z*_{N²} have order coprime to N and are N-th residues (e.g.
// −1 = (−1)^N), so v1·v2^c = 1 can hold with v_i ≠ 1; a prover who replaces
// w_y by −w_y in both proofs passes a combined N1 check whenever c is odd
// (probability 1/2; −w in N0's residue half likewise, and the prover owns
// N1's factorization, so it can use any small order of Z*_{N1}), although
// each proof fails VerifyPiAffG. GG20's identification needs the same
// decision everywhere: the δ and σ reveal rounds re-publish the responses
// Alice received and every party re-checks each one alone with
// VerifyPiAffG (no secret); one that fails names Alice, who reported it
// (mpc/gg20/README.md, audit finding 4). A Bob whose −w_y trick passed
// Alice's combined check and who then forces a reveal (a wrong δ_j) would
// get the honest Alice named with him. So only the plaintext halves, where
// the combined decision equals the individual one, are combined
// (docs/AUDIT.md, "Batched Πaff-g checks").
//
// Fallback: if anything of the pair fails, both proofs are verified again
// one by one with VerifyPiAffG, in order, and the first failure is
// returned with its index: the same proof and the same error as two
// VerifyPiAffG calls. Without the key or c_plaintext, or when the two
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

// Verifies both proofs (same decision and errors as VerifyPiAffG on the
// first, then on the second; see above). `secrets.d_plaintext_out` is not
// used: each entry has its own.
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
