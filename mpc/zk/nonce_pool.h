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
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mpc/math/bigint.h"
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

// Randomizers for encryptions under one (typically a peer's) Paillier key,
// computed ahead of time (e.g. by an idle thread) so a protocol round does
// not pay the full-size N-th powers: Πaff-g's r^N0 and the ρ^N0 of Bob's D.
// Each nonce is handed out once (Take removes it). Thread-safe.
class PaillierNoncePool {
 public:
  explicit PaillierNoncePool(const PaillierPublicKey& key);
  PaillierNoncePool(const PaillierNoncePool&) = delete;
  PaillierNoncePool& operator=(const PaillierNoncePool&) = delete;

  const PaillierPublicKey& key() const { return key_; }
  // Computes `count` fresh nonces (r uniform in Z*_N) outside the lock and
  // adds them.
  void Fill(size_t count, RandomSource& rng);
  // Removes and returns one nonce, or nullopt when the pool is empty.
  std::optional<PaillierNonce> Take();
  size_t size() const;

 private:
  PaillierPublicKey key_;
  mutable std::mutex mu_;
  std::deque<PaillierNonce> nonces_;
};

// r and r^N mod N²: from `pool` when it is for `key` and not empty, else
// freshly sampled and computed (CRT when `own_key` is key's private key).
PaillierNonce NextNonce(const PaillierPublicKey& key, PaillierNoncePool* pool,
                        const PaillierPrivateKey* own_key, RandomSource& rng);

// A nonce r under a peer's key (public N) together with c^s · r^N mod N²,
// for a public ciphertext c (a unit mod N², checked by the caller) and a
// SECRET exponent s of either sign with |s| < 2^s_bits (s_bits public): Bob's
// D = K^x·(1+N0)^β·ρ^N0 and Πaff-g's A = C^α·(1+N0)^β·r^N0. With a nonce in
// `pool` (for this key): that nonce and c'^|s| by BigInt::PowModConstTime
// with the exponent padded to s_bits. Otherwise r = BigInt::RandomUnit(N)
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
