#include "mpc/zk/schnorr.h"

#include "mpc/curve/codec.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr char kCtx[] = "schnorr";

Scalar Challenge(const SchnorrStatement& st, const Point& commitment,
                 const ProofContext& ctx) {
  Transcript t = Transcript::ForProof(SchnorrProof::kName, ctx);
  AppendPoint(t, "base", st.base);
  AppendPoint(t, "public_point", st.public_point);
  AppendPoint(t, "commitment", commitment);
  return ChallengeScalar(t, "e");
}

absl::Status CheckStatement(const SchnorrStatement& st) {
  if (st.base.IsIdentity()) {
    return absl::InvalidArgumentError("schnorr: base is the identity");
  }
  if (st.public_point.IsIdentity()) {
    return absl::InvalidArgumentError("schnorr: public point is the identity");
  }
  return absl::OkStatus();
}

}  // namespace

SchnorrStatement SchnorrStatement::ForGenerator(const Point& public_point) {
  SchnorrStatement st;
  st.base = Point::Generator();
  st.public_point = public_point;
  return st;
}

absl::StatusOr<SchnorrProof> ProveSchnorr(const SchnorrStatement& statement,
                                          const SchnorrWitness& witness,
                                          const ProofContext& ctx,
                                          RandomSource& rng) {
  if (absl::Status st = CheckStatement(statement); !st.ok()) return st;
  if (statement.base.Mul(witness.x) != statement.public_point) {
    return absl::InvalidArgumentError(
        "schnorr: witness does not match statement");
  }
  Scalar k = Scalar::RandomNonZero(rng);
  SchnorrProof proof;
  proof.commitment = statement.base.Mul(k);
  Scalar e = Challenge(statement, proof.commitment, ctx);
  proof.response = k + e * witness.x;
  return proof;
}

absl::Status VerifySchnorr(const SchnorrStatement& statement,
                           const SchnorrProof& proof, const ProofContext& ctx) {
  if (absl::Status st = CheckStatement(statement); !st.ok()) return st;
  if (proof.commitment.IsIdentity()) {
    return absl::InvalidArgumentError("schnorr: commitment is the identity");
  }
  Scalar e = Challenge(statement, proof.commitment, ctx);
  Point lhs = statement.base.Mul(proof.response);
  Point rhs = proof.commitment + statement.public_point.Mul(e);
  if (lhs != rhs) {
    return absl::InvalidArgumentError("schnorr: verification equation failed");
  }
  return absl::OkStatus();
}

v1::SchnorrProof SchnorrProofToProto(const SchnorrProof& proof) {
  v1::SchnorrProof p;
  p.set_commitment(PointFieldBytes(proof.commitment));
  p.set_response(ScalarFieldBytes(proof.response));
  return p;
}

absl::StatusOr<SchnorrProof> SchnorrProofFromProto(
    const v1::SchnorrProof& proto) {
  if (absl::Status st = RejectUnknownFields(proto, kCtx); !st.ok()) return st;
  SchnorrProof out;
  absl::StatusOr<Point> a =
      DecodePointField(proto.commitment(), kCtx, "commitment");
  if (!a.ok()) return a.status();
  absl::StatusOr<Scalar> z =
      DecodeScalarField(proto.response(), kCtx, "response");
  if (!z.ok()) return z.status();
  out.commitment = *a;
  out.response = *z;
  return out;
}

}  // namespace nitro_tss::mpc::zk
