// Schnorr proof of knowledge of a discrete logarithm, non-interactive via
// Fiat–Shamir with the full statement and the proof's context bound into the
// challenge.
//
// Statement: a base B (G or any other non-identity point) and X = x * B.
// Proof (first-message form): A = k * B for a fresh k, e = H(ctx, B, X, A)
// uniform in [0, n), z = k + e * x mod n. Verification: z * B == A + e * X.
#ifndef NITRO_TSS_MPC_ZK_SCHNORR_H_
#define NITRO_TSS_MPC_ZK_SCHNORR_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/random.h"
#include "mpc/transcript/transcript.h"
#include "nitro_tss/mpc/v1/ec_proofs.pb.h"

namespace nitro_tss::mpc {

struct SchnorrStatement {
  Point base = Point::Generator();  // B
  Point public_point;               // X = x * B

  // The common case X = x * G.
  static SchnorrStatement ForGenerator(const Point& public_point);
};

struct SchnorrProof {
  // Transcript name for ForProof().
  static constexpr char kName[] = "schnorr-dlog/v1";

  Point commitment;  // A
  Scalar response;   // z

  // Proves knowledge of `witness` = x. Error "schnorr: witness does not
  // match statement" when x * B != X (or the statement has an identity
  // point: "schnorr: base is the identity" / "schnorr: public point is the
  // identity"), so a buggy caller never emits an invalid proof.
  static absl::StatusOr<SchnorrProof> Prove(const SchnorrStatement& statement,
                                            const Scalar& witness,
                                            const ProofContext& ctx,
                                            RandomSource& rng);

  // Checks, in this order, with these errors:
  //   "schnorr: base is the identity"
  //   "schnorr: public point is the identity"
  //   "schnorr: commitment is the identity"
  //   "schnorr: verification equation failed"   (z * B != A + e * X)
  // The challenge binds every field of `ctx`, so a proof made for another
  // session, protocol, round, prover or verifier fails the equation.
  static absl::Status Verify(const SchnorrStatement& statement,
                             const SchnorrProof& proof,
                             const ProofContext& ctx);

  // The commitment must not be the identity (it is encoded as an empty field
  // and FromProto rejects it).
  nitro_tss::mpc::v1::SchnorrProof ToProto() const;
  // Strict: both fields present, commitment a valid 33-byte point, response
  // 32 bytes < n, no unknown fields. Errors start with "schnorr: ".
  static absl::StatusOr<SchnorrProof> FromProto(
      const nitro_tss::mpc::v1::SchnorrProof& proto);
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_ZK_SCHNORR_H_
