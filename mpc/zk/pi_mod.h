// Πmod: proof that N is a Paillier–Blum modulus (CGGMP21, Fig. 16).
//
// Statement: N (exactly kPaillierModulusBits bits). Witness: p, q with
// N = p·q, p ≡ q ≡ 3 (mod 4).
//
// Prover: samples w ∈ Z*_N with Jacobi(w, N) = -1. The Fiat–Shamir
// transcript Transcript::ForProof("pi_mod", ctx) absorbs N and w, then
// squeezes kPiModRepetitions challenges y_i ∈ Z*_N (each its own draw).
// For each i the prover finds the unique (a_i, b_i) ∈ {0,1}² such that
// y'_i = (-1)^a_i w^b_i y_i is a quadratic residue mod p and mod q, and
// sends x_i = y'_i^{1/4} mod N (the fourth root that is itself a QR, via
// the exponent ((p+1)/4)² mod p-1 and CRT) and z_i = y_i^{N^-1 mod φ(N)}.
//
// Verifier checks, in this order, each failure with its own error:
//   "pi_mod: N has <k> bits, expected exactly 2048"
//   "pi_mod: N is even"
//   "pi_mod: N is prime"               (Baillie–PSW: never misses a prime)
//   "pi_mod: w not in Z*_N"
//   "pi_mod: w Jacobi symbol is not -1"
//   "pi_mod: expected 128 repetitions, got <k>"
//   "pi_mod: x[i] out of range (0, N)" / "pi_mod: z[i] out of range (0, N)"
//   "pi_mod: z[i]^N != y[i] mod N"
//   "pi_mod: x[i]^4 != (-1)^a w^b y[i] mod N"
#ifndef NITRO_TSS_MPC_ZK_PI_MOD_H_
#define NITRO_TSS_MPC_ZK_PI_MOD_H_

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/transcript/transcript.h"
#include "nitro_tss/mpc/v1/paillier_proofs.pb.h"

namespace nitro_tss::mpc {

// Number of repetitions (CGGMP21 uses m = 80; we use 128 for margin against
// challenge guessing).
inline constexpr size_t kPiModRepetitions = 128;

struct PiModStatement {
  BigInt n;
};

struct PiModWitness {
  BigInt p;
  BigInt q;
};

struct PiModRepetition {
  BigInt x;
  bool a = false;
  bool b = false;
  BigInt z;
};

struct PiModProof {
  BigInt w;
  std::vector<PiModRepetition> repetitions;
};

// Proves the statement. InvalidArgument ("pi_mod: witness ...") unless
// p·q = N, p != q and p ≡ q ≡ 3 (mod 4).
absl::StatusOr<PiModProof> ProvePiMod(const PiModStatement& statement,
                                      const PiModWitness& witness,
                                      const ProofContext& ctx,
                                      RandomSource& rng);

// OK iff the proof is valid for `statement` in context `ctx`; otherwise
// InvalidArgument with one of the messages listed above.
absl::Status VerifyPiMod(const PiModStatement& statement,
                         const PiModProof& proof, const ProofContext& ctx);

// Wire encoding; FromProto requires exactly kPiModRepetitions repetitions
// and every integer canonical and at most 256 bytes.
v1::PiModProof PiModProofToProto(const PiModProof& proof);
absl::StatusOr<PiModProof> PiModProofFromProto(const v1::PiModProof& proto);

// Adversarial-test hook: runs the prover's algorithm without checking that
// the witness is a Blum factorization (only p·q = N is required), so tests
// can show the verifier rejects what a cheating prover would send. Never
// use outside tests.
absl::StatusOr<PiModProof> ProvePiModUncheckedForTesting(
    const PiModStatement& statement, const PiModWitness& witness,
    const ProofContext& ctx, RandomSource& rng);

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_ZK_PI_MOD_H_
