// Ring-Pedersen commitments (CGGMP21 §3.3, "ring-Pedersen parameters").
//
// Parameters (N̂, s, t): N̂ = p̂·q̂ a product of two safe primes (exactly
// kPaillierModulusBits bits), t = τ² mod N̂ for a random unit τ, s = t^λ
// mod N̂ for a secret λ ← Z_φ(N̂). A commitment to x with randomness y is
//
//   Commit(x, y) = s^x · t^y mod N̂        (x, y any sign; negative
//                                          exponents invert the base)
//
// Whoever publishes parameters proves s ∈ <t> with Πprm (mpc/zk/pi_prm.h);
// the verifier of a proof that commits under these parameters must have
// checked that proof. The owner (RingPedersenSecret) commits with CRT:
// s^x t^y = t^(λx + y) and the exponent is reduced mod p̂-1 and q̂-1.
#ifndef NITRO_TSS_MPC_RINGPEDERSEN_RING_PEDERSEN_H_
#define NITRO_TSS_MPC_RINGPEDERSEN_RING_PEDERSEN_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/math/secure_bytes.h"
#include "mpc/paillier/fixed_base.h"
#include "nitro_tss/mpc/v1/paillier.pb.h"

namespace nitro_tss::mpc {

class RingPedersenParams {
 public:
  // Validates and wraps (N̂, s, t). Checks, in order, with these errors:
  //   "ring_pedersen: N not positive"
  //   "ring_pedersen: N has <k> bits, expected exactly 2048"
  //   "ring_pedersen: N is even"
  //   "ring_pedersen: s out of range (1, N-1)"  (rejects 0, ±1, >= N)
  //   "ring_pedersen: s not a unit mod N"
  //   "ring_pedersen: t out of range (1, N-1)"
  //   "ring_pedersen: t not a unit mod N"
  //   "ring_pedersen: s == t"
  static absl::StatusOr<RingPedersenParams> Create(const BigInt& n,
                                                   const BigInt& s,
                                                   const BigInt& t);

  const BigInt& n() const { return n_; }
  const BigInt& s() const { return s_; }
  const BigInt& t() const { return t_; }

  // s^x · t^y mod N̂ with secret-safe exponentiation (BigInt::PowModSecret:
  // constant time in x, y and their signs): use it when x or y is a witness
  // or masking randomness (provers).
  BigInt Commit(const BigInt& x, const BigInt& y) const;
  // Same value with variable-time exponentiation, for verifiers whose
  // exponents are public proof responses.
  BigInt CommitPublic(const BigInt& x, const BigInt& y) const;

  // Wire encoding; FromProto applies Create's checks after strict integer
  // decoding (canonical, at most 256 bytes each, all fields present).
  v1::RingPedersenParams ToProto() const;
  static absl::StatusOr<RingPedersenParams> FromProto(
      const v1::RingPedersenParams& proto);

  friend bool operator==(const RingPedersenParams& a,
                         const RingPedersenParams& b) {
    return a.n_ == b.n_ && a.s_ == b.s_ && a.t_ == b.t_;
  }

 private:
  RingPedersenParams(BigInt n, BigInt s, BigInt t);
  BigInt n_, s_, t_;
};

// The owner's side: parameters plus the trapdoor (p̂, q̂, λ). Secrets are
// wiped on destruction; never serialize them unsealed.
class RingPedersenSecret {
 public:
  // Fresh parameters over N̂ = p·q: τ uniform in Z*_N̂, t = τ², λ uniform in
  // [0, φ(N̂)), s = t^λ. p, q must be distinct kPaillierPrimeBits-bit safe
  // primes (checked as in PaillierPrivateKey::FromPrimes). Retries the
  // negligible cases where s or t would fail Create's checks.
  static absl::StatusOr<RingPedersenSecret> Generate(const BigInt& p,
                                                     const BigInt& q,
                                                     RandomSource& rng);
  // Rebuilds parameters from stored parts (fixtures, sealed storage):
  // t = τ² mod N̂, s = t^λ mod N̂. Checks the primes as Generate does,
  // τ ∈ Z*_N̂ and 0 <= λ < φ(N̂).
  static absl::StatusOr<RingPedersenSecret> FromParts(const BigInt& p,
                                                      const BigInt& q,
                                                      const BigInt& tau,
                                                      const BigInt& lambda);

  const RingPedersenParams& params() const { return params_; }
  const BigInt& p() const { return p_; }
  const BigInt& q() const { return q_; }
  const BigInt& lambda() const { return lambda_; }
  const BigInt& phi() const { return phi_; }
  const BigInt& tau() const { return tau_; }

  // s^x · t^y mod N̂ computed as t^(λx + y) by CRT (same value as
  // params().Commit(x, y)). Constant time in λ, p, q and in x, y (PowT).
  BigInt Commit(const BigInt& x, const BigInt& y) const;
  // t^e mod N̂ by CRT for any integer e (the verifiers' ring-Pedersen
  // equations under their own N̂, Πprm's prover): e is reduced mod p - 1,
  // q - 1 by BigInt::ModConstTime (sign included), both halves go through
  // constant-time fixed-base combs of t mod p and t mod q (FixedBaseExp,
  // built with the secret; kPowTTables tables each) and the recombination
  // is BigInt::ModConstTime, so nothing branches on e, p or q.
  BigInt PowT(const BigInt& e) const;

  // Lim–Lee tables per prime for PowT: 8 KB each (secret, wiped, in the
  // locked arena when built inside a LockedScope).
  static constexpr size_t kPowTTables = 1;
  // The PowT combs' table storage for p and q (for tests that check where
  // secrets live).
  const void* pow_t_table_p() const { return t_comb_p_->table_data(); }
  const void* pow_t_table_q() const { return t_comb_q_->table_data(); }

 private:
  RingPedersenSecret(RingPedersenParams params, BigInt p, BigInt q, BigInt tau,
                     BigInt lambda);
  RingPedersenParams params_;
  BigInt p_, q_, tau_, lambda_, phi_;
  BigInt p_minus_1_, q_minus_1_, q_inv_p_;
  // Shared by copies (immutable once built).
  std::shared_ptr<const FixedBaseExp> t_comb_p_, t_comb_q_;
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_RINGPEDERSEN_RING_PEDERSEN_H_
