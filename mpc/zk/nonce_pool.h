// Paillier encryption arithmetic of the MtA zero-knowledge proofs (CGGMP21,
// see params.h): the randomizer part of an encryption under a (typically a
// peer's) key — PaillierNonce, PaillierNoncePool, NextNonce — together with
// the plain Paillier helpers they and the proofs share: NthPower (r^N, by CRT
// for the key's owner, with CheckOwnKey) and OnePlusNPow ((1 + N)^m). These
// sit here rather than in crt.h because they depend on the Paillier keys,
// not on CrtExponentiator. Also the verifiers' Paillier equation
// (PaillierEquationHolds).
#ifndef NITRO_TSS_MPC_ZK_NONCE_POOL_H_
#define NITRO_TSS_MPC_ZK_NONCE_POOL_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mpc/math/bigint.h"
#include "mpc/paillier/fixed_base.h"
#include "mpc/paillier/paillier.h"

namespace nitro_tss::mpc::zk {

// (1 + N)^m mod N² = 1 + (m mod N)·N for any integer m (no exponentiation).
BigInt OnePlusNPow(const PaillierPublicKey& key, const BigInt& m);

// r^N mod N² for a secret r ∈ Z*_N: by CRT when `own_key` (the key's owner)
// is given (it must be the private key of `key`), else
// Montgomery::PowPublicExponent (constant time in r; N is public). Never a
// variable-time exponentiation: r is a nonce whose knowledge opens the
// ciphertext it randomizes.
BigInt NthPower(const PaillierPublicKey& key, const BigInt& r,
                const PaillierPrivateKey* own_key);

// (1 + N)^m · r^N mod N² for a fresh r uniform in Z*_N, with r: a prover's
// commitment (Πenc's A). For the key's owner
// (`own_key` the private key of `key`) it is the owner's encryption of m
// (PaillierPrivateKey::Encrypt: r drawn as CRT(g_p^k_p, g_q^k_q), uniform
// in Z*_N, and r^N by the constant-time fixed-base combs); otherwise, or if
// m is not a valid plaintext, r = BigInt::RandomUnit and NthPower. Same
// distribution of (value, r) either way.
PaillierEncryption FreshEncryption(const PaillierPublicKey& key,
                                   const BigInt& m,
                                   const PaillierPrivateKey* own_key,
                                   RandomSource& rng);

// The Paillier equation of the MtA verifiers: true iff
//   (1 + N)^m · ρ^N == A · C^e  (mod N²)
// (Πenc: m = z1, ρ = z2, C = the statement's ciphertext). Variable time:
// for public
// proof values only; membership and range checks are the caller's.
bool PaillierEquationHolds(const PaillierPublicKey& key, const BigInt& m,
                           const BigInt& rho, const BigInt& cap_a,
                           const BigInt& cap_c, const BigInt& e);

// OK iff `own_key` is the private key of `key`;
// else "<prefix>: private key does not match <name>".
absl::Status CheckOwnKey(const PaillierPublicKey& key,
                         const PaillierPrivateKey& own_key,
                         absl::string_view prefix, absl::string_view name);

// A Paillier randomizer r ∈ Z*_N with its N-th power r^N mod N² (the
// expensive part of an encryption under someone else's key). Secret: wipe
// (BigInt does on destruction) and never use one twice.
struct PaillierNonce {
  BigInt r;
  BigInt r_to_n;
};

// Randomizers under one (a peer's) Paillier key drawn through a fixed base,
// so that a prover who does not know the factorization pays a fixed-base
// comb instead of a full N-th power: r = 4^a mod N and r^N = (4^N)^a mod N²
// for a fresh secret a uniform in [0, 2^(bits(N) + kStatisticalBits)),
// both by constant-time Lim–Lee combs (FixedBaseExp; about a sixth of the
// squarings of r^N by PowPublicExponent, docs/BENCHMARKS.md).
//
// The distribution of r. For N = pq with p = 2p' + 1, q = 2q' + 1 safe
// primes > 3 (every honest key, mpc/primes/safe_prime.h) the squares QR_N
// form a cyclic group of order p'q' and 4 = 2² generates it: its image in
// QR_p (order p', prime) is 1 only if p | 3, likewise for q. So r is
// within statistical distance p'q'/2^(bits(N)+128) < 2^-128 of uniform in
// QR_N (instead of uniform in Z*_N, the draw of NextNonce), whatever 4 is
// known to be.
//
// Why that keeps every property the randomizers serve:
// - Hiding towards everyone but the key's owner (the ciphertexts' semantic
//   security under DCR): (1 + N)^m · r^N with r uniform in QR_N is
//   (1 + N)^m · z² for z a uniform N-th residue (z = y^N, y uniform in Z*_N,
//   y² uniform in QR_N), and a DCR challenge z (uniform N-th residue or
//   uniform in Z*_N²) gives z² with m' = 2·m'' uniform in Z_N in the second
//   case (gcd(2, N) = 1): telling the two apart decides DCR. Many nonces
//   drawn independently: the usual hybrid.
// - Towards the key's owner (an MtA's Alice, the verifier of Πaff-g) a
//   randomizer was never secret (she extracts the nonce of any ciphertext
//   with her factorization), and the randomizers are independent of every
//   secret: the zero-knowledge simulators draw w uniform in QR_N (where the
//   real w = r·ρ^e lies, r uniform in QR_N) instead of in Z*_N; the rest of
//   their argument is unchanged. No verifier check changes (w is still
//   checked to be a unit mod N).
// - An owner whose key is not a product of safe primes (a cheating Alice)
//   may make 4 generate less than QR_N: that only concerns ciphertexts she
//   can decrypt herself.
// Thread-safe (const after construction). The combs' tables depend only on
// the public N; a's are wiped after use.
class PaillierNonceBase {
 public:
  // Builds both combs: 4^N mod N² (public, variable time) and the tables
  // (≈ 2 baseline units of CPU, 48 KB for a 2048-bit N).
  explicit PaillierNonceBase(const PaillierPublicKey& key);

  const PaillierPublicKey& key() const { return key_; }
  // A fresh nonce: r = 4^a mod N, r_to_n = r^N mod N², a fresh (see above).
  PaillierNonce Draw(RandomSource& rng) const;

  static constexpr size_t kStatisticalBits = 128;

 private:
  PaillierPublicKey key_;
  size_t exponent_bits_;
  FixedBaseExp r_comb_;       // 4 mod N
  FixedBaseExp r_to_n_comb_;  // 4^N mod N²
};

// Randomizers for encryptions under one (typically a peer's) Paillier key,
// computed ahead of time (e.g. by an idle thread) so a protocol round does
// not pay the full-size N-th powers: Πaff-g's r^N0 and the ρ^N0 of Bob's D.
// Each nonce is handed out once (Take removes it). Thread-safe.
class PaillierNoncePool {
 public:
  // `base` (optional, for `key`): Fill draws through it, and the nonce
  // helpers below draw through it when the pool is empty.
  explicit PaillierNoncePool(
      const PaillierPublicKey& key,
      std::shared_ptr<const PaillierNonceBase> base = nullptr);
  PaillierNoncePool(const PaillierNoncePool&) = delete;
  PaillierNoncePool& operator=(const PaillierNoncePool&) = delete;

  const PaillierPublicKey& key() const { return key_; }
  // The fixed base for key(), or null.
  const PaillierNonceBase* base() const { return base_.get(); }
  // Computes `count` fresh nonces outside the lock and adds them: through
  // base() when there is one (r uniform in QR_N), else r uniform in Z*_N
  // and r^N by Montgomery::PowPublicExponent.
  void Fill(size_t count, RandomSource& rng);
  // Removes and returns one nonce, or nullopt when the pool is empty.
  std::optional<PaillierNonce> Take();
  size_t size() const;

 private:
  PaillierPublicKey key_;
  std::shared_ptr<const PaillierNonceBase> base_;
  mutable std::mutex mu_;
  std::deque<PaillierNonce> nonces_;
};

// r and r^N mod N²: from `pool` when it is for `key` and not empty, else
// drawn through the pool's base() when it has one (PaillierNonceBase), else
// freshly sampled and computed (CRT when `own_key` is key's private key).
PaillierNonce NextNonce(const PaillierPublicKey& key, PaillierNoncePool* pool,
                        const PaillierPrivateKey* own_key, RandomSource& rng);

// A nonce r under a peer's key (public N) together with c^s · r^N mod N²,
// for a public ciphertext c (a unit mod N², checked by the caller) and a
// SECRET exponent s of either sign with |s| < 2^s_bits (s_bits public): Bob's
// D = K^x·(1+N0)^β·ρ^N0 and Πaff-g's A = C^α·(1+N0)^β·r^N0. With a nonce in
// `pool` (for this key), or drawn through the pool's base() when it is
// empty: that nonce and c'^|s| by BigInt::PowModConstTime with the exponent
// padded to s_bits. Otherwise r = BigInt::RandomUnit(N)
// (the same draw as NextNonce) and one simultaneous exponentiation
// Montgomery::PowPublicTimesSecret(r, N, c', |s|). Either way c' = c or c^-1
// is picked by a constant-time select on s's sign (c^-1 mod N² of the public
// c). The simultaneous exponentiation's squarings carry c'^|s| for the price
// of about s_bits/w products. Constant time in r and s (the schedule depends
// on N and s_bits only, never on |s|'s length). Same values as NextNonce
// then PowModSecret(c, s, N²) times r^N.
struct NonceTimesPower {
  BigInt r;        // the nonce (secret)
  BigInt product;  // c^s · r^N mod N² (secret until combined)
};
NonceTimesPower NextNonceTimesPower(const PaillierPublicKey& key,
                                    PaillierNoncePool* pool, const BigInt& c,
                                    const BigInt& s, size_t s_bits,
                                    RandomSource& rng);

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_NONCE_POOL_H_
