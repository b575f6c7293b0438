// BigInt: an owning RAII wrapper over GMP's mpz_t with explicit, named
// operations. Values may be negative (zero-knowledge proof responses are).
//
// Memory holding a BigInt's limbs is zeroized when the value is destroyed or
// overwritten through assignment, so secrets held in BigInts do not linger.
// Operations that are safe on secrets are named as such (PowModConstTime,
// PowModSecret, ModConstTime, ConstantTimeEqual); everything else is
// variable-time and must only see public values or values whose timing leak
// is acceptable (documented at call sites).
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
  // Variable time (mpz_powm): base, exp and m must all be public. Counted in
  // internal::PowModCalls().variable_time.
  static BigInt PowMod(const BigInt& base, const BigInt& exp, const BigInt& m);

  // ---- Side-channel-silent arithmetic (secret exponent, base or modulus) ----
  // Every exponentiation whose exponent, base or modulus is secret goes
  // through PowModConstTime (PowModSecret calls it).
  //
  // base^exp mod m with GMP's mpn_sec_powm. Requires m odd and > 0,
  // 0 <= exp < 2^max(exp_bits, 1) (a negative exp, an even or non-positive m
  // trap: they are programming errors). The running time and memory access
  // pattern depend only on the limb counts of base and m and on exp_bits
  // (the public bound), not on the values of base, exp or m: the base is
  // reduced modulo m by mpn_sec_div_r (here when it has more limbs than m,
  // else inside mpn_sec_powm), so a base chosen by an attacker (a ciphertext
  // to decrypt, a proof value to check) needs no variable-time mpz_mod by a
  // secret modulus first. An exp longer than
  // exp_bits is accepted (the bound grows to its bit length; only public
  // exponents should ever exceed it). A negative base is reduced as
  // m - (|base| mod m), with a branch on the base's sign (public at every
  // caller). Counted in internal::PowModCalls().const_time.
  static BigInt PowModConstTime(const BigInt& base, const BigInt& exp,
                                const BigInt& m, size_t exp_bits);
  // base^exp mod m for a secret exponent of either sign, with public base and
  // public odd m > 0 (e.g. s^alpha t^gamma mod a peer's N^, C^alpha mod
  // N0^2). The sign of exp is not branched on: base^-1 mod m is always
  // computed (variable time in base and m, both public) and base or its
  // inverse is picked with a constant-time select; |exp| goes through
  // PowModConstTime with the bound 64 * (limb count of |exp|) (so only the
  // limb count of exp shows, as with mpz_powm_sec). When base is not a unit
  // the result for exp < 0 is 0 (undefined; callers only pass units).
  // Secret bases or moduli: use PowModConstTime with a non-negative exp.
  static BigInt PowModSecret(const BigInt& base, const BigInt& exp,
                             const BigInt& m);
  // a mod m in [0, m) for m > 0 with mpn_sec_div_r: the time depends only on
  // the limb counts of a and m, not on their values or on the sign of a (the
  // negative case is a constant-time select). For secret moduli.
  static BigInt ModConstTime(const BigInt& a, const BigInt& m);

  static BigInt Gcd(const BigInt& a, const BigInt& b);
  static BigInt Lcm(const BigInt& a, const BigInt& b);
  // Jacobi symbol (a/n) for odd n > 0.
  static int Jacobi(const BigInt& a, const BigInt& n);
  BigInt ShiftLeft(size_t bits) const;
  BigInt ShiftRight(size_t bits) const;  // floor division by 2^bits
  static BigInt PowerOfTwo(size_t bits);
  static BigInt Sqrt(const BigInt& a);  // floor(sqrt(a)), a >= 0
  // Miller-Rabin (GMP's mpz_probab_prime_p with `reps` rounds) + trial
  // division. Error probability < 4^-reps. Variable time: for public values
  // only (secret primes: IsSafePrime / MillerRabinConstTime in
  // mpc/primes/safe_prime.h).
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

namespace internal {

// Exponentiations made on the calling thread since it started: const_time
// counts PowModConstTime (and so PowModSecret) and the secret-base
// Montgomery::PowPublicExponent, variable_time counts PowMod.
// Always on (two thread-local increments per call); tests use the difference
// of two snapshots to check that a secret computation used only the
// constant-time path.
struct PowModCallCounts {
  uint64_t const_time = 0;
  uint64_t variable_time = 0;
};
PowModCallCounts PowModCalls();
// Adds one to this thread's const_time count (Montgomery::PowPublicExponent).
void CountConstTimePow();

}  // namespace internal
}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_MATH_BIGINT_H_
