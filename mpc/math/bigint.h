// BigInt: an owning RAII wrapper over GMP's mpz_t with explicit, named
// operations. Values may be negative (zero-knowledge proof responses are).
//
// Memory holding a BigInt's limbs is zeroized when the value is destroyed or
// overwritten through assignment, so secrets held in BigInts do not linger.
// Operations whose timing may depend on a secret are named as such
// (PowModSecret); everything else is variable-time and must only see public
// values or values whose timing leak is acceptable (documented at call sites).
#ifndef NITRO_TSS_MPC_MATH_BIGINT_H_
#define NITRO_TSS_MPC_MATH_BIGINT_H_

#include <gmp.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mpc/math/random.h"

namespace nitro_tss::mpc {

class BigInt {
 public:
  BigInt();  // zero
  explicit BigInt(int64_t v);
  static BigInt FromU64(uint64_t v);
  ~BigInt();

  BigInt(const BigInt& other);
  BigInt(BigInt&& other) noexcept;
  BigInt& operator=(const BigInt& other);
  BigInt& operator=(BigInt&& other) noexcept;

  // ---- Encodings ----
  // Unsigned big-endian magnitude; empty input is zero. Never fails.
  static BigInt FromBytes(absl::Span<const uint8_t> big_endian);
  // Unsigned big-endian bytes of |this|, left-padded with zeros to at least
  // `min_len` bytes. Zero encodes as `min_len` zero bytes (empty if 0).
  std::vector<uint8_t> ToBytes(size_t min_len = 0) const;
  // Exactly `len` bytes (left-padded); error if |this| does not fit or is
  // negative.
  absl::StatusOr<std::vector<uint8_t>> ToFixedBytes(size_t len) const;

  // Canonical signed encoding used on the wire and in transcripts:
  // one sign byte (0x00 non-negative, 0x01 negative) followed by the minimal
  // big-endian magnitude (no leading zero bytes; zero has an empty
  // magnitude and sign 0x00).
  std::vector<uint8_t> ToSignedBytes() const;
  // Strict inverse of ToSignedBytes: rejects a missing/invalid sign byte,
  // leading zero bytes, negative zero, and magnitudes over `max_bytes`.
  static absl::StatusOr<BigInt> FromSignedBytes(absl::Span<const uint8_t> in,
                                                size_t max_bytes);

  // Lower-case hex of the magnitude with a leading '-' when negative; "0" for
  // zero. FromHex accepts the same (and upper case); rejects empty input.
  std::string ToHex() const;
  static absl::StatusOr<BigInt> FromHex(absl::string_view hex);
  std::string ToDecimal() const;
  static absl::StatusOr<BigInt> FromDecimal(absl::string_view dec);

  // ---- Queries ----
  bool IsZero() const;
  bool IsNegative() const;
  bool IsOdd() const;
  int Sign() const;  // -1, 0, 1
  // Number of bits in |this| (0 for zero).
  size_t BitLength() const;
  bool TestBit(size_t i) const;  // bit i of |this|
  // Fits in uint64 and is non-negative.
  bool FitsU64() const;
  uint64_t ToU64() const;  // low 64 bits of |this|

  // ---- Arithmetic (variable time) ----
  friend BigInt operator+(const BigInt& a, const BigInt& b);
  friend BigInt operator-(const BigInt& a, const BigInt& b);
  friend BigInt operator*(const BigInt& a, const BigInt& b);
  BigInt operator-() const;
  BigInt Abs() const;
  // Truncating division helpers are deliberately absent; use these:
  // floor(a / b) for b != 0.
  static BigInt FloorDiv(const BigInt& a, const BigInt& b);
  // a mod m in [0, m) for m > 0.
  static BigInt Mod(const BigInt& a, const BigInt& m);
  static BigInt ModAdd(const BigInt& a, const BigInt& b, const BigInt& m);
  static BigInt ModSub(const BigInt& a, const BigInt& b, const BigInt& m);
  static BigInt ModMul(const BigInt& a, const BigInt& b, const BigInt& m);
  // Inverse of a modulo m, or NotFound-style error when gcd(a, m) != 1.
  static absl::StatusOr<BigInt> ModInverse(const BigInt& a, const BigInt& m);
  // base^exp mod m for public exp (negative exp: inverse of base required).
  static BigInt PowMod(const BigInt& base, const BigInt& exp, const BigInt& m);
  // base^exp mod m with mpz_powm_sec: for secret exponents. Requires m odd
  // and exp >= 1 (exp == 0 returns 1 without calling GMP); negative exp is
  // handled by inverting base first (the inverse is variable-time in base,
  // which is public in all our uses).
  static BigInt PowModSecret(const BigInt& base, const BigInt& exp,
                             const BigInt& m);
  static BigInt Gcd(const BigInt& a, const BigInt& b);
  static BigInt Lcm(const BigInt& a, const BigInt& b);
  // Jacobi symbol (a/n) for odd n > 0.
  static int Jacobi(const BigInt& a, const BigInt& n);
  BigInt ShiftLeft(size_t bits) const;
  BigInt ShiftRight(size_t bits) const;  // floor division by 2^bits
  static BigInt PowerOfTwo(size_t bits);
  static BigInt Sqrt(const BigInt& a);  // floor(sqrt(a)), a >= 0
  // Miller-Rabin (GMP's mpz_probab_prime_p with `reps` rounds) + trial
  // division. Error probability < 4^-reps.
  bool IsProbablePrime(int reps = 40) const;

  // ---- Randomness (from an injected source) ----
  // Uniform in [0, bound) for bound > 0, by rejection sampling (no bias).
  static BigInt RandomBelow(const BigInt& bound, RandomSource& rng);
  // Uniform in [0, 2^bits).
  static BigInt RandomBits(size_t bits, RandomSource& rng);
  // Uniform in [-2^bits, 2^bits] (inclusive both ends), as CGGMP21's ±2^l.
  static BigInt RandomSigned(size_t bits, RandomSource& rng);
  // Uniform in Z*_n: [1, n) with gcd(x, n) = 1, n > 1.
  static BigInt RandomUnit(const BigInt& n, RandomSource& rng);

  // ---- Comparison ----
  friend bool operator==(const BigInt& a, const BigInt& b);
  friend std::strong_ordering operator<=>(const BigInt& a, const BigInt& b);
  // Constant-time equality of the fixed-length encodings of two
  // non-negative values of at most `len` bytes (for comparing secrets).
  static bool ConstantTimeEqual(const BigInt& a, const BigInt& b, size_t len);

  // ---- Raw access for code that needs GMP directly ----
  mpz_srcptr get() const { return value_; }
  mpz_ptr get_mut() { return value_; }

  // Overwrites the limbs with zeros and sets the value to 0.
  void Wipe();

 private:
  mpz_t value_;
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_MATH_BIGINT_H_
