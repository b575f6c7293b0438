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

Montgomery::~Montgomery() {
  // −m^-1 mod 2^64 gives m mod 2^64 (m may be a secret prime).
  sodium_memzero(&minv_, sizeof(minv_));
}

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

namespace {

// Window width of a public exponent's sliding window (as GMP's mpz_powm
// chooses by exponent size): odd powers up to 2^w - 1.
size_t PublicWindow(size_t bits) {
  return bits > 1500 ? 6 : bits > 500 ? 5 : bits > 100 ? 4 : 2;
}

// Window width of a secret exponent's fixed windows: each window costs one
// product and a scan of 2^w table entries, the table 2^w products.
size_t SecretWindow(size_t bits) {
  return bits > 1800 ? 6 : bits > 600 ? 5 : bits > 160 ? 4 : bits > 40 ? 3 : 2;
}

// Sliding-window schedule of a public exponent: for each bit position j,
// the odd-table index to multiply by after the squaring at j, or -1. A
// window is the longest run of <= w bits starting at a set bit and ending at
// a set bit.
std::vector<int> PublicSchedule(const BigInt& magnitude, size_t w) {
  const size_t bits = magnitude.BitLength();
  std::vector<int> at(bits, -1);
  size_t i = bits;
  while (i > 0) {
    if (!magnitude.TestBit(i - 1)) {
      --i;
      continue;
    }
    size_t len = std::min(w, i);
    while (!magnitude.TestBit(i - len)) --len;  // end the window at a 1
    size_t value = 0;
    for (size_t k = 0; k < len; ++k) {
      value = (value << 1) | (magnitude.TestBit(i - 1 - k) ? 1 : 0);
    }
    at[i - len] = static_cast<int>(value >> 1);
    i -= len;
  }
  return at;
}

}  // namespace

std::vector<mp_limb_t> Montgomery::OddTable(const BigInt& b, size_t w,
                                            Workspace& ws) const {
  const size_t n = limbs_;
  const size_t entries = size_t{1} << (w - 1);
  std::vector<mp_limb_t> table(entries * n, 0), b2(n, 0);
  {
    std::vector<mp_limb_t> m = ToMontgomery(b);
    std::copy(m.begin(), m.end(), table.begin());
    WipeLimbs(m);
  }
  Sqr(b2.data(), table.data(), ws);
  for (size_t i = 1; i < entries; ++i) {
    Mul(&table[i * n], &table[(i - 1) * n], b2.data(), ws);
  }
  WipeLimbs(b2);
  return table;
}

std::vector<mp_limb_t> Montgomery::FullTable(const BigInt& b, size_t w,
                                             Workspace& ws) const {
  const size_t n = limbs_;
  const size_t entries = size_t{1} << w;
  std::vector<mp_limb_t> table(entries * n, 0);
  {
    // R mod m is m's two's complement for a modulus with its top bit set:
    // secret when m is.
    std::vector<mp_limb_t> one = ToMontgomery(BigInt(1));
    std::copy(one.begin(), one.end(), table.begin());
    WipeLimbs(one);
    std::vector<mp_limb_t> m = ToMontgomery(b);
    std::copy(m.begin(), m.end(), table.begin() + n);
    WipeLimbs(m);
  }
  for (size_t i = 2; i < entries; ++i) {
    Mul(&table[i * n], &table[(i - 1) * n], &table[n], ws);
  }
  return table;
}

BigInt Montgomery::InvertConstTime(BigInt a_in) const {
  // a^-1 mod m by mpn_sec_invert: n limbs in (a < m), bit count bound
  // 2·64·n as GMP requires (>= bits(a) + bits(m)).
  const size_t n = limbs_;
  const mp_size_t ln = static_cast<mp_size_t>(n);
  std::vector<mp_limb_t> a(n, 0), inv(n, 0);
  const size_t size = mpz_size(a_in.get());
  for (size_t k = 0; k < size && k < n; ++k) {
    a[k] = mpz_getlimbn(a_in.get(), static_cast<mp_size_t>(k));
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
  a_in.Wipe();
  return r;
}

BigInt Montgomery::Joint(const std::vector<PublicPower>& publics,
                         const BigInt* b, const BigInt& s,
                         size_t s_bits) const {
  const size_t n = limbs_;
  Workspace ws(*this);
  // Public parts: a_i^e_i by sliding windows whose schedules come from the
  // e_i (a zero exponent contributes nothing).
  struct PublicPart {
    size_t bits;
    std::vector<int> at;
    std::vector<mp_limb_t> table;
  };
  std::vector<PublicPart> parts;
  parts.reserve(publics.size());
  size_t top = 0;
  for (const PublicPower& pp : publics) {
    PublicPart part;
    part.bits = pp.exp->BitLength();
    if (part.bits > 0) {
      const size_t w = PublicWindow(part.bits);
      part.at = PublicSchedule(*pp.exp, w);
      part.table = OddTable(*pp.base, w, ws);
    }
    top = std::max(top, part.bits);
    parts.push_back(std::move(part));
  }
  // Secret part: b^s in fixed windows of sw bits, digit k multiplied after
  // the squaring at bit k·sw.
  size_t s_windows = 0, sw = 0;
  std::vector<mp_limb_t> s_table, s_limbs, selected;
  if (b != nullptr && s_bits > 0) {
    sw = SecretWindow(s_bits);
    s_windows = (s_bits + sw - 1) / sw;
    s_table = FullTable(*b, sw, ws);
    // s in exactly enough limbs for every window (zero-padded).
    const size_t limbs = (s_windows * sw + 63) / 64 + 1;
    s_limbs.assign(limbs, 0);
    // Every limb up to the public bound (mpz_getlimbn gives 0 beyond the
    // value's size), so the loop does not depend on s's length.
    for (size_t k = 0; k < limbs; ++k) {
      s_limbs[k] = mpz_getlimbn(s.get(), static_cast<mp_size_t>(k));
    }
    selected.assign(n, 0);
  }
  top = std::max(top, s_windows * sw);
  std::vector<mp_limb_t> acc;
  bool started = false;  // depends on public positions only
  const auto multiply = [&](const mp_limb_t* entry) {
    if (started) {
      Mul(acc.data(), acc.data(), entry, ws);
    } else {
      acc.assign(entry, entry + n);
      started = true;
    }
  };
  for (size_t j = top; j-- > 0;) {
    if (started) Sqr(acc.data(), acc.data(), ws);
    for (const PublicPart& part : parts) {
      if (j < part.bits && part.at[j] >= 0) {
        multiply(&part.table[static_cast<size_t>(part.at[j]) * n]);
      }
    }
    if (sw != 0 && j % sw == 0 && j / sw < s_windows) {
      // Digit k = bits [k·sw, k·sw + sw) of s; it may straddle two limbs.
      const size_t bit = j;
      const size_t limb = bit / 64, off = bit % 64;
      mp_limb_t v = s_limbs[limb] >> off;
      if (off + sw > 64) v |= s_limbs[limb + 1] << (64 - off);
      const mp_limb_t digit = v & ((mp_limb_t{1} << sw) - 1);
      mpn_sec_tabselect(selected.data(), s_table.data(),
                        static_cast<mp_size_t>(n),
                        static_cast<mp_size_t>(size_t{1} << sw),
                        static_cast<mp_size_t>(digit));
      multiply(selected.data());
    }
  }
  if (!started) acc = ToMontgomery(BigInt(1));
  BigInt out = FromMontgomery(acc.data(), ws);
  for (std::vector<mp_limb_t>* v : {&acc, &s_table, &s_limbs, &selected}) {
    WipeLimbs(*v);
  }
  for (PublicPart& part : parts) WipeLimbs(part.table);
  return out;
}

BigInt Montgomery::PowPublicExponent(const BigInt& base,
                                     const BigInt& exp) const {
  internal::CountConstTimePow();
  const BigInt magnitude = exp.Abs();
  BigInt out = Joint({{&base, &magnitude}}, nullptr, BigInt(), 0);
  if (!exp.IsNegative()) return out;
  return InvertConstTime(std::move(out));
}

BigInt Montgomery::PowPublicTimesSecret(const BigInt& a, const BigInt& e,
                                        const BigInt& b, const BigInt& s,
                                        size_t s_bits) const {
  return PowProduct({{&a, &e}}, &b, s, s_bits);
}

BigInt Montgomery::PowProduct(const std::vector<PublicPower>& publics,
                              const BigInt* b, const BigInt& s,
                              size_t s_bits) const {
  internal::CountConstTimePow();
  for (const PublicPower& pp : publics) {
    if (pp.base == nullptr || pp.exp == nullptr || pp.exp->IsNegative()) {
      __builtin_trap();
    }
  }
  if (b != nullptr && (s.IsNegative() || s.BitLength() > s_bits)) {
    __builtin_trap();
  }
  return Joint(publics, b, s, s_bits);
}

}  // namespace nitro_tss::mpc
