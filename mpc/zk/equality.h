// GG20 phase-6 consistency proof (the "ST" proof): for public points R, S, T
// the prover knows (sigma, l) with
//     S = sigma * R   and   T = sigma * G + l * H
// (the same sigma in both). In GG20's one-round signing each party
// broadcasts S_i = R^sigma_i with this proof against its phase-3 T_i, and
// the parties check prod S_i = y, which identifies a cheater on failure.
//
// Sigma protocol: a, b fresh; alpha = a * R, beta = a * G + b * H;
// e = H(ctx, G, H, R, S, T, alpha, beta) in [0, n);
// z_sigma = a + e * sigma, z_l = b + e * l. Verifier checks
//     z_sigma * R == alpha + e * S
//     z_sigma * G + z_l * H == beta + e * T.
#ifndef NITRO_TSS_MPC_ZK_EQUALITY_H_
#define NITRO_TSS_MPC_ZK_EQUALITY_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/random.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/pedersen_pok.h"
#include "nitro_tss/mpc/v1/ec_proofs.pb.h"

namespace nitro_tss::mpc {

struct EqualityStatement {
  Point r;  // R (the nonce point of the signature)
  Point s;  // S = sigma * R
  Point t;  // T = sigma * G + l * H
};

struct EqualityProof {
  static constexpr char kName[] = "gg20-st-equality/v1";

  Point alpha;
  Point beta;
  Scalar z_sigma;
  Scalar z_l;

  // Errors: the statement checks of Verify, then "equality: witness does
  // not match statement".
  static absl::StatusOr<EqualityProof> Prove(const EqualityStatement& statement,
                                             const PedersenPokWitness& witness,
                                             const ProofContext& ctx,
                                             RandomSource& rng);

  // Checks, in order:
  //   "equality: R is the identity"
  //   "equality: S is the identity"
  //   "equality: T is the identity"
  //   "equality: alpha is the identity"
  //   "equality: beta is the identity"
  //   "equality: S equation failed"   (z_sigma * R != alpha + e * S)
  //   "equality: T equation failed"   (z_sigma*G + z_l*H != beta + e * T)
  static absl::Status Verify(const EqualityStatement& statement,
                             const EqualityProof& proof,
                             const ProofContext& ctx);

  nitro_tss::mpc::v1::EqualityProof ToProto() const;
  // Strict decoding; errors start with "equality: ".
  static absl::StatusOr<EqualityProof> FromProto(
      const nitro_tss::mpc::v1::EqualityProof& proto);
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_ZK_EQUALITY_H_
