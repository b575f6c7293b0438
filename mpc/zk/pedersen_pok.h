// Proof of knowledge of the opening (σ, l) of a Pedersen commitment
// T = σ * G + l * H over secp256k1 (GG20 signing phase 3: each party
// broadcasts T_i = g^σ_i h^l_i with this proof). H is Point::H().
//
// Statement: T. Witness: σ, l with T = σ * G + l * H.
//
//   prover:    a, b ← [1, n), A = a * G + b * H
//   challenge  e ∈ [0, n) from Transcript::ForProof("pedersen-pok/v1", ctx)
//              over (G, H, T, A)
//   response:  z_σ = a + e * σ, z_l = b + e * l (mod n)
//   verifier:  z_σ * G + z_l * H == A + e * T
#ifndef NITRO_TSS_MPC_ZK_PEDERSEN_POK_H_
#define NITRO_TSS_MPC_ZK_PEDERSEN_POK_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/random.h"
#include "mpc/transcript/transcript.h"
#include "nitro_tss/mpc/v1/ec_proofs.pb.h"

namespace nitro_tss::mpc::zk {

// T = sigma * G + l * H (never fails; the identity when sigma = l = 0).
Point PedersenCommit(const Scalar& sigma, const Scalar& l);

// By value, as every curve proof's statement and witness (schnorr.h).
struct PedersenPokStatement {
  Point commitment;  // T
};

struct PedersenPokWitness {
  Scalar sigma;
  Scalar l;
};

struct PedersenPokProof {
  // Transcript name for Transcript::ForProof().
  static constexpr char kName[] = "pedersen-pok/v1";

  Point commitment;  // A
  Scalar z_sigma;
  Scalar z_l;
};

// Proves knowledge of (σ, l) with statement.commitment = PedersenCommit(σ, l).
// Returns the proof, or InvalidArgument, checked in this order:
//   "pedersen_pok: T is the identity"
//   "pedersen_pok: witness does not match statement"
absl::StatusOr<PedersenPokProof> ProvePedersenPok(
    const PedersenPokStatement& statement, const PedersenPokWitness& witness,
    const ProofContext& context, RandomSource& rng);

// Verifies `proof` for `statement` in `context`. Returns OK, or
// InvalidArgument with the first failing check, in this order:
//   "pedersen_pok: T is the identity"
//   "pedersen_pok: commitment is the identity"
//   "pedersen_pok: verification equation failed"
//     (z_σ * G + z_l * H != A + e * T; also any other context)
absl::Status VerifyPedersenPok(const PedersenPokStatement& statement,
                               const PedersenPokProof& proof,
                               const ProofContext& context);

// Wire encoding (A must not be the identity, as for every proof
// ProvePedersenPok returns).
v1::PedersenPokProof PedersenPokProofToProto(const PedersenPokProof& proof);
// Strict decoding. Returns the proof, or InvalidArgument, in this order:
//   "pedersen_pok: unknown fields present"
//   "pedersen_pok: commitment missing" / "pedersen_pok: commitment: point: ..."
//   "pedersen_pok: z_sigma missing" / "pedersen_pok: z_sigma: scalar: ..."
//   "pedersen_pok: z_l missing" / "pedersen_pok: z_l: scalar: ..."
absl::StatusOr<PedersenPokProof> PedersenPokProofFromProto(
    const v1::PedersenPokProof& proto);

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PEDERSEN_POK_H_
