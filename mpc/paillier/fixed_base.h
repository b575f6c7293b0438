// Constant-time fixed-base modular exponentiation (Lim–Lee comb) for the
// Paillier key owner's encryption: base^e mod m for a fixed base and modulus
// and many secret exponents e.
//
// Precomputation: with h blocks of a = ceil(max_exponent_bits / h) bits,
// T[j] = Π_{i: bit i of j} base^(2^(i·a)) mod m for j < 2^h, kept in
// Montgomery form. Pow(e) then does a squarings and a multiplications in
// Montgomery form (mpc/math/montgomery.h: mpn_sec_mul / mpn_sec_sqr and
// REDC), selecting T[column] with mpn_sec_tabselect: the sequence of
// operations and memory accesses does not depend on e (nor on the base or
// modulus values). The table is secret when the modulus is (p², q²) and is
// wiped on destruction (and locked when built inside a LockedScope,
// mpc/math/locked_memory.h).
#ifndef NITRO_TSS_MPC_PAILLIER_FIXED_BASE_H_
#define NITRO_TSS_MPC_PAILLIER_FIXED_BASE_H_

#include <gmp.h>

#include <cstddef>
#include <optional>
#include <vector>

#include "mpc/math/bigint.h"
#include "mpc/math/secure_bytes.h"
#include "mpc/math/montgomery.h"

namespace nitro_tss::mpc {

class FixedBaseExp {
 public:
  // `modulus` odd or even, > 1 (an even one is public and only ever uses
  // the variable-time fallback of Pow); `max_exponent_bits` >= 1;
  // h = kCombBlocks. The precomputation ((h-1)·a squarings, 2^h products)
  // runs in Montgomery form, constant time, for an odd modulus.
  FixedBaseExp(const BigInt& base, const BigInt& modulus,
               size_t max_exponent_bits);
  ~FixedBaseExp();
  FixedBaseExp(const FixedBaseExp&) = default;
  FixedBaseExp& operator=(const FixedBaseExp&) = default;
  FixedBaseExp(FixedBaseExp&&) = default;
  FixedBaseExp& operator=(FixedBaseExp&&) = default;

  // base^e mod modulus for 0 <= e < 2^max_exponent_bits (constant time).
  // Exponents outside that range fall back to BigInt::PowModConstTime
  // (odd modulus; BigInt::PowModSecret for negative e) or to the
  // variable-time BigInt::PowMod for an even (public) modulus.
  BigInt Pow(const BigInt& e) const;

  static constexpr int kCombBlocks = 6;

 private:
  // acc (n limbs, Montgomery form) = base^e for 0 <= e < 2^(h·a).
  void PowInto(const BigInt& e, mp_limb_t* acc,
               Montgomery::Workspace& ws) const;

  BigInt modulus_;
  BigInt base_;
  size_t max_exponent_bits_ = 0;
  size_t block_bits_ = 0;                 // a
  mp_size_t limbs_ = 0;                   // n = limbs of the modulus
  std::optional<Montgomery> montgomery_;  // odd modulus only
  // 2^h entries of n limbs in Montgomery form; WipingAllocator: wiped when
  // freed, and in the locked arena when built inside a LockedScope (a key
  // share being loaded).
  std::vector<mp_limb_t, WipingAllocator<mp_limb_t>> table_;
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_PAILLIER_FIXED_BASE_H_
