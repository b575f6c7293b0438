#include "mpc/paillier/fixed_base.h"

#include <sodium.h>

#include <algorithm>

namespace nitro_tss::mpc {
namespace {

void Wipe(std::vector<mp_limb_t>& v) {
  if (!v.empty()) sodium_memzero(v.data(), v.size() * sizeof(mp_limb_t));
}

// Copies |v| (< 2^(64·n)) into n little-endian limbs.
void ToLimbs(const BigInt& v, mp_limb_t* out, mp_size_t n) {
  for (mp_size_t i = 0; i < n; ++i) out[i] = 0;
  mp_size_t size = static_cast<mp_size_t>(mpz_size(v.get()));
  for (mp_size_t i = 0; i < size && i < n; ++i) {
    out[i] = mpz_getlimbn(v.get(), i);
  }
}

}  // namespace

FixedBaseExp::FixedBaseExp(const BigInt& base, const BigInt& modulus,
                           size_t max_exponent_bits)
    : modulus_(modulus),
      base_(BigInt::Mod(base, modulus)),
      max_exponent_bits_(max_exponent_bits) {
  constexpr int h = kCombBlocks;
  block_bits_ = (max_exponent_bits_ + h - 1) / h;
  limbs_ = static_cast<mp_size_t>(mpz_size(modulus_.get()));
  if (!modulus_.IsOdd()) return;  // Pow always falls back
  montgomery_.emplace(modulus_);
  // G_i = base^(2^(i·a)).
  std::vector<BigInt> g(h);
  BigInt x = base_;
  for (int i = 0; i < h; ++i) {
    g[i] = x;
    for (size_t s = 0; s < block_bits_; ++s) x = BigInt::ModMul(x, x, modulus_);
  }
  table_.assign((size_t{1} << h) * static_cast<size_t>(limbs_), 0);
  for (size_t j = 0; j < (size_t{1} << h); ++j) {
    BigInt e = BigInt::Mod(BigInt(1), modulus_);
    for (int i = 0; i < h; ++i) {
      if ((j >> i) & 1) e = BigInt::ModMul(e, g[i], modulus_);
    }
    std::vector<mp_limb_t> m = montgomery_->ToMontgomery(e);
    std::copy(m.begin(), m.end(),
              table_.begin() +
                  static_cast<std::ptrdiff_t>(j * static_cast<size_t>(limbs_)));
    Wipe(m);
    e.Wipe();
  }
  for (BigInt& v : g) v.Wipe();
  x.Wipe();
}

FixedBaseExp::~FixedBaseExp() { Wipe(table_); }

BigInt FixedBaseExp::Pow(const BigInt& e) const {
  constexpr int h = kCombBlocks;
  if (e.IsNegative() || e.BitLength() > max_exponent_bits_ || limbs_ == 0 ||
      !modulus_.IsOdd()) {
    // Out of the table's range (never for the Paillier key's own exponents,
    // which are reduced below p - 1): the generic constant-time path for
    // odd moduli, PowModSecret (sign hidden, public base) for negative
    // exponents; an even modulus is public and variable time.
    if (!modulus_.IsOdd()) return BigInt::PowMod(base_, e, modulus_);
    if (e.IsNegative()) return BigInt::PowModSecret(base_, e, modulus_);
    return BigInt::PowModConstTime(base_, e, modulus_, max_exponent_bits_);
  }
  const mp_size_t n = limbs_;
  const size_t total_bits = block_bits_ * h;
  std::vector<mp_limb_t> exp((total_bits + 63) / 64 + 1, 0);
  ToLimbs(e, exp.data(), static_cast<mp_size_t>(exp.size()));
  auto bit = [&](size_t i) -> size_t {
    return static_cast<size_t>((exp[i / 64] >> (i % 64)) & 1);
  };
  const Montgomery& mont = *montgomery_;
  Montgomery::Workspace ws(mont);
  std::vector<mp_limb_t> acc(table_.begin(), table_.begin() + n),
      entry(static_cast<size_t>(n), 0);
  // acc = T[0] = 1 in Montgomery form.
  for (size_t col = block_bits_; col-- > 0;) {
    mont.Sqr(acc.data(), acc.data(), ws);
    size_t index = 0;
    for (int i = 0; i < h; ++i) index |= bit(i * block_bits_ + col) << i;
    mpn_sec_tabselect(entry.data(), table_.data(), n, mp_size_t{1} << h,
                      static_cast<mp_size_t>(index));
    mont.Mul(acc.data(), acc.data(), entry.data(), ws);
  }
  BigInt out = mont.FromMontgomery(acc.data(), ws);
  Wipe(exp);
  Wipe(acc);
  Wipe(entry);
  return out;
}

}  // namespace nitro_tss::mpc
