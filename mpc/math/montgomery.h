// Constant-time Montgomery multiplication modulo a fixed odd modulus, on raw
// limb arrays, for the fixed-base exponentiations that keep their values in
// Montgomery form across many multiplications (mpc/paillier/fixed_base.h,
// mpc/zk/ring_pedersen_table.h).
//
// With n = the limb count of m and R = 2^(64·n), Mul computes a·b·R^-1 mod m
// as GMP's own side-channel-silent exponentiation (mpn_sec_powm) does: the
// product by mpn_sec_mul (basecase), then word-by-word reduction (REDC: n
// rounds of mpn_addmul_1, whose carry chain does not depend on the values),
// and one masked subtraction (mpn_cnd_sub_n). About 2·n² limb
// multiplications, against 3·n² for a reduction done with two more full
// products and n² + the division for mpn_sec_div_r. The sequence of
// operations and memory accesses depends only on n, never on a, b or m, so
// the modulus may be secret (p², q²) as well as the operands.
#ifndef NITRO_TSS_MPC_MATH_MONTGOMERY_H_
#define NITRO_TSS_MPC_MATH_MONTGOMERY_H_

#include <gmp.h>

#include <cstddef>
#include <vector>

#include "mpc/math/bigint.h"

namespace nitro_tss::mpc {

class Montgomery {
 public:
  // Scratch space of one caller (a thread's exponentiation): the 2n-limb
  // product and GMP's scratch. Its contents are secret when the operands
  // are; wiped on destruction.
  class Workspace {
   public:
    explicit Workspace(const Montgomery& m);
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

   private:
    friend class Montgomery;
    std::vector<mp_limb_t> product_, scratch_;
  };

  // `modulus` odd and > 1 (traps otherwise: a programming error). The
  // constructor's inverse of the lowest limb is a fixed computation on the
  // modulus (same steps for every odd value).
  explicit Montgomery(const BigInt& modulus);
  ~Montgomery();
  Montgomery(const Montgomery&) = default;
  Montgomery& operator=(const Montgomery&) = default;

  size_t limbs() const { return limbs_; }
  const BigInt& modulus() const { return modulus_; }

  // out = a·b·R^-1 mod m for a, b < m given as exactly limbs() limbs; out
  // (limbs() limbs) may alias a or b. Constant time.
  void Mul(mp_limb_t* out, const mp_limb_t* a, const mp_limb_t* b,
           Workspace& ws) const;
  // out = a²·R^-1 mod m (mpn_sec_sqr, then the same reduction).
  void Sqr(mp_limb_t* out, const mp_limb_t* a, Workspace& ws) const;

  // x·R mod m as limbs() limbs (into Montgomery form), for any x >= 0 (the
  // reduction is BigInt::ModConstTime: x and m may be secret).
  std::vector<mp_limb_t> ToMontgomery(const BigInt& x) const;
  // a·R^-1 mod m as a BigInt (out of Montgomery form), constant time.
  BigInt FromMontgomery(const mp_limb_t* a, Workspace& ws) const;

  // base^exp mod m for a SECRET base and a PUBLIC exponent (e.g. a Paillier
  // nonce's ρ^N mod N², N public; a prover's ρ^e mod N0 for a public
  // challenge e of either sign): a sliding-window exponentiation whose
  // schedule of squarings, multiplications and table reads is derived from
  // exp alone, each product constant time (Mul/Sqr above), the base reduced
  // by ModConstTime. For exp < 0 the power of |exp| is inverted with GMP's
  // mpn_sec_invert (constant time; the sign of exp is public); base must
  // then be a unit mod m, else the result is 0. So time and memory accesses
  // depend on exp, m's limb count and nothing else: the base stays hidden,
  // the exponent shows. Never use it with a secret exponent
  // (BigInt::PowModConstTime). Scratch is wiped before return. As fast as
  // GMP's variable-time mpz_powm here and about 1.5 times faster than
  // mpn_sec_powm with the same exponent, which must scan its whole table in
  // constant time for a secret index (docs/BENCHMARKS.md,
  // BM_NthPowerForeign/*). Counted in internal::PowModCalls().const_time.
  BigInt PowPublicExponent(const BigInt& base, const BigInt& exp) const;

  // a^e · b^s mod m in one pass (simultaneous exponentiation): e a PUBLIC
  // exponent >= 0 (its sliding-window schedule is public, as in
  // PowPublicExponent), s a SECRET exponent 0 <= s < 2^s_bits handled in
  // fixed windows with constant-time table reads (mpn_sec_tabselect over every
  // entry); both bases may be secret. The squarings are shared: when s_bits <=
  // bits(e) the cost is about that of a^e alone plus s_bits/w products. Time
  // and memory accesses depend on e, s_bits and m's limb count only. Counted as
  // one constant-time exponentiation. Used for a Paillier nonce's r^N times a
  // power of a ciphertext with a secret exponent (Bob's D = K^x·(1+N)^β·ρ^N,
  // Πaff-g's A = C^α·(1+N)^β·r^N), and with s public too for the verifiers'
  // ρ^N·C^e.
  BigInt PowPublicTimesSecret(const BigInt& a, const BigInt& e, const BigInt& b,
                              const BigInt& s, size_t s_bits) const;

  // One base with a PUBLIC exponent >= 0 (pointers, not owned).
  struct PublicPower {
    const BigInt* base;
    const BigInt* exp;
  };
  // Π a_i^e_i · b^s mod m in one chain of squarings (as many as the longest
  // exponent): every a_i^e_i with its own public sliding-window schedule
  // (as PowPublicExponent), b^s with a SECRET 0 <= s < 2^s_bits in fixed
  // windows (as PowPublicTimesSecret; b may be null: no secret part). Bases
  // and the modulus may be secret. Time and memory accesses depend on the
  // e_i, s_bits and m's limb count only. Traps on a null or negative
  // public exponent and on s outside its bound (programming errors).
  // Counted as one constant-time exponentiation. Used for a verifier's
  // products of public powers modulo its own secret primes (Πaff-g's
  // residue half, mpc/zk/pi_aff_g.cc).
  BigInt PowProduct(const std::vector<PublicPower>& publics, const BigInt* b,
                    const BigInt& s, size_t s_bits) const;

 private:
  // out = t·R^-1 mod m for t < m·R held in ws.product_ (2n limbs; destroyed).
  void Reduce(mp_limb_t* out, Workspace& ws) const;
  // Table of b^0, b^1, ..., b^(2^w - 1) in Montgomery form (2^w · limbs()).
  std::vector<mp_limb_t> FullTable(const BigInt& b, size_t w,
                                   Workspace& ws) const;
  // Odd powers b, b^3, ..., b^(2^w - 1) in Montgomery form (2^(w-1) entries).
  std::vector<mp_limb_t> OddTable(const BigInt& b, size_t w,
                                  Workspace& ws) const;
  // out = a^-1 mod m (public-shape, constant time: mpn_sec_invert), 0 when
  // a is not a unit. Wipes a.
  BigInt InvertConstTime(BigInt a) const;
  // Π a_i^e_i · b^s (no public part, or b null): the shared loop of the
  // exponentiations above. e_i >= 0 public, s secret < 2^s_bits.
  BigInt Joint(const std::vector<PublicPower>& publics, const BigInt* b,
               const BigInt& s, size_t s_bits) const;

  BigInt modulus_;
  size_t limbs_ = 0;
  mp_limb_t minv_ = 0;  // -m^-1 mod 2^64
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_MATH_MONTGOMERY_H_
