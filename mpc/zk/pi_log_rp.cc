#include "mpc/zk/pi_log_rp.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr char kPrefix[] = "pi_log_rp";

BigInt Challenge(const PiLogRpStatement& st, const ProofContext& ctx,
                 const Point& cap_y, const BigInt& cap_d) {
  Transcript t = Transcript::ForProof("nitro-tss/pi_log_rp", ctx);
  AppendRangeParameters(t, kEll);
  AppendRingPedersen(t, st.ring_pedersen);
  t.AppendBigInt("S", st.cap_s);
  AppendPoint(t, "g", st.base);
  AppendPoint(t, "X", st.cap_x);
  AppendPoint(t, "Y", cap_y);
  t.AppendBigInt("D", cap_d);
  return ChallengeE(t);
}

}  // namespace

namespace internal {

PiLogRpProof ProvePiLogRpUnchecked(const PiLogRpStatement& st,
                                   const PiLogRpWitness& w,
                                   const ProofContext& ctx, RandomSource& rng) {
  const BigInt& nhat = st.ring_pedersen.n();
  const size_t nhat_bits = nhat.BitLength();

  BigInt alpha = BigInt::RandomSigned(kEll + kEpsilon, rng);
  BigInt gamma = RandomSignedTimes(kEll + kEpsilon, nhat, rng);

  PiLogRpProof proof;
  Scalar alpha_mod_q = Scalar::FromBigIntReduce(alpha);
  proof.cap_y = st.base.Mul(alpha_mod_q);
  alpha_mod_q.Wipe();
  proof.cap_d =
      ProverCommit(st.ring_pedersen, w.verifier_table, alpha, kEll + kEpsilon,
                   gamma, kEll + kEpsilon + nhat_bits);

  BigInt e = Challenge(st, ctx, proof.cap_y, proof.cap_d);
  proof.z1 = alpha + e * w.x;
  proof.z3 = gamma + e * w.mu;

  alpha.Wipe();
  gamma.Wipe();
  return proof;
}

}  // namespace internal

absl::StatusOr<PiLogRpProof> ProvePiLogRp(const PiLogRpStatement& st,
                                          const PiLogRpWitness& w,
                                          const ProofContext& ctx,
                                          RandomSource& rng) {
  if (w.verifier_table != nullptr) {
    absl::Status s = CheckTable(st.ring_pedersen, *w.verifier_table, kPrefix);
    if (!s.ok()) return s;
  }
  if (!InSignedRange(w.x, kEll)) {
    return absl::InvalidArgumentError("pi_log_rp: witness x out of range");
  }
  if (w.mu.Abs() > st.ring_pedersen.n().ShiftLeft(kEll)) {
    return absl::InvalidArgumentError("pi_log_rp: witness mu out of range");
  }
  if (absl::Status s = CheckDlogWitness(st.base, st.cap_x, w.x, kPrefix);
      !s.ok()) {
    return s;
  }
  return internal::ProvePiLogRpUnchecked(st, w, ctx, rng);
}

absl::Status VerifyPiLogRp(const PiLogRpStatement& st,
                           const PiLogRpProof& proof, const ProofContext& ctx,
                           const RingPedersenSecret* verifier_secret) {
  const BigInt& nhat = st.ring_pedersen.n();
  if (verifier_secret != nullptr) {
    absl::Status s =
        CheckOwnerSecret(st.ring_pedersen, *verifier_secret, kPrefix);
    if (!s.ok()) return s;
  }
  // Membership and ranges, before any exponentiation.
  for (absl::Status s : {
           CheckNotIdentity(st.base, kPrefix, "g"),
           CheckNotIdentity(st.cap_x, kPrefix, "X"),
           CheckNotIdentity(proof.cap_y, kPrefix, "Y"),
           CheckUnit(st.cap_s, nhat, kPrefix, "S", "{Nhat}"),
           CheckUnit(proof.cap_d, nhat, kPrefix, "D", "{Nhat}"),
           CheckSignedRange(proof.z1, kEll + kEpsilon, kPrefix, "z1"),
           CheckSignedRangeTimesModulus(proof.z3, kEll + kEpsilon + 1, nhat,
                                        kPrefix, "z3"),
       }) {
    if (!s.ok()) return s;
  }

  BigInt e = Challenge(st, ctx, proof.cap_y, proof.cap_d);

  // z1·g == Y + e·X
  if (absl::Status g = CheckGroupEquation(st.base, proof.z1, proof.cap_y,
                                          st.cap_x, e, kPrefix);
      !g.ok()) {
    return g;
  }
  // s^z1 · t^z3 == D · S^e  (mod N̂)
  if (!RingPedersenEquationHolds(st.ring_pedersen, verifier_secret, proof.z1,
                                 proof.z3, proof.cap_d, st.cap_s, e)) {
    return absl::InvalidArgumentError(
        "pi_log_rp: ring-pedersen equation failed");
  }
  return absl::OkStatus();
}

v1::PiLogRpProof PiLogRpProofToProto(const PiLogRpProof& proof) {
  v1::PiLogRpProof p;
  p.set_cap_y(EncodePoint(proof.cap_y));
  p.set_cap_d(EncodeInteger(proof.cap_d));
  p.set_z1(EncodeInteger(proof.z1));
  p.set_z3(EncodeInteger(proof.z3));
  return p;
}

absl::StatusOr<PiLogRpProof> PiLogRpProofFromProto(const v1::PiLogRpProof& p) {
  // The message is flat (bytes fields only).
  PiLogRpProof out;
  if (absl::Status st = DecodeFlatProof(
          p,
          {
              IntegerField{p.cap_d(), kMaxModulusBytes, "D", &out.cap_d},
              IntegerField{p.z1(), BytesForBits(kEll + kEpsilon), "z1",
                           &out.z1},
              IntegerField{p.z3(), kMaxMaskedCommitmentBytes, "z3", &out.z3},
          },
          kPrefix);
      !st.ok()) {
    return st;
  }
  absl::StatusOr<Point> y = DecodePoint(p.cap_y(), kPrefix, "Y");
  if (!y.ok()) return y.status();
  out.cap_y = *std::move(y);
  return out;
}

}  // namespace nitro_tss::mpc::zk
