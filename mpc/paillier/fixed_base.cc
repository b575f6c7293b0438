#include "mpc/paillier/fixed_base.h"

#include <sodium.h>

#include <algorithm>

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
                           size_t max_exponent_bits, size_t tables)
    : modulus_(modulus),
      base_(BigInt::ModConstTime(base, modulus)),
      max_exponent_bits_(max_exponent_bits),
      tables_(tables) {
  if (tables_ < 1 || tables_ > kMaxTables) __builtin_trap();
  constexpr int h = kCombBlocks;
  sub_bits_ = (max_exponent_bits_ + h * tables_ - 1) / (h * tables_);
  block_bits_ = sub_bits_ * tables_;
  limbs_ = static_cast<mp_size_t>(mpz_size(modulus_.get()));
  if (!modulus_.IsOdd()) return;  // Pow always falls back
  montgomery_.emplace(modulus_);
  const Montgomery& mont = *montgomery_;
  const size_t n = static_cast<size_t>(limbs_);
  const size_t entries = size_t{1} << h;
  Montgomery::Workspace ws(mont);
  // G[i·v + k] = base^(2^(i·a + k·b)) in Montgomery form, by squarings; in
  // table k, T_k[j] for j with top bit i is T_k[j - 2^i] · G[i·v + k].
  std::vector<mp_limb_t> g(h * tables_ * n), x = mont.ToMontgomery(base_);
  for (size_t step = 0; step < h * tables_; ++step) {
    std::copy(x.begin(), x.end(),
              g.begin() + static_cast<std::ptrdiff_t>(step * n));
    // The last sub-block's squarings are not needed.
    if (step + 1 == h * tables_) break;
    for (size_t s = 0; s < sub_bits_; ++s) mont.Sqr(x.data(), x.data(), ws);
  }
  table_.assign(tables_ * entries * n, 0);
  std::vector<mp_limb_t> one = mont.ToMontgomery(BigInt(1));
  for (size_t k = 0; k < tables_; ++k) {
    mp_limb_t* t = &table_[k * entries * n];
    std::copy(one.begin(), one.end(), t);
    for (size_t j = 1; j < entries; ++j) {
      int top = 0;
      while ((j >> (top + 1)) != 0) ++top;
      const size_t rest = j - (size_t{1} << top);
      mont.Mul(&t[j * n], &t[rest * n],
               &g[(static_cast<size_t>(top) * tables_ + k) * n], ws);
    }
  }
  Wipe(g);
  Wipe(x);
  Wipe(one);  // R mod m: m's two's complement, secret when m is
}

FixedBaseExp::~FixedBaseExp() { Wipe(table_); }

BigInt FixedBaseExp::Pow(const BigInt& e) const {
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
  internal::CountConstTimePow();
  const Montgomery& mont = *montgomery_;
  Montgomery::Workspace ws(mont);
  std::vector<mp_limb_t> acc(static_cast<size_t>(limbs_));
  PowInto(e, acc.data(), ws);
  BigInt out = mont.FromMontgomery(acc.data(), ws);
  Wipe(acc);
  return out;
}

void FixedBaseExp::PowInto(const BigInt& e, mp_limb_t* acc_out,
                           Montgomery::Workspace& ws) const {
  constexpr int h = kCombBlocks;
  const mp_size_t n = limbs_;
  const size_t entries = size_t{1} << h;
  const size_t total_bits = block_bits_ * h;
  std::vector<mp_limb_t> exp((total_bits + 63) / 64 + 1, 0);
  ToLimbs(e, exp.data(), static_cast<mp_size_t>(exp.size()));
  auto bit = [&](size_t i) -> size_t {
    return static_cast<size_t>((exp[i / 64] >> (i % 64)) & 1);
  };
  const Montgomery& mont = *montgomery_;
  std::vector<mp_limb_t> entry(static_cast<size_t>(n), 0);
  // acc = T_0[0] = 1 in Montgomery form.
  std::copy(table_.begin(), table_.begin() + n, acc_out);
  for (size_t col = sub_bits_; col-- > 0;) {
    mont.Sqr(acc_out, acc_out, ws);
    for (size_t k = 0; k < tables_; ++k) {
      size_t index = 0;
      for (int i = 0; i < h; ++i) {
        index |= bit(i * block_bits_ + k * sub_bits_ + col) << i;
      }
      mpn_sec_tabselect(entry.data(), &table_[k * entries * n], n,
                        static_cast<mp_size_t>(entries),
                        static_cast<mp_size_t>(index));
      mont.Mul(acc_out, acc_out, entry.data(), ws);
    }
  }
  Wipe(exp);
  Wipe(entry);
}

}  // namespace nitro_tss::mpc
