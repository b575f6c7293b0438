#include "mpc/zk/equality.h"

#include "mpc/curve/codec.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr char kCtx[] = "equality";

Scalar Challenge(const EqualityStatement& st, const Point& alpha,
                 const Point& beta, const ProofContext& ctx) {
  Transcript t = Transcript::ForProof(EqualityProof::kName, ctx);
  AppendPoint(t, "G", Point::Generator());
  AppendPoint(t, "H", Point::H());
  AppendPoint(t, "R", st.r);
  AppendPoint(t, "S", st.s);
  AppendPoint(t, "T", st.t);
  AppendPoint(t, "alpha", alpha);
  AppendPoint(t, "beta", beta);
  return ChallengeScalar(t, "e");
}

absl::Status CheckStatement(const EqualityStatement& st) {
  if (st.r.IsIdentity()) {
    return absl::InvalidArgumentError("equality: R is the identity");
  }
  if (st.s.IsIdentity()) {
    return absl::InvalidArgumentError("equality: S is the identity");
  }
  if (st.t.IsIdentity()) {
    return absl::InvalidArgumentError("equality: T is the identity");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EqualityProof> ProveEquality(const EqualityStatement& statement,
                                            const EqualityWitness& witness,
                                            const ProofContext& ctx,
                                            RandomSource& rng) {
  if (absl::Status st = CheckStatement(statement); !st.ok()) return st;
  if (statement.r.Mul(witness.sigma) != statement.s ||
      PedersenCommit(witness.sigma, witness.l) != statement.t) {
    return absl::InvalidArgumentError(
        "equality: witness does not match statement");
  }
  Scalar a = Scalar::RandomNonZero(rng);
  Scalar b = Scalar::RandomNonZero(rng);
  EqualityProof proof;
  proof.alpha = statement.r.Mul(a);
  proof.beta = PedersenCommit(a, b);
  Scalar e = Challenge(statement, proof.alpha, proof.beta, ctx);
  proof.z_sigma = a + e * witness.sigma;
  proof.z_l = b + e * witness.l;
  return proof;
}

absl::Status VerifyEquality(const EqualityStatement& statement,
                            const EqualityProof& proof,
                            const ProofContext& ctx) {
  if (absl::Status st = CheckStatement(statement); !st.ok()) return st;
  if (proof.alpha.IsIdentity()) {
    return absl::InvalidArgumentError("equality: alpha is the identity");
  }
  if (proof.beta.IsIdentity()) {
    return absl::InvalidArgumentError("equality: beta is the identity");
  }
  Scalar e = Challenge(statement, proof.alpha, proof.beta, ctx);
  if (statement.r.Mul(proof.z_sigma) != proof.alpha + statement.s.Mul(e)) {
    return absl::InvalidArgumentError("equality: S equation failed");
  }
  if (PedersenCommit(proof.z_sigma, proof.z_l) !=
      proof.beta + statement.t.Mul(e)) {
    return absl::InvalidArgumentError("equality: T equation failed");
  }
  return absl::OkStatus();
}

v1::EqualityProof EqualityProofToProto(const EqualityProof& proof) {
  v1::EqualityProof p;
  p.set_alpha(PointFieldBytes(proof.alpha));
  p.set_beta(PointFieldBytes(proof.beta));
  p.set_z_sigma(ScalarFieldBytes(proof.z_sigma));
  p.set_z_l(ScalarFieldBytes(proof.z_l));
  return p;
}

absl::StatusOr<EqualityProof> EqualityProofFromProto(
    const v1::EqualityProof& proto) {
  if (absl::Status st = RejectUnknownFields(proto, kCtx); !st.ok()) return st;
  absl::StatusOr<Point> alpha = DecodePointField(proto.alpha(), kCtx, "alpha");
  if (!alpha.ok()) return alpha.status();
  absl::StatusOr<Point> beta = DecodePointField(proto.beta(), kCtx, "beta");
  if (!beta.ok()) return beta.status();
  absl::StatusOr<Scalar> zs =
      DecodeScalarField(proto.z_sigma(), kCtx, "z_sigma");
  if (!zs.ok()) return zs.status();
  absl::StatusOr<Scalar> zl = DecodeScalarField(proto.z_l(), kCtx, "z_l");
  if (!zl.ok()) return zl.status();
  EqualityProof out;
  out.alpha = *alpha;
  out.beta = *beta;
  out.z_sigma = *zs;
  out.z_l = *zl;
  return out;
}

}  // namespace nitro_tss::mpc::zk
