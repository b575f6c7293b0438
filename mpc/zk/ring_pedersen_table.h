// Ring-Pedersen arithmetic of the MtA zero-knowledge proofs (CGGMP21, see
// params.h): the prover's fixed-base RingPedersenTable and ProverCommit
// (with CheckTable), and the verifier's equation RingPedersenEquationHolds
// (CRT shortcut for the owner of the parameters, with CheckOwnerSecret). The
// verifier's equation sits here, next to the commitments it re-computes,
// rather than in params.h, which holds only constants, checks and codecs.
#ifndef NITRO_TSS_MPC_ZK_RING_PEDERSEN_TABLE_H_
#define NITRO_TSS_MPC_ZK_RING_PEDERSEN_TABLE_H_

#include <gmp.h>

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mpc/math/bigint.h"
#include "mpc/math/montgomery.h"
#include "mpc/ringpedersen/ring_pedersen.h"

namespace nitro_tss::mpc::zk {

// Whether s^a · t^b == first · second^e (mod N̂). With `owner_secret` (the
// secret of `params`, s = t^λ) the left side is t^(λ·a + b) and both sides
// are computed by CRT mod p̂, q̂; the result is identical. first and second
// must already be known units mod N̂.
bool RingPedersenEquationHolds(const RingPedersenParams& params,
                               const RingPedersenSecret* owner_secret,
                               const BigInt& a, const BigInt& b,
                               const BigInt& first, const BigInt& second,
                               const BigInt& e);

// OK iff `secret` is the secret of `params` (same N̂, s, t);
// else "<prefix>: verifier secret does not match the ring-Pedersen params".
absl::Status CheckOwnerSecret(const RingPedersenParams& params,
                              const RingPedersenSecret& secret,
                              absl::string_view prefix);

// Fixed-base precomputation for a prover that commits many times under one
// verifier's ring-Pedersen parameters (GG20: every Πenc / Πaff-g / Πlog-rp
// towards that verifier). Holds s^(d·16^i) and t^(d·16^i) for every 4-bit
// window i up to 2^(ℓ+ε+|N̂|+2) and digit d (about 3 MB per base for a
// 2048-bit N̂; building it costs about as much as 8 ring-Pedersen
// commitments), then computes s^a t^b with one multiplication per window
// and no squarings. Secret exponents stay constant time: the exponent is
// shifted to a non-negative value of a fixed (public) bit length, each
// window's entry is read with mpn_sec_tabselect (all entries touched) and
// multiplied in Montgomery form (mpc/math/montgomery.h: mpn_sec_mul, REDC
// by mpn_addmul_1, masked final subtraction). Thread-safe (immutable).
class RingPedersenTable {
 public:
  explicit RingPedersenTable(const RingPedersenParams& params);
  RingPedersenTable(const RingPedersenTable&) = delete;
  RingPedersenTable& operator=(const RingPedersenTable&) = delete;

  const RingPedersenParams& params() const { return params_; }
  // Largest public bound (in bits) Commit accepts for either exponent.
  size_t max_exponent_bits() const { return max_bits_; }

  // s^a · t^b mod N̂ (the same value as params().Commit(a, b)) for
  // |a| <= 2^a_bits and |b| <= 2^b_bits, where the bounds are public and at
  // most max_exponent_bits(). Error "ring_pedersen_table: exponent exceeds
  // its bound" otherwise (callers then fall back to params().Commit).
  absl::StatusOr<BigInt> Commit(const BigInt& a, size_t a_bits, const BigInt& b,
                                size_t b_bits) const;

 private:
  // acc ← acc · base^(e + 2^bits) (Montgomery form) for |e| <= 2^bits;
  // `selected` is limbs_ limbs of scratch.
  void MulPowShifted(const std::vector<mp_limb_t>& table, const BigInt& e,
                     size_t bits, mp_limb_t* acc, mp_limb_t* selected,
                     Montgomery::Workspace& ws) const;
  // base^(2^bits) as a plain BigInt (public), from the table.
  BigInt PowerOfTwoPower(const std::vector<mp_limb_t>& table,
                         size_t bits) const;

  RingPedersenParams params_;
  size_t limbs_;     // limbs of N̂
  size_t windows_;   // 4-bit windows covered
  size_t max_bits_;  // windows_ * 4 - 2
  // [window][digit][limb], entries in Montgomery form.
  std::vector<mp_limb_t> s_table_, t_table_;
  Montgomery montgomery_;  // modulo N̂
  BigInt r_inverse_;       // R^-1 mod N̂
};

// s^a t^b mod N̂ for the prover: with `table` (which must be for `params`)
// when given and the exponents are within their public bounds, else
// params.Commit(a, b). Same value either way.
BigInt ProverCommit(const RingPedersenParams& params,
                    const RingPedersenTable* table, const BigInt& a,
                    size_t a_bits, const BigInt& b, size_t b_bits);

// OK iff `table` was built for `params`; else "<prefix>: ring-Pedersen table
// does not match the verifier's params".
absl::Status CheckTable(const RingPedersenParams& params,
                        const RingPedersenTable& table,
                        absl::string_view prefix);

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_RING_PEDERSEN_TABLE_H_
