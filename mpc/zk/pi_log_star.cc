#include "mpc/zk/pi_log_star.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/math/montgomery.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr char kPrefix[] = "pi_log_star";

BigInt Challenge(const PiLogStarStatement& st, const ProofContext& ctx,
                 const BigInt& cap_s, const BigInt& cap_a, const Point& cap_y,
                 const BigInt& cap_d) {
  Transcript t = Transcript::ForProof("cggmp21/pi_log_star", ctx);
  AppendRangeParameters(t, st.ell);
  AppendPaillier(t, "N0", st.paillier);
  AppendRingPedersen(t, st.ring_pedersen);
  t.AppendBigInt("C", st.cap_c);
  AppendPoint(t, "X", st.cap_x);
  AppendPoint(t, "g", st.base);
  t.AppendBigInt("S", cap_s);
  t.AppendBigInt("A", cap_a);
  AppendPoint(t, "Y", cap_y);
  t.AppendBigInt("D", cap_d);
  return ChallengeE(t);
}

absl::Status CheckRange(const PiLogStarStatement& st) {
  if (st.ell != kEll && st.ell != kEllPrime) {
    return absl::InvalidArgumentError(
        absl::StrCat(kPrefix, ": unsupported range L = ", st.ell));
  }
  return absl::OkStatus();
}

}  // namespace

namespace internal {

PiLogStarProof ProvePiLogStarUnchecked(const PiLogStarStatement& st,
                                       const PiLogStarWitness& w,
                                       const ProofContext& ctx,
                                       RandomSource& rng) {
  const BigInt& n0 = st.paillier.n();
  const BigInt& nhat = st.ring_pedersen.n();
  const size_t nhat_bits = nhat.BitLength();

  BigInt alpha = BigInt::RandomSigned(st.ell + kEpsilon, rng);
  BigInt mu = RandomSignedTimes(kEll, nhat, rng);
  // A = (1+N0)^α · r^N0 for a fresh r (the owner's comb when given).
  PaillierEncryption a = FreshEncryption(st.paillier, alpha, w.own_key, rng);
  BigInt& r = a.nonce;
  BigInt gamma = RandomSignedTimes(kEll + kEpsilon, nhat, rng);

  PiLogStarProof proof;
  proof.cap_s = ProverCommit(st.ring_pedersen, w.verifier_table, w.x, st.ell,
                             mu, kEll + nhat_bits);
  proof.cap_a = std::move(a.ciphertext);
  Scalar alpha_mod_q = Scalar::FromBigIntReduce(alpha);
  proof.cap_y = st.base.Mul(alpha_mod_q);
  alpha_mod_q.Wipe();
  proof.cap_d =
      ProverCommit(st.ring_pedersen, w.verifier_table, alpha, st.ell + kEpsilon,
                   gamma, kEll + kEpsilon + nhat_bits);

  BigInt e =
      Challenge(st, ctx, proof.cap_s, proof.cap_a, proof.cap_y, proof.cap_d);
  proof.z1 = alpha + e * w.x;
  proof.z2 = BigInt::ModMul(r, Montgomery(n0).PowPublicExponent(w.rho, e), n0);
  proof.z3 = gamma + e * mu;

  alpha.Wipe();
  mu.Wipe();
  r.Wipe();
  gamma.Wipe();
  return proof;
}

}  // namespace internal

absl::StatusOr<PiLogStarProof> ProvePiLogStar(const PiLogStarStatement& st,
                                              const PiLogStarWitness& w,
                                              const ProofContext& ctx,
                                              RandomSource& rng) {
  if (absl::Status s = CheckRange(st); !s.ok()) return s;
  if (w.verifier_table != nullptr) {
    absl::Status s = CheckTable(st.ring_pedersen, *w.verifier_table, kPrefix);
    if (!s.ok()) return s;
  }
  if (w.own_key != nullptr) {
    absl::Status s = CheckOwnKey(st.paillier, *w.own_key, kPrefix, "N0");
    if (!s.ok()) return s;
  }
  if (!InSignedRange(w.x, st.ell)) {
    return absl::InvalidArgumentError("pi_log_star: witness x out of range");
  }
  if (!CheckUnit(w.rho, st.paillier.n(), kPrefix, "rho", "N0").ok()) {
    return absl::InvalidArgumentError("pi_log_star: witness rho not in Z*_N0");
  }
  if (absl::Status s = CheckDlogWitness(st.base, st.cap_x, w.x, kPrefix);
      !s.ok()) {
    return s;
  }
  return internal::ProvePiLogStarUnchecked(st, w, ctx, rng);
}

absl::Status VerifyPiLogStar(const PiLogStarStatement& st,
                             const PiLogStarProof& proof,
                             const ProofContext& ctx,
                             const RingPedersenSecret* verifier_secret) {
  const BigInt& n0 = st.paillier.n();
  const BigInt& n0_sq = st.paillier.n_squared();
  const BigInt& nhat = st.ring_pedersen.n();
  if (absl::Status s = CheckRange(st); !s.ok()) return s;
  if (verifier_secret != nullptr) {
    absl::Status s =
        CheckOwnerSecret(st.ring_pedersen, *verifier_secret, kPrefix);
    if (!s.ok()) return s;
  }
  for (absl::Status s : {
           CheckNotIdentity(st.base, kPrefix, "g"),
           CheckNotIdentity(st.cap_x, kPrefix, "X"),
           CheckNotIdentity(proof.cap_y, kPrefix, "Y"),
           CheckUnit(st.cap_c, n0_sq, kPrefix, "C", "{N0^2}"),
           CheckUnit(proof.cap_s, nhat, kPrefix, "S", "{Nhat}"),
           CheckUnit(proof.cap_d, nhat, kPrefix, "D", "{Nhat}"),
           CheckUnit(proof.cap_a, n0_sq, kPrefix, "A", "{N0^2}"),
           CheckUnit(proof.z2, n0, kPrefix, "z2", "{N0}"),
           CheckSignedRange(proof.z1, st.ell + kEpsilon, kPrefix, "z1"),
           CheckSignedRangeTimesModulus(proof.z3, kEll + kEpsilon + 1, nhat,
                                        kPrefix, "z3"),
       }) {
    if (!s.ok()) return s;
  }

  BigInt e =
      Challenge(st, ctx, proof.cap_s, proof.cap_a, proof.cap_y, proof.cap_d);

  // (1+N0)^z1 · z2^N0 == A · C^e  (mod N0²)
  if (!PaillierEquationHolds(st.paillier, proof.z1, proof.z2, proof.cap_a,
                             st.cap_c, e)) {
    return absl::InvalidArgumentError("pi_log_star: paillier equation failed");
  }
  // z1·g == Y + e·X
  if (absl::Status g = CheckGroupEquation(st.base, proof.z1, proof.cap_y,
                                          st.cap_x, e, kPrefix);
      !g.ok()) {
    return g;
  }
  // s^z1 · t^z3 == D · S^e  (mod N̂)
  if (!RingPedersenEquationHolds(st.ring_pedersen, verifier_secret, proof.z1,
                                 proof.z3, proof.cap_d, proof.cap_s, e)) {
    return absl::InvalidArgumentError(
        "pi_log_star: ring-pedersen equation failed");
  }
  return absl::OkStatus();
}

v1::PiLogStarProof PiLogStarProofToProto(const PiLogStarProof& proof) {
  v1::PiLogStarProof p;
  p.set_cap_s(EncodeInteger(proof.cap_s));
  p.set_cap_a(EncodeInteger(proof.cap_a));
  p.set_cap_y(EncodePoint(proof.cap_y));
  p.set_cap_d(EncodeInteger(proof.cap_d));
  p.set_z1(EncodeInteger(proof.z1));
  p.set_z2(EncodeInteger(proof.z2));
  p.set_z3(EncodeInteger(proof.z3));
  return p;
}

absl::StatusOr<PiLogStarProof> PiLogStarProofFromProto(
    const v1::PiLogStarProof& p) {
  // The message is flat (bytes fields only).
  PiLogStarProof out;
  if (absl::Status st = DecodeFlatProof(
          p,
          {
              IntegerField{p.cap_s(), kMaxModulusBytes, "S", &out.cap_s},
              IntegerField{p.cap_a(), kMaxModulusSquaredBytes, "A", &out.cap_a},
              IntegerField{p.cap_d(), kMaxModulusBytes, "D", &out.cap_d},
              IntegerField{p.z1(), BytesForBits(kEllPrime + kEpsilon), "z1",
                           &out.z1},
              IntegerField{p.z2(), kMaxModulusBytes, "z2", &out.z2},
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
