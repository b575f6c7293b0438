// Πprm: proof that ring-Pedersen parameters are well formed, i.e. the
// prover knows λ with s = t^λ mod N̂ (CGGMP21, Fig. 17).
//
// Statement: RingPedersenParams (N̂, s, t) — already validated by
// RingPedersenParams::Create (exact N̂ size, s, t ∈ Z*_N̂, not ±1).
// Witness: RingPedersenSecret (λ, φ(N̂), and p̂, q̂ for CRT).
//
// For i < kPiPrmRepetitions: a_i ← Z_φ(N̂), A_i = t^{a_i} mod N̂. The
// transcript Transcript::ForProof("pi_prm", ctx) absorbs the repetition
// count, N̂, s, t and all A_i, then squeezes kPiPrmRepetitions independent
// challenge bits e_i.
// z_i = a_i + e_i·λ mod φ(N̂). Verifier: t^{z_i} = A_i · s^{e_i} mod N̂.
//
// Verifier errors (InvalidArgument), in check order:
//   "pi_prm: expected 128 commitments, got <k>"
//   "pi_prm: expected 128 responses, got <k>"
//   for i = 0, 1, ...: "pi_prm: A[i] not in Z*_N",
//                      "pi_prm: z[i] out of range [0, N)"
//   "pi_prm: t^z[i] != A[i] s^e[i] mod N"
#ifndef NITRO_TSS_MPC_ZK_PI_PRM_H_
#define NITRO_TSS_MPC_ZK_PI_PRM_H_

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/transcript/transcript.h"
#include "nitro_tss/mpc/v1/paillier_proofs.pb.h"

namespace nitro_tss::mpc::zk {

// Binary challenges: soundness error 2^-128 (CGGMP21's minimum is 80).
inline constexpr size_t kPiPrmRepetitions = 128;

// Statements and witnesses hold references, as the MtA proofs' do: the
// referenced values must outlive them.
struct PiPrmStatement {
  const RingPedersenParams& ring_pedersen;  // (N̂, s, t)
};

struct PiPrmWitness {
  const RingPedersenSecret& secret;  // λ with s = t^λ, φ(N̂), p̂, q̂
};

struct PiPrmProof {
  std::vector<BigInt> commitments;  // A_i
  std::vector<BigInt> responses;    // z_i
};

// Proves knowledge of λ for statement.ring_pedersen. Returns the proof, or
// InvalidArgument "pi_prm: witness does not match statement" when
// witness.secret is not the trapdoor of statement.ring_pedersen (its params
// differ). Never fails otherwise.
absl::StatusOr<PiPrmProof> ProvePiPrm(const PiPrmStatement& statement,
                                      const PiPrmWitness& witness,
                                      const ProofContext& context,
                                      RandomSource& rng);

// Verifies `proof` for `statement` in `context`. Returns OK, or
// InvalidArgument with the first failing check (the list in the file
// comment, in that order; the equations also fail in any other context).
absl::Status VerifyPiPrm(const PiPrmStatement& statement,
                         const PiPrmProof& proof, const ProofContext& context);

// Wire encoding.
v1::PiPrmProof PiPrmProofToProto(const PiPrmProof& proof);
// Strict decoding. Returns the proof, or InvalidArgument, in this order:
//   "pi_prm: unknown fields present"
//   "pi_prm: expected 128 commitments, got <k>"
//   "pi_prm: expected 128 responses, got <k>"
//   "pi_prm: field A[i]: ..." for each commitment, then "pi_prm: field
//   z[i]: ..." for each response (missing, not canonical, or longer than
//   256 bytes). Ranges and membership are VerifyPiPrm's.
absl::StatusOr<PiPrmProof> PiPrmProofFromProto(const v1::PiPrmProof& proto);

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PI_PRM_H_
