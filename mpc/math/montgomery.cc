#include "mpc/math/montgomery.h"

#include <sodium.h>

#include <algorithm>

namespace nitro_tss::mpc {
namespace {

void WipeLimbs(std::vector<mp_limb_t>& v) {
  if (!v.empty()) sodium_memzero(v.data(), v.size() * sizeof(mp_limb_t));
}

}  // namespace

Montgomery::Montgomery(const BigInt& modulus) : modulus_(modulus) {
  if (modulus_.Sign() <= 0 || !modulus_.IsOdd() || modulus_ == BigInt(1)) {
    __builtin_trap();
  }
  limbs_ = mpz_size(modulus_.get());
  // Newton's iteration for m0^-1 mod 2^64: x ← x·(2 − m0·x) doubles the
  // number of correct low bits; x = m0 is right to 3 bits (m0 odd).
  const mp_limb_t m0 = mpz_getlimbn(modulus_.get(), 0);
  mp_limb_t x = m0;
  for (int i = 0; i < 5; ++i) x *= 2 - m0 * x;
  minv_ = 0 - x;
}

Montgomery::~Montgomery() = default;

Montgomery::Workspace::Workspace(const Montgomery& m) {
  const mp_size_t n = static_cast<mp_size_t>(m.limbs_);
  product_.assign(2 * m.limbs_, 0);
  scratch_.assign(static_cast<size_t>(
                      std::max(mpn_sec_mul_itch(n, n), mpn_sec_sqr_itch(n))),
                  0);
}

Montgomery::Workspace::~Workspace() {
  WipeLimbs(product_);
  WipeLimbs(scratch_);
}

void Montgomery::Reduce(mp_limb_t* out, Workspace& ws) const {
  const mp_size_t n = static_cast<mp_size_t>(limbs_);
  const mp_limb_t* m = mpz_limbs_read(modulus_.get());
  mp_limb_t* t = ws.product_.data();
  // REDC, as GMP's mpn_redc_1: round i adds q·m·2^(64·i) with q chosen to
  // clear limb i, and keeps the carry out of limb i + n - 1 in the cleared
  // limb (it belongs to limb i + n and is added below).
  for (mp_size_t i = 0; i < n; ++i) {
    const mp_limb_t q = t[i] * minv_;
    t[i] = mpn_addmul_1(t + i, m, n, q);
  }
  // (t + q·m) / R = high half + the carries, < 2m.
  const mp_limb_t carry = mpn_add_n(out, t + n, t, n);
  // Subtract m when the sum overflowed R or is still >= m; both branches'
  // work is done either way (mpn_sub_n into the product's low half, then a
  // masked subtraction).
  const mp_limb_t borrow = mpn_sub_n(t, out, m, n);
  mpn_cnd_sub_n(carry | (borrow ^ 1), out, out, m, n);
}

void Montgomery::Mul(mp_limb_t* out, const mp_limb_t* a, const mp_limb_t* b,
                     Workspace& ws) const {
  const mp_size_t n = static_cast<mp_size_t>(limbs_);
  mpn_sec_mul(ws.product_.data(), a, n, b, n, ws.scratch_.data());
  Reduce(out, ws);
}

void Montgomery::Sqr(mp_limb_t* out, const mp_limb_t* a, Workspace& ws) const {
  const mp_size_t n = static_cast<mp_size_t>(limbs_);
  mpn_sec_sqr(ws.product_.data(), a, n, ws.scratch_.data());
  Reduce(out, ws);
}

std::vector<mp_limb_t> Montgomery::ToMontgomery(const BigInt& x) const {
  BigInt shifted = x.ShiftLeft(64 * limbs_);
  BigInt r = BigInt::ModConstTime(shifted, modulus_);
  std::vector<mp_limb_t> out(limbs_, 0);
  const size_t size = mpz_size(r.get());
  for (size_t i = 0; i < size && i < limbs_; ++i) {
    out[i] = mpz_getlimbn(r.get(), static_cast<mp_size_t>(i));
  }
  shifted.Wipe();
  r.Wipe();
  return out;
}

BigInt Montgomery::FromMontgomery(const mp_limb_t* a, Workspace& ws) const {
  // a·1·R^-1: the product is a itself, zero-extended.
  std::fill(ws.product_.begin(), ws.product_.end(), 0);
  std::copy(a, a + limbs_, ws.product_.begin());
  std::vector<mp_limb_t> out(limbs_, 0);
  Reduce(out.data(), ws);
  BigInt r;
  mpz_import(r.get_mut(), limbs_, -1, sizeof(mp_limb_t), 0, 0, out.data());
  WipeLimbs(out);
  return r;
}

BigInt Montgomery::PowPublicExponent(const BigInt& base,
                                     const BigInt& exp) const {
  internal::CountConstTimePow();
  const size_t n = limbs_;
  const BigInt magnitude = exp.Abs();
  const size_t bits = magnitude.BitLength();
  Workspace ws(*this);
  std::vector<mp_limb_t> acc = ToMontgomery(BigInt(1));
  if (bits > 0) {
    // Window width by exponent size (as GMP's mpz_powm chooses); odd powers
    // b, b^3, ..., b^(2^w - 1) in Montgomery form.
    const size_t w = bits > 1500 ? 6 : bits > 500 ? 5 : bits > 100 ? 4 : 2;
    const size_t entries = size_t{1} << (w - 1);
    std::vector<mp_limb_t> table(entries * n, 0), b2(n, 0);
    {
      std::vector<mp_limb_t> b = ToMontgomery(base);
      std::copy(b.begin(), b.end(), table.begin());
      WipeLimbs(b);
    }
    Sqr(b2.data(), table.data(), ws);
    for (size_t i = 1; i < entries; ++i) {
      Mul(&table[i * n], &table[(i - 1) * n], b2.data(), ws);
    }
    WipeLimbs(b2);
    // Left to right: a window is the longest run of <= w bits starting at a
    // set bit and ending at a set bit.
    bool started = false;
    size_t i = bits;
    while (i > 0) {
      if (!magnitude.TestBit(i - 1)) {
        if (started) Sqr(acc.data(), acc.data(), ws);
        --i;
        continue;
      }
      size_t len = std::min(w, i);
      while (!magnitude.TestBit(i - len)) --len;  // end the window at a 1
      size_t value = 0;
      for (size_t k = 0; k < len; ++k) {
        value = (value << 1) | (magnitude.TestBit(i - 1 - k) ? 1 : 0);
      }
      const mp_limb_t* entry = &table[(value >> 1) * n];
      if (started) {
        for (size_t k = 0; k < len; ++k) Sqr(acc.data(), acc.data(), ws);
        Mul(acc.data(), acc.data(), entry, ws);
      } else {
        std::copy(entry, entry + n, acc.begin());
        started = true;
      }
      i -= len;
    }
    WipeLimbs(table);
  }
  BigInt out = FromMontgomery(acc.data(), ws);
  WipeLimbs(acc);
  if (!exp.IsNegative()) return out;
  // out^-1 mod m by mpn_sec_invert: n limbs in (out < m), bit count bound
  // 2·64·n as GMP requires (>= bits(out) + bits(m)).
  const mp_size_t ln = static_cast<mp_size_t>(n);
  std::vector<mp_limb_t> a(n, 0), inv(n, 0);
  const size_t size = mpz_size(out.get());
  for (size_t k = 0; k < size && k < n; ++k) {
    a[k] = mpz_getlimbn(out.get(), static_cast<mp_size_t>(k));
  }
  std::vector<mp_limb_t> scratch(static_cast<size_t>(mpn_sec_invert_itch(ln)),
                                 0);
  const int ok =
      mpn_sec_invert(inv.data(), a.data(), mpz_limbs_read(modulus_.get()), ln,
                     2 * 64 * ln, scratch.data());
  // Not a unit: 0 (selected without a branch on the secret outcome).
  for (mp_limb_t& limb : inv) limb &= 0 - static_cast<mp_limb_t>(ok);
  BigInt r;
  mpz_import(r.get_mut(), n, -1, sizeof(mp_limb_t), 0, 0, inv.data());
  WipeLimbs(a);
  WipeLimbs(inv);
  WipeLimbs(scratch);
  out.Wipe();
  return r;
}

}  // namespace nitro_tss::mpc
