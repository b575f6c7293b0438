// Πmod: proof that N is a Paillier–Blum modulus (CGGMP21, Fig. 16).
//
// Statement: N (exactly kPaillierModulusBits bits). Witness: p, q with
// N = p·q, p ≡ q ≡ 3 (mod 4).
//
// Prover: samples w ∈ Z*_N with Jacobi(w, N) = -1. The Fiat–Shamir
// transcript Transcript::ForProof("pi_mod", ctx) absorbs the repetition
// count, N and w, then squeezes kPiModRepetitions challenges y_i ∈ Z*_N
// (each its own draw). For each i the prover finds the unique
// (a_i, b_i) ∈ {0,1}² such that y'_i = (-1)^a_i w^b_i y_i is a quadratic
// residue mod p and mod q, and sends x_i = y'_i^{1/4} mod N (the fourth root
// that is itself a QR, via the exponent ((p+1)/4)² mod p-1 and CRT) and
// z_i = y_i^{N^-1 mod φ(N)}.
//
// Verifier: N's shape (size, odd, not prime, not a perfect power), w, then
// per repetition z_i^N = y_i and x_i^4 = (-1)^a_i w^b_i y_i mod N
// (VerifyPiMod lists every check and its error).
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

namespace nitro_tss::mpc::zk {

// Number of repetitions (CGGMP21 uses m = 80; we use 128 for margin against
// challenge guessing).
inline constexpr size_t kPiModRepetitions = 128;

// Statements and witnesses hold references, as the MtA proofs' do: the
// referenced values must outlive them.
struct PiModStatement {
  const BigInt& n;  // N
};

struct PiModWitness {
  const BigInt& p;
  const BigInt& q;
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

// Proves the statement. Returns the proof, or InvalidArgument:
//   "pi_mod: witness: a factor is not congruent to 3 mod 4" (or negative)
//   "pi_mod: witness does not factor N"   (p·q != N, p = q, p or q <= 2)
//   "pi_mod: witness: gcd(N, phi(N)) != 1", "pi_mod: witness: p, q not
//   coprime"
// N's size is not checked here (VerifyPiMod does).
absl::StatusOr<PiModProof> ProvePiMod(const PiModStatement& statement,
                                      const PiModWitness& witness,
                                      const ProofContext& context,
                                      RandomSource& rng);

// Verifies `proof` for `statement` in `context`. Returns OK, or
// InvalidArgument with the first failing check, in this order:
//   "pi_mod: N has <k> bits, expected exactly 2048"
//   "pi_mod: N is even"
//   "pi_mod: N is prime"               (Baillie–PSW: never misses a prime)
//   "pi_mod: N is a perfect power"
//   "pi_mod: w not in Z*_N"
//   "pi_mod: w Jacobi symbol is not -1"
//   "pi_mod: expected 128 repetitions, got <k>"
//   "pi_mod: x[i] out of range (0, N)" / "pi_mod: z[i] out of range (0, N)"
//   "pi_mod: z[i]^N != y[i] mod N"     (also any other context)
//   "pi_mod: x[i]^4 != (-1)^a w^b y[i] mod N"
absl::Status VerifyPiMod(const PiModStatement& statement,
                         const PiModProof& proof, const ProofContext& context);

// Wire encoding.
v1::PiModProof PiModProofToProto(const PiModProof& proof);
// Strict decoding. Returns the proof, or InvalidArgument, in this order:
//   "pi_mod: unknown fields present"
//   "pi_mod: expected 128 repetitions, got <k>"
//   "pi_mod: field w: ...", then per repetition i "pi_mod: field x[i]: ...",
//   "pi_mod: field z[i]: ..." (missing, not canonical, or longer than 256
//   bytes). Ranges and group membership are VerifyPiMod's.
absl::StatusOr<PiModProof> PiModProofFromProto(const v1::PiModProof& proto);

namespace internal {
// The prover without the Blum check (only p·q = N is required, with the
// errors of ProvePiMod after its first one), so tests can show that the
// verifier rejects what a cheating prover would send. Never call it
// elsewhere.
absl::StatusOr<PiModProof> ProvePiModUnchecked(const PiModStatement& statement,
                                               const PiModWitness& witness,
                                               const ProofContext& context,
                                               RandomSource& rng);
}  // namespace internal

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PI_MOD_H_
