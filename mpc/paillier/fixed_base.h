// Constant-time fixed-base modular exponentiation (Lim–Lee comb) for the
// Paillier key owner's encryption: base^e mod m for a fixed base and modulus
// and many secret exponents e.
//
// Precomputation: the exponent's bits are cut into h = kCombBlocks blocks
// of a = v·b bits, each block into v sub-blocks of b bits (v = `tables`,
// b = ceil(max_exponent_bits / (h·v))); table k (k < v) holds
// T_k[j] = Π_{i: bit i of j} base^(2^(i·a + k·b)) mod m for j < 2^h, in
// Montgomery form. Pow(e) then does b squarings and v·b multiplications in
// Montgomery form (mpc/math/montgomery.h: mpn_sec_mul / mpn_sec_sqr and
// REDC), selecting each T_k[column] with mpn_sec_tabselect over the whole
// table: the sequence of operations and memory accesses does not depend on
// e (nor on the base or modulus values). More tables trade memory (v·2^h
// entries) for squarings (a/v instead of a). The table is secret when the
// modulus is (p², q²) and is wiped on destruction (and locked when built inside
// a LockedScope, mpc/math/locked_memory.h).
#ifndef NITRO_TSS_MPC_PAILLIER_FIXED_BASE_H_
#define NITRO_TSS_MPC_PAILLIER_FIXED_BASE_H_

#include <gmp.h>

#include <cstddef>
#include <optional>
#include <vector>

#include "mpc/math/bigint.h"
#include "mpc/math/montgomery.h"
#include "mpc/math/secure_bytes.h"

namespace nitro_tss::mpc {

class FixedBaseExp {
 public:
  // `modulus` odd or even, > 1 (an even one is public and only ever uses
  // the variable-time fallback of Pow); `max_exponent_bits` >= 1;
  // h = kCombBlocks; `tables` = v in [1, kMaxTables] (traps otherwise: a
  // programming error). The precomputation (h·a − b squarings, v·2^h
  // products) runs in Montgomery form, constant time, for an odd modulus.
  FixedBaseExp(const BigInt& base, const BigInt& modulus,
               size_t max_exponent_bits, size_t tables = 1);
  ~FixedBaseExp();
  FixedBaseExp(const FixedBaseExp&) = default;
  FixedBaseExp& operator=(const FixedBaseExp&) = default;
  FixedBaseExp(FixedBaseExp&&) = default;
  FixedBaseExp& operator=(FixedBaseExp&&) = default;

  // base^e mod modulus for 0 <= e < 2^max_exponent_bits (constant time;
  // counted in internal::PowModCalls().const_time, as every other path).
  // Exponents outside that range fall back to BigInt::PowModConstTime
  // (odd modulus; BigInt::PowModSecret for negative e) or to the
  // variable-time BigInt::PowMod for an even (public) modulus.
  BigInt Pow(const BigInt& e) const;

  // The tables' storage (for tests that check where secrets live, e.g. in
  // the locked arena); null for an even modulus.
  const void* table_data() const {
    return table_.empty() ? nullptr : table_.data();
  }

  static constexpr int kCombBlocks = 6;
  static constexpr size_t kMaxTables = 8;

 private:
  // acc (n limbs, Montgomery form) = base^e for 0 <= e < 2^(h·a).
  void PowInto(const BigInt& e, mp_limb_t* acc,
               Montgomery::Workspace& ws) const;

  BigInt modulus_;
  BigInt base_;
  size_t max_exponent_bits_ = 0;
  size_t tables_ = 1;                     // v
  size_t sub_bits_ = 0;                   // b
  size_t block_bits_ = 0;                 // a = v·b
  mp_size_t limbs_ = 0;                   // n = limbs of the modulus
  std::optional<Montgomery> montgomery_;  // odd modulus only
  // v tables of 2^h entries of n limbs in Montgomery form, table k at
  // offset k·2^h·n; WipingAllocator: wiped when freed, and in the locked
  // arena when built inside a LockedScope (a key share being loaded).
  std::vector<mp_limb_t, WipingAllocator<mp_limb_t>> table_;
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_PAILLIER_FIXED_BASE_H_
