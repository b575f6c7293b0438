#include "mpc/zk/pedersen_pok.h"

#include "mpc/curve/codec.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr char kCtx[] = "pedersen_pok";

Scalar Challenge(const PedersenPokStatement& st, const Point& commitment,
                 const ProofContext& ctx) {
  Transcript t = Transcript::ForProof(PedersenPokProof::kName, ctx);
  AppendPoint(t, "G", Point::Generator());
  AppendPoint(t, "H", Point::H());
  AppendPoint(t, "T", st.commitment);
  AppendPoint(t, "A", commitment);
  return ChallengeScalar(t, "e");
}

}  // namespace

Point PedersenCommit(const Scalar& sigma, const Scalar& l) {
  return Point::MulBase(sigma) + Point::H().Mul(l);
}

absl::StatusOr<PedersenPokProof> ProvePedersenPok(
    const PedersenPokStatement& statement, const PedersenPokWitness& witness,
    const ProofContext& ctx, RandomSource& rng) {
  if (statement.commitment.IsIdentity()) {
    return absl::InvalidArgumentError("pedersen_pok: T is the identity");
  }
  if (PedersenCommit(witness.sigma, witness.l) != statement.commitment) {
    return absl::InvalidArgumentError(
        "pedersen_pok: witness does not match statement");
  }
  Scalar a = Scalar::RandomNonZero(rng);
  Scalar b = Scalar::RandomNonZero(rng);
  PedersenPokProof proof;
  proof.commitment = PedersenCommit(a, b);
  Scalar e = Challenge(statement, proof.commitment, ctx);
  proof.z_sigma = a + e * witness.sigma;
  proof.z_l = b + e * witness.l;
  return proof;
}

absl::Status VerifyPedersenPok(const PedersenPokStatement& statement,
                               const PedersenPokProof& proof,
                               const ProofContext& ctx) {
  if (statement.commitment.IsIdentity()) {
    return absl::InvalidArgumentError("pedersen_pok: T is the identity");
  }
  if (proof.commitment.IsIdentity()) {
    return absl::InvalidArgumentError(
        "pedersen_pok: commitment is the identity");
  }
  Scalar e = Challenge(statement, proof.commitment, ctx);
  Point lhs = PedersenCommit(proof.z_sigma, proof.z_l);
  Point rhs = proof.commitment + statement.commitment.Mul(e);
  if (lhs != rhs) {
    return absl::InvalidArgumentError(
        "pedersen_pok: verification equation failed");
  }
  return absl::OkStatus();
}

v1::PedersenPokProof PedersenPokProofToProto(const PedersenPokProof& proof) {
  v1::PedersenPokProof p;
  p.set_commitment(PointFieldBytes(proof.commitment));
  p.set_z_sigma(ScalarFieldBytes(proof.z_sigma));
  p.set_z_l(ScalarFieldBytes(proof.z_l));
  return p;
}

absl::StatusOr<PedersenPokProof> PedersenPokProofFromProto(
    const v1::PedersenPokProof& proto) {
  if (absl::Status st = RejectUnknownFields(proto, kCtx); !st.ok()) return st;
  absl::StatusOr<Point> a =
      DecodePointField(proto.commitment(), kCtx, "commitment");
  if (!a.ok()) return a.status();
  absl::StatusOr<Scalar> zs =
      DecodeScalarField(proto.z_sigma(), kCtx, "z_sigma");
  if (!zs.ok()) return zs.status();
  absl::StatusOr<Scalar> zl = DecodeScalarField(proto.z_l(), kCtx, "z_l");
  if (!zl.ok()) return zl.status();
  PedersenPokProof out;
  out.commitment = *a;
  out.z_sigma = *zs;
  out.z_l = *zl;
  return out;
}

}  // namespace nitro_tss::mpc::zk
