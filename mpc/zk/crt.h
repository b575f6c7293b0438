// CRT exponentiation for the MtA zero-knowledge proofs (CGGMP21, see
// params.h): CrtExponentiator, used by a party that knows the factorization
// of a Paillier N² or ring-Pedersen N̂ (a verifier checking proofs made
// towards its own parameters, an owner computing N-th powers).
#ifndef NITRO_TSS_MPC_ZK_CRT_H_
#define NITRO_TSS_MPC_ZK_CRT_H_

#include <vector>

#include "mpc/math/bigint.h"
#include "mpc/math/montgomery.h"

namespace nitro_tss::mpc::zk {

// Exponentiation modulo m = m1·m2 (gcd(m1, m2) = 1) by the Chinese remainder
// theorem, for a party that knows the factorization: each half uses the
// exponent reduced modulo a multiple `order_i` of the exponent of Z*_{m_i}
// (p - 1 for a prime p, p·(p - 1) for p²). Only valid for bases that are
// units mod m: callers check membership first. Results equal
// BigInt::PowMod(base, exp, m1·m2) for every unit base and integer exp
// (negative exponents included).
//
// Side channels: base, exp and m are public but m1, m2 and the orders are
// secret, and the base may be chosen by a cheating prover. Every operation
// modulo a secret value is constant time (BigInt::PowModConstTime with the
// base reduced inside mpn_sec_powm, BigInt::ModConstTime for the exponent
// reduction and the CRT recombination); the only branches are on the sign
// and bit length of the public exp and on the bit lengths of the orders
// (fixed by the key format). A negative exp inverts the combined (public)
// result modulo the public m. The constructor's m1^-1 mod m2 (mpz_invert) is
// variable time but runs on the owner's factors only, never on an
// attacker-chosen value (same time on every call).
class CrtExponentiator {
 public:
  CrtExponentiator(const BigInt& m1, const BigInt& order1, const BigInt& m2,
                   const BigInt& order2);
  ~CrtExponentiator();
  CrtExponentiator(const CrtExponentiator&) = default;
  CrtExponentiator& operator=(const CrtExponentiator&) = default;

  // For Paillier N² from N = p·q: halves p², q² with orders p(p-1), q(q-1).
  static CrtExponentiator ForPaillierSquare(const BigInt& p, const BigInt& q);
  // For a modulus N = p·q with prime halves (orders p-1, q-1).
  static CrtExponentiator ForPrimes(const BigInt& p, const BigInt& q);

  const BigInt& modulus() const { return m_; }

  // base^exp mod m (public exponent and base). Halves use |exp| as is when
  // it is shorter than order_i, else |exp| mod order_i; a negative exp
  // inverts the result modulo m.
  BigInt Pow(const BigInt& base, const BigInt& exp) const;

  // Π base_i^exp_i mod m for public bases and exponents exp_i >= 0, one
  // chain of squarings per half (Montgomery::PowProduct, constant time in
  // the secret halves): exponents shorter than both orders as they are
  // (public windows); at most one longer one (traps otherwise), reduced
  // modulo each order by BigInt::ModConstTime and then used as a secret
  // exponent padded to the order's bit length, as Pow does. Same value as
  // the product of Pow's. A negative exponent, or a second long one, traps
  // (a programming error: callers check their values' ranges first).
  BigInt PowProduct(const std::vector<Montgomery::PublicPower>& terms) const;

 private:
  BigInt Combine(const BigInt& r1, const BigInt& r2) const;
  BigInt m1_, order1_, m2_, order2_, m_;
  BigInt m1_inv_mod_m2_;  // m1^{-1} mod m2
};

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_CRT_H_
