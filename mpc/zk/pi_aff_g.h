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
//   challenge e ∈ ±q from Transcript::ForProof(
//             "nitro-tss/pi_aff_g_point/v2", ctx) over (ℓ, ℓ', ε, N0, N̂,
//             s, t, C, D, X, Y, g, S, T, B_x, B_y, E, F, A)
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

#include <utility>

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
// Two statements proven together with one Paillier commitment (GG20's
// Bob answering one Alice's K with his MtA for γ and his MtAwc for w,
// issue 16): ProvePiAffGPair / VerifyPiAffGPair.
//
// Both statements have the verifier's N0, (N̂, s, t), the same C (Alice's
// K) and the same base point g (absorbed once); statement i has D_i, X_i,
// Y_i and witness (x_i, y_i, ρ_i).
// Each part i has the single proof's commitments S_i, T_i, B_x_i, B_y_i,
// E_i, F_i, responses z1_i..z4_i and its own challenge e_i, with the single
// proof's range, group and ring-Pedersen equations for e_i. The Paillier
// part is shared:
//
//   prover:   A = C^(α_1+α_2) (1+N0)^(β_1+β_2) r^N0 mod N0²,
//             (e_1, e_2) ∈ (±q)² from Transcript::ForProof(
//             "nitro-tss/pi_aff_g_point/pair/v2", ctx) over (ℓ, ℓ', ε, N0,
//             N̂, s, t, C, D_1, X_1, Y_1, g, S_1, T_1, B_x_1, B_y_1, E_1,
//             F_1, D_2, X_2, Y_2, S_2, T_2, B_x_2, B_y_2, E_2, F_2, A)
//             w = r·ρ_1^e_1·ρ_2^e_2 mod N0
//   verifier: C^(z1_1+z1_2) (1+N0)^(z2_1+z2_2) w^N0
//                                  = A · D_1^e_1 · D_2^e_2   (mod N0²)
//
// one N-th power under the verifier's key for the prover (r^N0) instead
// of one per statement, and one Paillier equation for the verifier.
//
// Soundness. Per part, the ring-Pedersen, group and range equations are
// those of a single Πaff-g with challenge e_i: two accepting transcripts
// with the same first message and e_i ≠ e_i' give (x_i, y_i) in range with
// X_i = x_i·g, Y_i = y_i·g, as in CGGMP21 (strong RSA in N̂). The
// commitments are binding (same assumption), so z1_i = α_i + e_i·x_i and
// z2_i = β_i + e_i·y_i over the integers for the openings (α_i, x_i) of
// E_i, S_i and (β_i, y_i) of F_i, T_i, all fixed by the first message.
// Write Dec for decryption under N0 (a homomorphism onto Z_N0 with
// Dec((1+N0)^m) = m, Dec(v^N0) = 0) and k = Dec(C). The plaintext part of
// the Paillier equation is
//   a_0 + e_1·a_1 + e_2·a_2 ≡ 0 (mod N0), with
//   a_0 = (α_1+α_2)·k + β_1 + β_2 − Dec(A),
//   a_i = x_i·k + y_i − Dec(D_i),
// where a_0, a_1, a_2 are fixed before (e_1, e_2) is drawn. If a_1 ≢ 0
// modulo a prime factor p of N0, then for each e_2 at most one residue of
// e_1 mod p passes, and p > 2^1023 exceeds the 2q+1 values of e_1: a hash
// query passes with probability ≤ 1/(2q+1) < 2^-256 (random oracle); the
// same for a_2. So a prover that passes with Q hash queries has
// Dec(D_i) ≡ x_i·Dec(C) + y_i (mod N0) for both statements except with
// probability ≤ Q·2^-255: the relation
//   R' = {(x, y): x ∈ ±2^(ℓ+ε+1), y ∈ ±2^(ℓ'+ε+1), X = x·g, Y = y·g,
//         Dec_N0(D) ≡ x·Dec_N0(C) + y (mod N0)}
// for each statement (the extracted x = Δz1/Δe has |Δz1| ≤ 2^(ℓ+ε+1)). R' is
// Πaff-g's relation with the nonce ρ quantified away: Z*_{N0²} = ⟨1+N0⟩ × R
// with R = {v^N0} ≅ Z*_{N0} (gcd(N0, φ(N0)) = 1 for the verifier's own key), so
// every D with that plaintext is C^x (1+N0)^y ρ^N0 for exactly one ρ. The
// residue part of the equation, v_A · v_1^e_1 · v_2^e_2 = 1 in R, is where
// Z*_{N0²} has elements of small order (−1, and any order dividing p−1 or q−1):
// a prover may plant them in its nonces and pass or fail with the parity of
// e_1, e_2, but nothing GG20 takes from a response depends on the residue part
// (Alice's α_i = Dec(D_i), Bob's β_i = −y_i mod q, the points Y_i the reveal
// rounds check shares against). The decision is a deterministic function of the
// statements and the proof: round 2 (Alice, with her secrets), the
// complaint judge and the reveal rounds (everyone, no secrets) all call
// VerifyPiAffGPair and decide alike, so an honest Alice who accepted a
// pair is never contradicted and a pair she rejected is rejected by all.
//
// Zero knowledge (honest verifier, statistical): the simulator draws
// z1_i..z4_i in their ranges, w ∈ Z*_{N0}, S_i, T_i uniform in ⟨t⟩ and
// (e_1, e_2), sets B_x_i = z1_i·g − e_i·X_i, B_y_i = z2_i·g − e_i·Y_i,
// E_i = s^z1_i t^z3_i S_i^-e_i, F_i = s^z2_i t^z4_i T_i^-e_i and
// A = C^(z1_1+z1_2) (1+N0)^(z2_1+z2_2) w^N0 · D_1^-e_1 · D_2^-e_2. In a
// real proof the z's hide x_i, y_i statistically (ε bits of slack, masks
// drawn independently per part), w = r·ρ_1^e_1·ρ_2^e_2 is uniform in
// Z*_{N0} because r is, and A is determined by the rest in both.
//
// Binding to the pair: one transcript covers both statements (X_1 = Γ of
// the MtA is part of the MtAwc's challenge and the reverse), so a part
// cannot be re-used with another first part, and neither verifies alone.
struct PiAffGPairProof {
  // Part 1; its cap_a and w are the pair's shared A and w.
  PiAffGProof first;
  // Part 2; cap_a and w are not used (zero) and absent on the wire
  // (PiAffGPairSecondFromProto).
  PiAffGProof second;
};

// Proves both statements (ProvePiAffG's witness checks on each, with its
// errors). The statements must share N0, the ring-Pedersen parameters, C
// and g ("pi_aff_g pair: statements do not share N0, C, g and the
// ring-Pedersen parameters"); the first witness's verifier_table and n0_nonces
// are used (A's r is taken from that pool); ρ_1, ρ_2 are the statements'
// nonces.
absl::StatusOr<PiAffGPairProof> ProvePiAffGPair(
    const PiAffGStatement& first_statement, const PiAffGWitness& first_witness,
    const PiAffGStatement& second_statement,
    const PiAffGWitness& second_witness, const ProofContext& context,
    RandomSource& rng);

// One statement of a pair and where its Dec(D) goes (as
// PiAffGVerifierSecrets::d_plaintext_out: centered, only with the key and
// c_plaintext, set only when the pair verified).
struct PiAffGPairEntry {
  const PiAffGStatement& statement;
  BigInt* d_plaintext_out = nullptr;
};

// Which part a pair's rejection concerns: the first, the second, or the
// shared part (A, w, the Paillier equation, statements not sharing N0 / C).
inline constexpr size_t kPiAffGPairShared = 2;

// OK, or the failing part (0 = first, 1 = second, kPiAffGPairShared) and
// the error.
struct PiAffGPairResult {
  absl::Status status;
  size_t failed = 0;
};

// Verifies a pair. Checks in this order, each with its own error: the
// statements share N0, C, g and the ring-Pedersen parameters (shared); the
// secrets match (as VerifyPiAffG); each part's points, units and ranges
// as VerifyPiAffG, first then second ("pi_aff_g: ..."); A not in
// Z*_{N0^2}, w not in Z*_{N0} (shared); then the shared Paillier equation
// ("pi_aff_g pair: N0 equation failed"); then each part's group x, group
// y, ring-Pedersen x and y equations, first then second (VerifyPiAffG's
// errors). `secrets.d_plaintext_out` is not used: each entry has its own.
// With the key and c_plaintext the Paillier equation is checked by its two
// halves (PiAffGVerifierSecrets: the residue half mod p, q, the plaintext
// half with Dec(A) and the Dec(D_i) that are the entries' outputs),
// otherwise whole mod N0²: the same decision either way.
PiAffGPairResult VerifyPiAffGPair(const PiAffGPairEntry& first,
                                  const PiAffGPairEntry& second,
                                  const PiAffGPairProof& proof,
                                  const ProofContext& context,
                                  const PiAffGVerifierSecrets& secrets);

// The pair's challenges (e_1, e_2), as the prover and the verifier derive
// them (exposed for tests).
std::pair<BigInt, BigInt> PiAffGPairChallenges(
    const PiAffGStatement& first_statement, const PiAffGProof& first_part,
    const PiAffGStatement& second_statement, const PiAffGProof& second_part,
    const ProofContext& context);

v1::PiAffGProof PiAffGProofToProto(const PiAffGProof& proof);
// Strict decoding: every field present and canonical; elements of Z_N̂ and
// Z_N at most kMaxModulusBytes, of Z_{N²} at most kMaxModulusSquaredBytes,
// z1 at most BytesForBits(ℓ+ε), z2 BytesForBits(ℓ'+ε), z3/z4
// kMaxMaskedCommitmentBytes magnitude bytes; B_x, B_y 33-byte compressed
// points.
// Errors: "pi_aff_g: ...".
absl::StatusOr<PiAffGProof> PiAffGProofFromProto(const v1::PiAffGProof& proto);
// A pair's second part (PiAffGPairProof::second): the same strict decoding,
// with A and w required absent ("pi_aff_g: A and w must be absent in a
// pair's second part"). PiAffGPairSecondToProto writes it (A and w left
// out).
v1::PiAffGProof PiAffGPairSecondToProto(const PiAffGProof& second);
absl::StatusOr<PiAffGProof> PiAffGPairSecondFromProto(
    const v1::PiAffGProof& proto);

namespace internal {
// The prover without witness checks, so tests can show that a cheating Bob
// (x or y out of range: Alpha-Rays) is caught by the verifier. Never call it
// elsewhere.
PiAffGProof ProvePiAffGUnchecked(const PiAffGStatement& statement,
                                 const PiAffGWitness& witness,
                                 const ProofContext& context,
                                 RandomSource& rng);
// The pair prover without witness checks (tests only, as above).
PiAffGPairProof ProvePiAffGPairUnchecked(
    const PiAffGStatement& first_statement, const PiAffGWitness& first_witness,
    const PiAffGStatement& second_statement,
    const PiAffGWitness& second_witness, const ProofContext& context,
    RandomSource& rng);
}  // namespace internal

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PI_AFF_G_H_
