// Paillier encryption over a Paillier–Blum modulus N = p·q (p, q safe primes,
// p ≡ q ≡ 3 mod 4), with generator g = N + 1.
//
//   Enc(m; r) = (1 + N)^m · r^N mod N²   (and (1 + N)^m = 1 + m·N mod N²)
//
// Plaintext convention: every function taking a plaintext accepts any
// integer m with -N/2 < m < N and encrypts m mod N (so both the unsigned
// [0, N) and the signed (-N/2, N/2] conventions are accepted); anything
// else is rejected with InvalidArgument "paillier: plaintext out of range".
// Decrypt() returns the residue in [0, N); DecryptSigned() the centered
// representative in (-N/2, N/2].
//
// Ciphertexts are valid iff 0 < c < N² and gcd(c, N) = 1
// (ValidateCiphertext); every operation that takes a ciphertext validates it
// first. Nonces r must be in Z*_N (0 < r < N, gcd(r, N) = 1).
//
// Private-key operations use CRT modulo p² and q² with secret exponents
// through BigInt::PowModConstTime (mpn_sec_powm, the ciphertext or nonce
// reduced inside it; CRT recombination by BigInt::ModConstTime), or (own-key
// Encrypt) constant-time fixed-base comb tables built on GMP's mpn_sec_*
// functions; the private key's secrets are zeroized on destruction (BigInt
// wipes its limbs, the tables are wiped).
#ifndef NITRO_TSS_MPC_PAILLIER_PAILLIER_H_
#define NITRO_TSS_MPC_PAILLIER_PAILLIER_H_

#include <chrono>
#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/primes/safe_prime.h"
#include "nitro_tss/mpc/v1/paillier.pb.h"

namespace nitro_tss::mpc {

// Exact bit length of every Paillier modulus we accept (and of N̂ for
// ring-Pedersen); each prime factor has half of it.
inline constexpr size_t kPaillierModulusBits = 2048;
inline constexpr size_t kPaillierPrimeBits = kPaillierModulusBits / 2;
// Largest accepted encoding of one integer modulo N² on the wire (bytes of
// magnitude).
inline constexpr size_t kPaillierMaxCiphertextBytes =
    2 * kPaillierModulusBits / 8;

// A ciphertext together with the nonce it was encrypted with (the nonce is
// a witness for the MtA proofs: keep it secret, wipe it when done).
struct PaillierEncryption {
  BigInt ciphertext;
  BigInt nonce;
};

class PaillierPublicKey {
 public:
  // Validates N: odd, exactly kPaillierModulusBits bits, not a perfect
  // square. (That N is a Paillier–Blum modulus without small factors is
  // established by Πmod and Πfac, not here.)
  static absl::StatusOr<PaillierPublicKey> FromModulus(const BigInt& n);

  const BigInt& n() const { return n_; }
  const BigInt& n_squared() const { return n_squared_; }

  // OK iff 0 < c < N² and gcd(c, N) = 1. Errors name the failed check:
  // "paillier: ciphertext not positive", "paillier: ciphertext >= N^2",
  // "paillier: ciphertext not a unit (gcd(c, N) != 1)".
  absl::Status ValidateCiphertext(const BigInt& c) const;
  // The range half of ValidateCiphertext: OK iff 0 < c < N² (same errors).
  // For the key owner, who checks gcd(c, N) = 1 as "p ∤ c and q ∤ c" on the
  // CRT residues it computes anyway.
  absl::Status ValidateCiphertextRange(const BigInt& c) const;
  // OK iff -N/2 < m < N (see the plaintext convention above).
  absl::Status ValidatePlaintext(const BigInt& m) const;
  // OK iff 0 < r < N and gcd(r, N) = 1.
  absl::Status ValidateNonce(const BigInt& r) const;

  // Encrypts m with a fresh nonce r uniform in Z*_N drawn from rng.
  absl::StatusOr<PaillierEncryption> Encrypt(const BigInt& m,
                                             RandomSource& rng) const;
  // (1 + N)^m · r^N mod N², with r^N computed by BigInt::PowModConstTime
  // (the nonce is secret: it would reveal m).
  absl::StatusOr<BigInt> EncryptWithNonce(const BigInt& m,
                                          const BigInt& r) const;

  // Enc(m1 + m2) from Enc(m1), Enc(m2): c1 · c2 mod N².
  absl::StatusOr<BigInt> Add(const BigInt& c1, const BigInt& c2) const;
  // Enc(k · m) from Enc(m): c^k mod N². k may be negative (c^-1 is used).
  // The value of k is treated as secret (BigInt::PowModConstTime for k >= 0,
  // BigInt::PowModSecret for k < 0; only k's limb count shows), as in MtA
  // where it is a share; the sign of k is branched on (MtA's k >= 0).
  absl::StatusOr<BigInt> MulScalar(const BigInt& c, const BigInt& k) const;

  // Wire encoding. FromProto applies FromModulus' checks and rejects
  // non-canonical or oversized integer encodings.
  v1::PaillierPublicKey ToProto() const;
  static absl::StatusOr<PaillierPublicKey> FromProto(
      const v1::PaillierPublicKey& proto);

  friend bool operator==(const PaillierPublicKey& a,
                         const PaillierPublicKey& b) {
    return a.n_ == b.n_;
  }

 private:
  PaillierPublicKey(BigInt n, BigInt n_squared);
  BigInt n_;
  BigInt n_squared_;
};

class PaillierPrivateKey {
 public:
  // Builds a key from its prime factors. Checks: p != q, both exactly
  // kPaillierPrimeBits bits, N = p·q exactly kPaillierModulusBits bits,
  // p ≡ q ≡ 3 (mod 4), and p, q safe primes (Miller–Rabin on p, (p-1)/2,
  // q, (q-1)/2). Errors: "paillier: ..." naming the failed check.
  static absl::StatusOr<PaillierPrivateKey> FromPrimes(const BigInt& p,
                                                       const BigInt& q);
  // Generates two fresh safe primes (GenerateSafePrime with `threads`).
  static absl::StatusOr<PaillierPrivateKey> Generate(RandomSource& rng,
                                                     int threads = 1);
  // Draws two primes from `pool` (which must hold kPaillierPrimeBits-bit
  // primes), waiting up to `timeout` for each. Unavailable when the pool
  // cannot supply them in time (a prime already taken is then lost: primes
  // are never returned to a pool); InvalidArgument for a pool of the wrong
  // size.
  static absl::StatusOr<PaillierPrivateKey> FromPool(
      SafePrimePool& pool, std::chrono::milliseconds timeout);

  const PaillierPublicKey& public_key() const { return public_key_; }
  const BigInt& n() const { return public_key_.n(); }
  // Secret factors and φ(N) = (p-1)(q-1), for the owner's proofs (Πmod,
  // Πfac) and ring-Pedersen reuse. Never serialize them unsealed.
  const BigInt& p() const { return p_; }
  const BigInt& q() const { return q_; }
  const BigInt& phi() const { return phi_; }

  // CRT decryption: m mod p from c^(p-1) mod p² (and likewise for q), then
  // CRT. Returns m in [0, N). Validates c first.
  absl::StatusOr<BigInt> Decrypt(const BigInt& c) const;
  // Decrypt(), mapped to the centered range (-N/2, N/2].
  absl::StatusOr<BigInt> DecryptSigned(const BigInt& c) const;
  // Textbook decryption L(c^λ mod N²)·μ mod N without CRT (for
  // cross-checking the CRT path in tests; slower).
  absl::StatusOr<BigInt> DecryptWithoutCrt(const BigInt& c) const;

  // Encryption under one's own key with a fresh nonce. The nonce is sampled
  // as r = CRT(g_p^k_p mod p, g_q^k_q mod q) with k_p, k_q uniform and g_p,
  // g_q generators of Z*_p, Z*_q (so r is uniform in Z*_N), which makes
  // r^N mod p² = ω(g_p)^(k_p·q mod (p-1)) a fixed-base exponentiation
  // (constant-time comb tables, FixedBaseExp); likewise mod q², then CRT.
  // The result equals PaillierPublicKey::EncryptWithNonce(m, nonce).
  absl::StatusOr<PaillierEncryption> Encrypt(const BigInt& m,
                                             RandomSource& rng) const;
  // Encryption under one's own key with a given nonce r ∈ Z*_N, with r^N
  // mod N² by CRT: r^N mod p² = ω(r^(q mod (p-1)) mod p) where ω(a) = a^p
  // mod p² (N-th residues modulo p² depend only on r mod p), likewise mod
  // q². Same value as PaillierPublicKey::EncryptWithNonce(m, r).
  absl::StatusOr<BigInt> EncryptWithNonce(const BigInt& m,
                                          const BigInt& r) const;
  // r^N mod N² by CRT (the randomizer alone), r in Z*_N.
  absl::StatusOr<BigInt> NonceToNthPower(const BigInt& r) const;

 private:
  PaillierPrivateKey(PaillierPublicKey public_key, BigInt p, BigInt q);
  // x mod N² from x mod p² and x mod q².
  BigInt CombineSquares(const BigInt& xp, const BigInt& xq) const;
  BigInt CombinePrimes(const BigInt& xp, const BigInt& xq) const;

  PaillierPublicKey public_key_;
  BigInt p_, q_, phi_;
  BigInt p_squared_, q_squared_;
  BigInt p_minus_1_, q_minus_1_;
  BigInt hp_, hq_;                // (-q)^-1 mod p, (-p)^-1 mod q
  BigInt q_inv_p_;                // q^-1 mod p
  BigInt q2_inv_p2_;              // (q²)^-1 mod p²
  BigInt q_mod_pm1_, p_mod_qm1_;  // q mod (p-1), p mod (q-1)
  BigInt lambda_, mu_;            // for DecryptWithoutCrt
  // Fixed-base tables for Encrypt(): g_p mod p, ω(g_p) mod p², and the same
  // for q. Immutable, shared between copies of the key.
  struct EncryptionTables;
  std::shared_ptr<const EncryptionTables> tables_;
};

// A plaintext m in [0, N) mapped to the centered range (-N/2, N/2] (what
// DecryptSigned returns): m - N when 2m > N, else m.
BigInt CenteredPlaintext(const BigInt& m, const BigInt& n);

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_PAILLIER_PAILLIER_H_
