#include "mpc/zk/crt.h"

#include <utility>

#include "absl/status/statusor.h"

namespace nitro_tss::mpc::zk {

CrtExponentiator::CrtExponentiator(const BigInt& m1, const BigInt& order1,
                                   const BigInt& m2, const BigInt& order2)
    : m1_(m1), order1_(order1), m2_(m2), order2_(order2), m_(m1 * m2) {
  absl::StatusOr<BigInt> inv = BigInt::ModInverse(m1_, m2_);
  // The factors of a modulus are coprime by construction; a violation is a
  // programming error that would make every result wrong.
  if (!inv.ok()) __builtin_trap();
  m1_inv_mod_m2_ = *std::move(inv);
}

CrtExponentiator::~CrtExponentiator() = default;

CrtExponentiator CrtExponentiator::ForPaillierSquare(const BigInt& p,
                                                     const BigInt& q) {
  return CrtExponentiator(p * p, p * (p - BigInt(1)), q * q,
                          q * (q - BigInt(1)));
}

CrtExponentiator CrtExponentiator::ForPrimes(const BigInt& p, const BigInt& q) {
  return CrtExponentiator(p, p - BigInt(1), q, q - BigInt(1));
}

BigInt CrtExponentiator::Combine(const BigInt& r1, const BigInt& r2) const {
  // x = r1 + m1 · ((r2 - r1) · m1^{-1} mod m2), every reduction modulo the
  // secret m2 by mpn_sec_div_r (r2 + m2 - (r1 mod m2) is never negative).
  BigInt diff = r2 + m2_ - BigInt::ModConstTime(r1, m2_);
  BigInt h = BigInt::ModConstTime(diff * m1_inv_mod_m2_, m2_);
  BigInt out = r1 + m1_ * h;
  diff.Wipe();
  h.Wipe();
  return out;
}

namespace {

// base^mag mod m for mag >= 0 and a unit base, constant time in m, order and
// base (PowModConstTime; the base is reduced inside it). `order` is a
// multiple of the exponent of Z*_m. The branch compares bit lengths only:
// mag is public, and the bit length of order is fixed by the key format (p
// of kPaillierPrimeBits bits with its two top bits set). A mag shorter than
// order is used as is (a public exponent of public length); a longer one is
// reduced modulo order by mpn_sec_div_r and padded to order's bit length.
BigInt PowHalf(const BigInt& base, const BigInt& mag, const BigInt& order,
               const BigInt& m) {
  if (mag.BitLength() < order.BitLength()) {
    return BigInt::PowModConstTime(base, mag, m, mag.BitLength());
  }
  BigInt e = BigInt::ModConstTime(mag, order);
  BigInt out = BigInt::PowModConstTime(base, e, m, order.BitLength());
  e.Wipe();
  return out;
}

}  // namespace

BigInt CrtExponentiator::Pow(const BigInt& base, const BigInt& exp) const {
  // The sign of exp is public, and so is the result (any party can compute
  // base^exp mod m from public values): a negative exponent inverts the
  // combined result modulo the public m, never anything modulo a secret
  // factor.
  const BigInt mag = exp.Abs();
  BigInt r1 = PowHalf(base, mag, order1_, m1_);
  BigInt r2 = PowHalf(base, mag, order2_, m2_);
  BigInt out = Combine(r1, r2);
  r1.Wipe();
  r2.Wipe();
  if (exp.IsNegative()) {
    absl::StatusOr<BigInt> inv = BigInt::ModInverse(out, m_);
    // Callers only pass units; a non-unit is a programming error.
    if (!inv.ok()) __builtin_trap();
    return *std::move(inv);
  }
  return out;
}

BigInt CrtExponentiator::PowProduct(
    const std::vector<Montgomery::PublicPower>& terms) const {
  // One half: the bit-length comparisons are on public values (the
  // exponents, and the orders' lengths fixed by the key format, as in
  // PowHalf).
  const auto half = [&terms](const BigInt& mi, const BigInt& order) {
    std::vector<Montgomery::PublicPower> publics;
    const Montgomery::PublicPower* longer = nullptr;
    for (const Montgomery::PublicPower& t : terms) {
      if (t.exp->IsNegative()) __builtin_trap();  // callers pass magnitudes
      if (t.exp->BitLength() < order.BitLength()) {
        publics.push_back(t);
      } else {
        if (longer != nullptr) __builtin_trap();  // one at most
        longer = &t;
      }
    }
    BigInt e;
    size_t bits = 0;
    if (longer != nullptr) {
      e = BigInt::ModConstTime(*longer->exp, order);
      bits = order.BitLength();
    }
    BigInt out = Montgomery(mi).PowProduct(
        publics, longer != nullptr ? longer->base : nullptr, e, bits);
    e.Wipe();
    return out;
  };
  BigInt r1 = half(m1_, order1_);
  BigInt r2 = half(m2_, order2_);
  BigInt out = Combine(r1, r2);
  r1.Wipe();
  r2.Wipe();
  return out;
}

}  // namespace nitro_tss::mpc::zk
