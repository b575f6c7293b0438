// Πenc: range proof for a Paillier ciphertext (CGGMP21 Fig. 14,
// "Paillier Encryption in Range ZK").
//
// Statement: the prover's Paillier key N0, the verifier's ring-Pedersen
// parameters (N̂, s, t) and a ciphertext K ∈ Z*_{N0²}.
// Witness: k ∈ ±2^ℓ and ρ ∈ Z*_{N0} with K = (1+N0)^k · ρ^N0 mod N0².
//
//   prover:   α ← ±2^(ℓ+ε), μ ← ±2^ℓ·N̂, r ← Z*_{N0}, γ ← ±2^(ℓ+ε)·N̂
//             S = s^k t^μ mod N̂, A = (1+N0)^α r^N0 mod N0², C = s^α t^γ mod N̂
//   challenge e ∈ ±q from Transcript::ForProof("cggmp21/pi_enc", ctx) over
//             (ℓ, ℓ', ε, N0, N̂, s, t, K, S, A, C)
//   response: z1 = α + e·k, z2 = r·ρ^e mod N0, z3 = γ + e·μ
//   verifier: z1 ∈ ±2^(ℓ+ε), (1+N0)^z1 · z2^N0 = A · K^e mod N0²,
//             s^z1 t^z3 = C · S^e mod N̂
//
// In GG20's MtA, Alice proves to each Bob that her K = enc(k) has k in
// range, against Bob's ring-Pedersen parameters (so the verifier owns N̂
// and may pass its RingPedersenSecret to verify faster).
#ifndef NITRO_TSS_MPC_ZK_PI_ENC_H_
#define NITRO_TSS_MPC_ZK_PI_ENC_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
struct PiEncStatement {
  const PaillierPublicKey& paillier;        // N0 (the prover's key)
  const RingPedersenParams& ring_pedersen;  // (N̂, s, t) of the verifier
  const BigInt& cap_k;                      // K
};

struct PiEncWitness {
  const BigInt& k;    // plaintext, in ±2^ℓ
  const BigInt& rho;  // nonce of K, in Z*_{N0}
  // The prover's own private key for N0 (optional): A by its fixed-base
  // encryption (FreshEncryption in nonce_pool.h). Must match
  // statement.paillier when given.
  const PaillierPrivateKey* own_key = nullptr;
  // Precomputation for the verifier's ring-Pedersen params (optional,
  // RingPedersenTable in ring_pedersen_table.h): faster constant-time
  // commitments. Must be built for statement's ring-Pedersen params.
  const RingPedersenTable* verifier_table = nullptr;
  // Optional output: when non-null, receives the randomness μ of the proof's
  // S = s^k t^μ mod N̂ (|μ| <= 2^ℓ·N̂), e.g. for a later Πlog-rp on that S
  // (mpc/zk/pi_log_rp.h). Secret: the caller wipes it after use. Left
  // unchanged when the prover refuses. Null (default): μ is wiped.
  BigInt* mu_out = nullptr;
};

struct PiEncProof {
  BigInt cap_s, cap_a, cap_c;  // S, A, C
  BigInt z1, z2, z3;
};

// Proves the statement. Refuses (InvalidArgument, "pi_enc: ...") a witness
// outside the relation's ranges (k outside ±2^ℓ: "pi_enc: witness k out of
// range"; ρ not in Z*_{N0}) and an own_key not matching N0. K = enc(k; ρ)
// is not recomputed (it would cost an N0-th power): a K that does not match
// yields a proof every verifier rejects.
absl::StatusOr<PiEncProof> ProvePiEnc(const PiEncStatement& statement,
                                      const PiEncWitness& witness,
                                      const ProofContext& context,
                                      RandomSource& rng);

// Verifies a proof. Membership and range checks come first, in this order,
// each with its own error ("pi_enc: <check>"):
//   K not in Z*_{N0^2}; S, C not in Z*_{Nhat}; A not in Z*_{N0^2};
//   z2 not in Z*_{N0}; z1 out of range (|z1| > 2^(ℓ+ε));
//   z3 out of range (|z3| > 2^(ℓ+ε+1)·N̂);
// then the equations: "pi_enc: paillier equation failed",
// "pi_enc: ring-pedersen equation failed".
// `verifier_secret` (optional) is the verifier's own RingPedersenSecret for
// statement.ring_pedersen: the ring-Pedersen equation is then checked by CRT
// with exponents reduced mod p̂-1, q̂-1 (same accept/reject decisions). It
// must belong to statement.ring_pedersen (else InvalidArgument).
absl::Status VerifyPiEnc(const PiEncStatement& statement,
                         const PiEncProof& proof, const ProofContext& context,
                         const RingPedersenSecret* verifier_secret = nullptr);

v1::PiEncProof PiEncProofToProto(const PiEncProof& proof);
// Strict decoding: every field present and canonical; S, C at most
// kMaxModulusBytes, A at most kMaxModulusSquaredBytes, z2 at most
// kMaxModulusBytes, z1 at most BytesForBits(ℓ+ε), z3 at most
// kMaxMaskedCommitmentBytes magnitude bytes. Errors: "pi_enc: ...".
// Group membership and exact ranges are checked by VerifyPiEnc.
absl::StatusOr<PiEncProof> PiEncProofFromProto(const v1::PiEncProof& proto);

namespace internal {
// The prover without the witness checks. Exists only so tests can show that
// a cheating prover (k out of range) is caught by the verifier; never call
// it elsewhere.
PiEncProof ProvePiEncUnchecked(const PiEncStatement& statement,
                               const PiEncWitness& witness,
                               const ProofContext& context, RandomSource& rng);
}  // namespace internal

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PI_ENC_H_
