// Πfac: "no small factor" proof for a Paillier modulus N0 = p·q, against
// the VERIFIER's ring-Pedersen parameters (N̂, s, t) (CGGMP21, Fig. 28,
// §C.5). Shows |p|, |q| ≤ 2^{ℓ+ε}·√N0, hence neither factor is below
// about 2^{1024-ℓ-ε} = 2^256 for 2048-bit N0.
//
// Constants (the paper's): ℓ = kPiFacEll = 256 (bits of the curve order),
// ε = kPiFacEpsilon = 512 (= 2ℓ). Challenge e ← ±q (secp256k1 order).
//
// Prover samples α, β ← ±2^{ℓ+ε}·⌊√N0⌋; μ, ν ← ±2^ℓ·N̂; σ ← ±2^ℓ·N0·N̂;
// r ← ±2^{ℓ+ε}·N0·N̂; x, y ← ±2^{ℓ+ε}·N̂, and sends
//   P = s^p t^μ, Q = s^q t^ν, A = s^α t^x, B = s^β t^y, T = Q^α t^r, σ.
// The transcript Transcript::ForProof("pi_fac", ctx) absorbs ℓ, ε, N0, N̂,
// s, t, P, Q, A, B, T, σ and yields e. Responses: z1 = α + e·p,
// z2 = β + e·q, w1 = x + e·μ, w2 = y + e·ν, v = r + e·(σ − ν·p).
//
// Verifier checks, in order (InvalidArgument "pi_fac: ..."):
//   "N0 has <k> bits, expected exactly 2048"
//   "P not in Z*_Nhat" (likewise Q, A, B, T)
//   "sigma out of range"          |σ| ≤ 2^ℓ·N0·N̂
//   "z1 out of range"             |z1| ≤ 2^{ℓ+ε}·√N0 (as z1² ≤ 2^{2(ℓ+ε)}N0)
//   "z2 out of range"             same for z2
//   "w1 out of range", "w2 out of range"   |w| ≤ 2^{ℓ+ε+1}·N̂
//   "v out of range"              |v| ≤ 2^{ℓ+ε+1}·N0·N̂
//   "s^z1 t^w1 != A P^e mod Nhat"
//   "s^z2 t^w2 != B Q^e mod Nhat"
//   "Q^z1 t^v != T R^e mod Nhat"  (R = s^N0 t^σ)
// (the w and v bounds are size limits an honest proof always meets; the
// paper's soundness relies on the z bounds.)
#ifndef NITRO_TSS_MPC_ZK_PI_FAC_H_
#define NITRO_TSS_MPC_ZK_PI_FAC_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/transcript/transcript.h"
#include "nitro_tss/mpc/v1/paillier_proofs.pb.h"

namespace nitro_tss::mpc::zk {

inline constexpr size_t kPiFacEll = 256;
inline constexpr size_t kPiFacEpsilon = 512;

// Statements and witnesses hold references, as the MtA proofs' do: the
// referenced values must outlive them.
struct PiFacStatement {
  const BigInt& n0;                         // N0 (the prover's modulus)
  const RingPedersenParams& ring_pedersen;  // (N̂, s, t) of the verifier
};

struct PiFacWitness {
  const BigInt& p;
  const BigInt& q;
};

struct PiFacProof {
  BigInt p_commit, q_commit, a, b, t;  // P, Q, A, B, T
  BigInt sigma;
  BigInt z1, z2, w1, w2, v;
};

// Proves that N0 = p·q has no small factor, under the verifier's
// ring-Pedersen parameters. Returns the proof, or InvalidArgument:
//   "pi_fac: N0 has <k> bits, expected exactly 2048"
//   "pi_fac: witness does not factor N0"   (p·q != N0, or p, q <= 1)
// Nothing else is checked: a witness with a small factor yields a proof the
// verifier rejects ("z1/z2 out of range").
absl::StatusOr<PiFacProof> ProvePiFac(const PiFacStatement& statement,
                                      const PiFacWitness& witness,
                                      const ProofContext& context,
                                      RandomSource& rng);

// Verifies `proof` for `statement` in `context`. Returns OK, or
// InvalidArgument with the first failing check (the list in the file
// comment, in that order; the first equation also fails in any other
// context).
absl::Status VerifyPiFac(const PiFacStatement& statement,
                         const PiFacProof& proof, const ProofContext& context);

// Wire encoding.
v1::PiFacProof PiFacProofToProto(const PiFacProof& proof);
// Strict decoding. Returns the proof, or InvalidArgument, in this order:
//   "pi_fac: unknown fields present"
//   "pi_fac: field <F>: ..." for F = P, Q, A, B, T, sigma, z1, z2, w1, w2, v
//   (missing, not canonical, or longer than the size limit implied by its
//   bound above). Exact ranges and membership are VerifyPiFac's.
absl::StatusOr<PiFacProof> PiFacProofFromProto(const v1::PiFacProof& proto);

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PI_FAC_H_
