#include "mpc/zk/pi_fac.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/curve/codec.h"
#include "mpc/paillier/paillier.h"
#include "mpc/paillier/wire.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr const char kSecp256k1OrderHex[] =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
constexpr size_t kModBits = kPaillierModulusBits;
constexpr size_t kMaxElementBytes = kModBits / 8;
constexpr size_t Bytes(size_t bits) { return (bits + 7) / 8 + 1; }
constexpr size_t kMaxSigmaBytes = Bytes(kPiFacEll + 2 * kModBits);
constexpr size_t kMaxZBytes = Bytes(kPiFacEll + kPiFacEpsilon + kModBits / 2);
constexpr size_t kMaxWBytes = Bytes(kPiFacEll + kPiFacEpsilon + 1 + kModBits);
constexpr size_t kMaxVBytes =
    Bytes(kPiFacEll + kPiFacEpsilon + 1 + 2 * kModBits);

absl::Status Fail(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("pi_fac: ", what));
}

const BigInt& CurveOrder() {
  static const BigInt* q = new BigInt(*BigInt::FromHex(kSecp256k1OrderHex));
  return *q;
}

// Uniform in [-bound, bound].
BigInt SampleSymmetric(const BigInt& bound, RandomSource& rng) {
  return BigInt::RandomBelow(bound.ShiftLeft(1) + BigInt(1), rng) - bound;
}

BigInt Challenge(const BigInt& n0, const RingPedersenParams& params,
                 const PiFacProof& proof, const ProofContext& ctx) {
  Transcript t = Transcript::ForProof("pi_fac", ctx);
  t.AppendU64("ell", kPiFacEll);
  t.AppendU64("epsilon", kPiFacEpsilon);
  t.AppendBigInt("N0", n0);
  t.AppendBigInt("Nhat", params.n());
  t.AppendBigInt("s", params.s());
  t.AppendBigInt("t", params.t());
  t.AppendBigInt("P", proof.p_commit);
  t.AppendBigInt("Q", proof.q_commit);
  t.AppendBigInt("A", proof.a);
  t.AppendBigInt("B", proof.b);
  t.AppendBigInt("T", proof.t);
  t.AppendBigInt("sigma", proof.sigma);
  return t.ChallengeSymmetric("e", CurveOrder());
}

absl::Status CheckN0(const BigInt& n0) {
  if (n0.Sign() <= 0 || n0.BitLength() != kModBits) {
    return Fail(absl::StrCat("N0 has ", n0.BitLength(),
                             " bits, expected exactly ", kModBits));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PiFacProof> ProvePiFac(const PiFacStatement& statement,
                                      const PiFacWitness& witness,
                                      const ProofContext& ctx,
                                      RandomSource& rng) {
  const BigInt& n0 = statement.n0;
  if (absl::Status s = CheckN0(n0); !s.ok()) return s;
  const BigInt& p = witness.p;
  const BigInt& q = witness.q;
  if (p <= BigInt(1) || q <= BigInt(1) || p * q != n0) {
    return Fail("witness does not factor N0");
  }
  const RingPedersenParams& rp = statement.ring_pedersen;
  const BigInt& nhat = rp.n();
  const BigInt sqrt_n0 = BigInt::Sqrt(n0);
  const BigInt n0_nhat = n0 * nhat;
  const BigInt alpha_bound = sqrt_n0.ShiftLeft(kPiFacEll + kPiFacEpsilon);
  const BigInt mu_bound = nhat.ShiftLeft(kPiFacEll);
  const BigInt sigma_bound = n0_nhat.ShiftLeft(kPiFacEll);
  const BigInt r_bound = n0_nhat.ShiftLeft(kPiFacEll + kPiFacEpsilon);
  const BigInt x_bound = nhat.ShiftLeft(kPiFacEll + kPiFacEpsilon);

  BigInt alpha = SampleSymmetric(alpha_bound, rng);
  BigInt beta = SampleSymmetric(alpha_bound, rng);
  BigInt mu = SampleSymmetric(mu_bound, rng);
  BigInt nu = SampleSymmetric(mu_bound, rng);
  BigInt sigma = SampleSymmetric(sigma_bound, rng);
  BigInt r = SampleSymmetric(r_bound, rng);
  BigInt x = SampleSymmetric(x_bound, rng);
  BigInt y = SampleSymmetric(x_bound, rng);

  PiFacProof proof;
  proof.p_commit = rp.Commit(p, mu);
  proof.q_commit = rp.Commit(q, nu);
  proof.a = rp.Commit(alpha, x);
  proof.b = rp.Commit(beta, y);
  proof.t = BigInt::ModMul(BigInt::PowModSecret(proof.q_commit, alpha, nhat),
                           BigInt::PowModSecret(rp.t(), r, nhat), nhat);
  proof.sigma = sigma;
  const BigInt e = Challenge(n0, rp, proof, ctx);
  BigInt sigma_hat = sigma - nu * p;
  proof.z1 = alpha + e * p;
  proof.z2 = beta + e * q;
  proof.w1 = x + e * mu;
  proof.w2 = y + e * nu;
  proof.v = r + e * sigma_hat;
  for (BigInt* secret : {&alpha, &beta, &mu, &nu, &r, &x, &y, &sigma_hat}) {
    secret->Wipe();
  }
  return proof;
}

absl::Status VerifyPiFac(const PiFacStatement& statement,
                         const PiFacProof& proof, const ProofContext& ctx) {
  const BigInt& n0 = statement.n0;
  if (absl::Status s = CheckN0(n0); !s.ok()) return s;
  const RingPedersenParams& rp = statement.ring_pedersen;
  const BigInt& nhat = rp.n();
  const struct {
    const char* name;
    const BigInt* value;
  } elements[] = {{"P", &proof.p_commit},
                  {"Q", &proof.q_commit},
                  {"A", &proof.a},
                  {"B", &proof.b},
                  {"T", &proof.t}};
  for (const auto& el : elements) {
    if (!wire::IsUnitMod(*el.value, nhat)) {
      return Fail(absl::StrCat(el.name, " not in Z*_Nhat"));
    }
  }
  const BigInt n0_nhat = n0 * nhat;
  if (proof.sigma.Abs() > n0_nhat.ShiftLeft(kPiFacEll)) {
    return Fail("sigma out of range");
  }
  // |z| <= 2^{ℓ+ε}·sqrt(N0)  <=>  z² <= 2^{2(ℓ+ε)}·N0.
  const BigInt z_square_bound = n0.ShiftLeft(2 * (kPiFacEll + kPiFacEpsilon));
  if (proof.z1 * proof.z1 > z_square_bound) return Fail("z1 out of range");
  if (proof.z2 * proof.z2 > z_square_bound) return Fail("z2 out of range");
  const BigInt w_bound = nhat.ShiftLeft(kPiFacEll + kPiFacEpsilon + 1);
  if (proof.w1.Abs() > w_bound) return Fail("w1 out of range");
  if (proof.w2.Abs() > w_bound) return Fail("w2 out of range");
  if (proof.v.Abs() > n0_nhat.ShiftLeft(kPiFacEll + kPiFacEpsilon + 1)) {
    return Fail("v out of range");
  }

  const BigInt e = Challenge(n0, rp, proof, ctx);
  if (rp.CommitPublic(proof.z1, proof.w1) !=
      BigInt::ModMul(proof.a, BigInt::PowMod(proof.p_commit, e, nhat), nhat)) {
    return Fail("s^z1 t^w1 != A P^e mod Nhat");
  }
  if (rp.CommitPublic(proof.z2, proof.w2) !=
      BigInt::ModMul(proof.b, BigInt::PowMod(proof.q_commit, e, nhat), nhat)) {
    return Fail("s^z2 t^w2 != B Q^e mod Nhat");
  }
  const BigInt r_commit = rp.CommitPublic(n0, proof.sigma);
  const BigInt lhs =
      BigInt::ModMul(BigInt::PowMod(proof.q_commit, proof.z1, nhat),
                     BigInt::PowMod(rp.t(), proof.v, nhat), nhat);
  const BigInt rhs =
      BigInt::ModMul(proof.t, BigInt::PowMod(r_commit, e, nhat), nhat);
  if (lhs != rhs) return Fail("Q^z1 t^v != T R^e mod Nhat");
  return absl::OkStatus();
}

v1::PiFacProof PiFacProofToProto(const PiFacProof& proof) {
  v1::PiFacProof out;
  out.set_p(wire::EncodeInt(proof.p_commit));
  out.set_q(wire::EncodeInt(proof.q_commit));
  out.set_a(wire::EncodeInt(proof.a));
  out.set_b(wire::EncodeInt(proof.b));
  out.set_t(wire::EncodeInt(proof.t));
  out.set_sigma(wire::EncodeInt(proof.sigma));
  out.set_z1(wire::EncodeInt(proof.z1));
  out.set_z2(wire::EncodeInt(proof.z2));
  out.set_w1(wire::EncodeInt(proof.w1));
  out.set_w2(wire::EncodeInt(proof.w2));
  out.set_v(wire::EncodeInt(proof.v));
  return out;
}

absl::StatusOr<PiFacProof> PiFacProofFromProto(const v1::PiFacProof& proto) {
  if (absl::Status st = RejectUnknownFields(proto, "pi_fac"); !st.ok()) {
    return st;
  }
  PiFacProof proof;
  const struct {
    const char* name;
    const std::string* raw;
    size_t max_bytes;
    BigInt* out;
  } fields[] = {
      {"P", &proto.p(), kMaxElementBytes, &proof.p_commit},
      {"Q", &proto.q(), kMaxElementBytes, &proof.q_commit},
      {"A", &proto.a(), kMaxElementBytes, &proof.a},
      {"B", &proto.b(), kMaxElementBytes, &proof.b},
      {"T", &proto.t(), kMaxElementBytes, &proof.t},
      {"sigma", &proto.sigma(), kMaxSigmaBytes, &proof.sigma},
      {"z1", &proto.z1(), kMaxZBytes, &proof.z1},
      {"z2", &proto.z2(), kMaxZBytes, &proof.z2},
      {"w1", &proto.w1(), kMaxWBytes, &proof.w1},
      {"w2", &proto.w2(), kMaxWBytes, &proof.w2},
      {"v", &proto.v(), kMaxVBytes, &proof.v},
  };
  for (const auto& f : fields) {
    absl::StatusOr<BigInt> v =
        wire::DecodeInt("pi_fac", f.name, *f.raw, f.max_bytes);
    if (!v.ok()) return v.status();
    *f.out = *std::move(v);
  }
  return proof;
}

}  // namespace nitro_tss::mpc::zk
