// Πprm: proof that ring-Pedersen parameters are well formed, i.e. the
// prover knows λ with s = t^λ mod N̂ (CGGMP21, Fig. 17).
//
// Statement: RingPedersenParams (N̂, s, t) — already validated by
// RingPedersenParams::Create (exact N̂ size, s, t ∈ Z*_N̂, not ±1).
// Witness: RingPedersenSecret (λ, φ(N̂), and p̂, q̂ for CRT).
//
// For i < kPiPrmRepetitions: a_i ← Z_φ(N̂), A_i = t^{a_i} mod N̂. The
// transcript Transcript::ForProof("pi_prm", ctx) absorbs N̂, s, t and all
// A_i, then squeezes kPiPrmRepetitions independent challenge bits e_i.
// z_i = a_i + e_i·λ mod φ(N̂). Verifier: t^{z_i} = A_i · s^{e_i} mod N̂.
//
// Verifier errors, in check order:
//   "pi_prm: expected 128 commitments, got <k>"
//   "pi_prm: expected 128 responses, got <k>"
//   "pi_prm: A[i] not in Z*_N"
//   "pi_prm: z[i] out of range [0, N)"
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

namespace nitro_tss::mpc {

// Binary challenges: soundness error 2^-128 (CGGMP21's minimum is 80).
inline constexpr size_t kPiPrmRepetitions = 128;

struct PiPrmProof {
  std::vector<BigInt> commitments;  // A_i
  std::vector<BigInt> responses;    // z_i
};

// Proves knowledge of λ for `secret.params()`. Never fails for a valid
// RingPedersenSecret.
PiPrmProof ProvePiPrm(const RingPedersenSecret& secret, const ProofContext& ctx,
                      RandomSource& rng);

// OK iff valid; InvalidArgument with one of the messages above otherwise.
absl::Status VerifyPiPrm(const RingPedersenParams& params,
                         const PiPrmProof& proof, const ProofContext& ctx);

// Wire encoding; FromProto requires exactly kPiPrmRepetitions commitments
// and responses, each canonical and at most 256 bytes.
v1::PiPrmProof PiPrmProofToProto(const PiPrmProof& proof);
absl::StatusOr<PiPrmProof> PiPrmProofFromProto(const v1::PiPrmProof& proto);

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_ZK_PI_PRM_H_
