// GG20 phase-6 consistency proof (the "ST" proof): for public points R, S, T
// the prover knows (sigma, l) with
//     S = sigma * R   and   T = sigma * G + l * H
// (the same sigma in both). In GG20's one-round signing each party
// broadcasts S_i = R^sigma_i with this proof against its phase-3 T_i, and
// the parties check prod S_i = y, which identifies a cheater on failure.
//
// Statement: R, S, T. Witness: σ, l (EqualityWitness).
//
//   prover:    a, b ← [1, n), alpha = a * R, beta = a * G + b * H
//   challenge  e ∈ [0, n) from Transcript::ForProof("gg20-st-equality/v1",
//              ctx) over (G, H, R, S, T, alpha, beta)
//   response:  z_σ = a + e * σ, z_l = b + e * l (mod n)
//   verifier:  z_σ * R == alpha + e * S, z_σ * G + z_l * H == beta + e * T
#ifndef NITRO_TSS_MPC_ZK_EQUALITY_H_
#define NITRO_TSS_MPC_ZK_EQUALITY_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/random.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/pedersen_pok.h"
#include "nitro_tss/mpc/v1/ec_proofs.pb.h"

namespace nitro_tss::mpc::zk {

// By value, as every curve proof's statement and witness (schnorr.h).
struct EqualityStatement {
  Point r;  // R (the nonce point of the signature)
  Point s;  // S = sigma * R
  Point t;  // T = sigma * G + l * H
};

// The same opening (σ, l) of T as Πpok's (pedersen_pok.h): in GG20 phase 6
// a party proves against the T_i it proved with PedersenPok in phase 3.
using EqualityWitness = PedersenPokWitness;

struct EqualityProof {
  // Transcript name for Transcript::ForProof().
  static constexpr char kName[] = "gg20-st-equality/v1";

  Point alpha;
  Point beta;
  Scalar z_sigma;
  Scalar z_l;
};

// Proves the statement. Returns the proof, or InvalidArgument, checked in
// this order:
//   "equality: R is the identity"
//   "equality: S is the identity"
//   "equality: T is the identity"
//   "equality: witness does not match statement"
//     (σ * R != S or σ * G + l * H != T)
absl::StatusOr<EqualityProof> ProveEquality(const EqualityStatement& statement,
                                            const EqualityWitness& witness,
                                            const ProofContext& context,
                                            RandomSource& rng);

// Verifies `proof` for `statement` in `context`. Returns OK, or
// InvalidArgument with the first failing check, in this order:
//   "equality: R is the identity"
//   "equality: S is the identity"
//   "equality: T is the identity"
//   "equality: alpha is the identity"
//   "equality: beta is the identity"
//   "equality: S equation failed"   (z_σ * R != alpha + e * S; also any
//                                    other context)
//   "equality: T equation failed"   (z_σ * G + z_l * H != beta + e * T)
absl::Status VerifyEquality(const EqualityStatement& statement,
                            const EqualityProof& proof,
                            const ProofContext& context);

// Wire encoding (alpha, beta must not be the identity, as for every proof
// ProveEquality returns).
v1::EqualityProof EqualityProofToProto(const EqualityProof& proof);
// Strict decoding. Returns the proof, or InvalidArgument, in this order:
//   "equality: unknown fields present"
//   "equality: alpha missing" / "equality: alpha: point: ..."
//   "equality: beta missing" / "equality: beta: point: ..."
//   "equality: z_sigma missing" / "equality: z_sigma: scalar: ..."
//   "equality: z_l missing" / "equality: z_l: scalar: ..."
absl::StatusOr<EqualityProof> EqualityProofFromProto(
    const v1::EqualityProof& proto);

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_EQUALITY_H_
