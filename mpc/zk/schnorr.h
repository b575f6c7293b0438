// Schnorr proof of knowledge of a discrete logarithm, non-interactive via
// Fiat–Shamir with the full statement and the proof's context bound into the
// challenge.
//
// Statement: a base B (G or any other non-identity point) and X = x * B.
// Witness: x.
//
//   prover:    k ← [1, n), A = k * B
//   challenge  e ∈ [0, n) from Transcript::ForProof("schnorr-dlog/v1", ctx)
//              over (B, X, A)
//   response:  z = k + e * x mod n
//   verifier:  z * B == A + e * X
//
// In GG20 key generation each party proves the constant term u_i of its
// polynomial (X = u_i * G) and its final share x_i (X = x_i * G).
#ifndef NITRO_TSS_MPC_ZK_SCHNORR_H_
#define NITRO_TSS_MPC_ZK_SCHNORR_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/random.h"
#include "mpc/transcript/transcript.h"
#include "nitro_tss/mpc/v1/ec_proofs.pb.h"

namespace nitro_tss::mpc::zk {

// The curve proofs' statements and witnesses hold their points and scalars
// by value (a Scalar wipes itself on destruction).
struct SchnorrStatement {
  Point base = Point::Generator();  // B
  Point public_point;               // X = x * B

  // The common case X = x * G.
  static SchnorrStatement ForGenerator(const Point& public_point);
};

struct SchnorrWitness {
  Scalar x;
};

struct SchnorrProof {
  // Transcript name for Transcript::ForProof().
  static constexpr char kName[] = "schnorr-dlog/v1";

  Point commitment;  // A
  Scalar response;   // z
};

// Proves knowledge of witness.x with statement.public_point = x * base.
// Returns the proof, or InvalidArgument, checked in this order:
//   "schnorr: base is the identity"
//   "schnorr: public point is the identity"
//   "schnorr: witness does not match statement"   (x * B != X)
// so a buggy caller never emits a proof every verifier rejects.
absl::StatusOr<SchnorrProof> ProveSchnorr(const SchnorrStatement& statement,
                                          const SchnorrWitness& witness,
                                          const ProofContext& context,
                                          RandomSource& rng);

// Verifies `proof` for `statement` in `context`. Returns OK, or
// InvalidArgument with the first failing check, in this order:
//   "schnorr: base is the identity"
//   "schnorr: public point is the identity"
//   "schnorr: commitment is the identity"
//   "schnorr: verification equation failed"   (z * B != A + e * X)
// The challenge binds every field of `context`, so a proof made for another
// session, protocol, round, prover or verifier fails the equation.
absl::Status VerifySchnorr(const SchnorrStatement& statement,
                           const SchnorrProof& proof,
                           const ProofContext& context);

// Wire encoding. The commitment must not be the identity (it is encoded as
// an empty field, which SchnorrProofFromProto rejects): every proof
// ProveSchnorr returns qualifies.
v1::SchnorrProof SchnorrProofToProto(const SchnorrProof& proof);
// Strict decoding. Returns the proof, or InvalidArgument, in this order:
//   "schnorr: unknown fields present"
//   "schnorr: commitment missing" / "schnorr: commitment: point: ..."
//     (not a valid 33-byte compressed point)
//   "schnorr: response missing" / "schnorr: response: scalar: ..."
//     (not 32 bytes, or >= n)
absl::StatusOr<SchnorrProof> SchnorrProofFromProto(
    const v1::SchnorrProof& proto);

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_SCHNORR_H_
