// Proof of knowledge of the opening (sigma, l) of a Pedersen commitment
// T = sigma * G + l * H over secp256k1 (GG20 signing phase 3: each party
// broadcasts T_i = g^sigma_i h^l_i with this proof). H is Point::H().
//
// Prover: a, b fresh; A = a * G + b * H; e = H(ctx, G, H, T, A) in [0, n);
// z_sigma = a + e * sigma, z_l = b + e * l. Verifier:
// z_sigma * G + z_l * H == A + e * T.
#ifndef NITRO_TSS_MPC_ZK_PEDERSEN_POK_H_
#define NITRO_TSS_MPC_ZK_PEDERSEN_POK_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/random.h"
#include "mpc/transcript/transcript.h"
#include "nitro_tss/mpc/v1/ec_proofs.pb.h"

namespace nitro_tss::mpc {

// T = sigma * G + l * H.
Point PedersenCommit(const Scalar& sigma, const Scalar& l);

struct PedersenPokStatement {
  Point commitment;  // T
};

struct PedersenPokWitness {
  Scalar sigma;
  Scalar l;
};

struct PedersenPokProof {
  static constexpr char kName[] = "pedersen-pok/v1";

  Point commitment;  // A
  Scalar z_sigma;
  Scalar z_l;

  // Errors: "pedersen_pok: T is the identity", "pedersen_pok: witness does
  // not match statement".
  static absl::StatusOr<PedersenPokProof> Prove(
      const PedersenPokStatement& statement, const PedersenPokWitness& witness,
      const ProofContext& ctx, RandomSource& rng);

  // Checks, in order:
  //   "pedersen_pok: T is the identity"
  //   "pedersen_pok: commitment is the identity"
  //   "pedersen_pok: verification equation failed"
  static absl::Status Verify(const PedersenPokStatement& statement,
                             const PedersenPokProof& proof,
                             const ProofContext& ctx);

  nitro_tss::mpc::v1::PedersenPokProof ToProto() const;
  // Strict decoding; errors start with "pedersen_pok: ".
  static absl::StatusOr<PedersenPokProof> FromProto(
      const nitro_tss::mpc::v1::PedersenPokProof& proto);
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_ZK_PEDERSEN_POK_H_
