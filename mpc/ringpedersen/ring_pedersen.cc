#include "mpc/ringpedersen/ring_pedersen.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mpc/paillier/paillier.h"

namespace nitro_tss::mpc {
namespace {

absl::Status CheckElement(const char* name, const BigInt& v, const BigInt& n) {
  if (v <= BigInt(1) || v >= n - BigInt(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ring_pedersen: ", name, " out of range (1, N-1)"));
  }
  if (BigInt::Gcd(v, n) != BigInt(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ring_pedersen: ", name, " not a unit mod N"));
  }
  return absl::OkStatus();
}

std::string Bytes(const BigInt& v) {
  std::vector<uint8_t> b = v.ToSignedBytes();
  return std::string(b.begin(), b.end());
}

absl::StatusOr<BigInt> Decode(const char* field, const std::string& raw) {
  absl::StatusOr<BigInt> v = BigInt::FromSignedBytes(
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()),
                                raw.size()),
      kPaillierModulusBits / 8);
  if (!v.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ring_pedersen: field ", field, ": ", v.status().message()));
  }
  return v;
}

}  // namespace

RingPedersenParams::RingPedersenParams(BigInt n, BigInt s, BigInt t)
    : n_(std::move(n)), s_(std::move(s)), t_(std::move(t)) {}

absl::StatusOr<RingPedersenParams> RingPedersenParams::Create(const BigInt& n,
                                                              const BigInt& s,
                                                              const BigInt& t) {
  if (n.Sign() <= 0) {
    return absl::InvalidArgumentError("ring_pedersen: N not positive");
  }
  if (n.BitLength() != kPaillierModulusBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("ring_pedersen: N has ", n.BitLength(),
                     " bits, expected exactly ", kPaillierModulusBits));
  }
  if (!n.IsOdd()) {
    return absl::InvalidArgumentError("ring_pedersen: N is even");
  }
  if (absl::Status st = CheckElement("s", s, n); !st.ok()) return st;
  if (absl::Status st = CheckElement("t", t, n); !st.ok()) return st;
  if (s == t) return absl::InvalidArgumentError("ring_pedersen: s == t");
  return RingPedersenParams(n, s, t);
}

BigInt RingPedersenParams::Commit(const BigInt& x, const BigInt& y) const {
  return BigInt::ModMul(BigInt::PowModSecret(s_, x, n_),
                        BigInt::PowModSecret(t_, y, n_), n_);
}

BigInt RingPedersenParams::CommitPublic(const BigInt& x,
                                        const BigInt& y) const {
  return BigInt::ModMul(BigInt::PowMod(s_, x, n_), BigInt::PowMod(t_, y, n_),
                        n_);
}

v1::RingPedersenParams RingPedersenParams::ToProto() const {
  v1::RingPedersenParams out;
  out.set_n(Bytes(n_));
  out.set_s(Bytes(s_));
  out.set_t(Bytes(t_));
  return out;
}

absl::StatusOr<RingPedersenParams> RingPedersenParams::FromProto(
    const v1::RingPedersenParams& proto) {
  absl::StatusOr<BigInt> n = Decode("n", proto.n());
  if (!n.ok()) return n.status();
  absl::StatusOr<BigInt> s = Decode("s", proto.s());
  if (!s.ok()) return s.status();
  absl::StatusOr<BigInt> t = Decode("t", proto.t());
  if (!t.ok()) return t.status();
  return Create(*n, *s, *t);
}

RingPedersenSecret::RingPedersenSecret(RingPedersenParams params, BigInt p,
                                       BigInt q, BigInt tau, BigInt lambda)
    : params_(std::move(params)),
      p_(std::move(p)),
      q_(std::move(q)),
      tau_(std::move(tau)),
      lambda_(std::move(lambda)) {
  p_minus_1_ = p_ - BigInt(1);
  q_minus_1_ = q_ - BigInt(1);
  phi_ = p_minus_1_ * q_minus_1_;
  q_inv_p_ = *BigInt::ModInverse(q_, p_);
  // The combs hold p, q and their Montgomery constants: wiped when freed,
  // and in the locked arena when built inside a LockedScope. (They reduce t
  // modulo p, q themselves, in constant time.)
  t_comb_p_ = std::allocate_shared<const FixedBaseExp>(
      WipingAllocator<FixedBaseExp>(), params_.t(), p_, p_minus_1_.BitLength(),
      kPowTTables);
  t_comb_q_ = std::allocate_shared<const FixedBaseExp>(
      WipingAllocator<FixedBaseExp>(), params_.t(), q_, q_minus_1_.BitLength(),
      kPowTTables);
}

absl::StatusOr<RingPedersenSecret> RingPedersenSecret::FromParts(
    const BigInt& p, const BigInt& q, const BigInt& tau, const BigInt& lambda) {
  absl::StatusOr<PaillierPrivateKey> key = PaillierPrivateKey::FromPrimes(p, q);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ring_pedersen: ", key.status().message()));
  }
  const BigInt& n = key->n();
  if (tau.Sign() <= 0 || tau >= n || BigInt::Gcd(tau, n) != BigInt(1)) {
    return absl::InvalidArgumentError("ring_pedersen: tau not in Z*_N");
  }
  if (lambda.IsNegative() || lambda >= key->phi()) {
    return absl::InvalidArgumentError("ring_pedersen: lambda not in [0, phi)");
  }
  BigInt t = BigInt::ModMul(tau, tau, n);
  BigInt s = BigInt::PowModConstTime(t, lambda, n, kPaillierModulusBits);
  absl::StatusOr<RingPedersenParams> params =
      RingPedersenParams::Create(n, s, t);
  if (!params.ok()) return params.status();
  return RingPedersenSecret(*std::move(params), p, q, tau, lambda);
}

absl::StatusOr<RingPedersenSecret> RingPedersenSecret::Generate(
    const BigInt& p, const BigInt& q, RandomSource& rng) {
  absl::StatusOr<PaillierPrivateKey> key = PaillierPrivateKey::FromPrimes(p, q);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ring_pedersen: ", key.status().message()));
  }
  for (int attempt = 0; attempt < 64; ++attempt) {
    BigInt tau = BigInt::RandomUnit(key->n(), rng);
    BigInt lambda = BigInt::RandomBelow(key->phi(), rng);
    absl::StatusOr<RingPedersenSecret> out = FromParts(p, q, tau, lambda);
    if (out.ok()) return out;
  }
  return absl::InternalError(
      "ring_pedersen: could not sample valid parameters");
}

BigInt RingPedersenSecret::PowT(const BigInt& e) const {
  // e (any sign) and the moduli are secret: constant-time reduction,
  // exponentiation and recombination.
  BigInt ep = BigInt::ModConstTime(e, p_minus_1_);
  BigInt eq = BigInt::ModConstTime(e, q_minus_1_);
  // 0 <= ep < p - 1: always within the comb's range.
  BigInt xp = t_comb_p_->Pow(ep);
  BigInt xq = t_comb_q_->Pow(eq);
  BigInt h = BigInt::ModConstTime((xp - xq) * q_inv_p_, p_);
  BigInt out = xq + q_ * h;
  ep.Wipe();
  eq.Wipe();
  xp.Wipe();
  xq.Wipe();
  h.Wipe();
  return out;
}

BigInt RingPedersenSecret::Commit(const BigInt& x, const BigInt& y) const {
  BigInt e = lambda_ * x + y;
  BigInt out = PowT(e);
  e.Wipe();
  return out;
}

}  // namespace nitro_tss::mpc
