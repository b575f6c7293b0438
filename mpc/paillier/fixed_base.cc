#include "mpc/paillier/fixed_base.h"

#include <sodium.h>

namespace nitro_tss::mpc {
namespace {

template <class Vector>
void Wipe(Vector& v) {
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
    ToLimbs(e, &table_[j * static_cast<size_t>(limbs_)], limbs_);
  }
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
  mp_size_t itch = mpn_sec_mul_itch(n, n);
  if (mpn_sec_sqr_itch(n) > itch) itch = mpn_sec_sqr_itch(n);
  if (mpn_sec_div_r_itch(2 * n, n) > itch) itch = mpn_sec_div_r_itch(2 * n, n);
  std::vector<mp_limb_t> acc(2 * n, 0), prod(2 * n, 0), entry(n, 0),
      scratch(static_cast<size_t>(itch), 0);
  const mp_limb_t* mod = modulus_.get()->_mp_d;
  // acc = 1 mod m (T[0] holds exactly that).
  for (mp_size_t i = 0; i < n; ++i) acc[i] = table_[i];
  for (size_t col = block_bits_; col-- > 0;) {
    mpn_sec_sqr(prod.data(), acc.data(), n, scratch.data());
    mpn_sec_div_r(prod.data(), 2 * n, mod, n, scratch.data());
    size_t index = 0;
    for (int i = 0; i < h; ++i) index |= bit(i * block_bits_ + col) << i;
    mpn_sec_tabselect(entry.data(), table_.data(), n, mp_size_t{1} << h,
                      static_cast<mp_size_t>(index));
    mpn_sec_mul(acc.data(), prod.data(), n, entry.data(), n, scratch.data());
    mpn_sec_div_r(acc.data(), 2 * n, mod, n, scratch.data());
  }
  BigInt out;
  mpz_import(out.get_mut(), static_cast<size_t>(n), -1, sizeof(mp_limb_t), 0, 0,
             acc.data());
  Wipe(exp);
  Wipe(acc);
  Wipe(prod);
  Wipe(entry);
  Wipe(scratch);
  return out;
}

}  // namespace nitro_tss::mpc
