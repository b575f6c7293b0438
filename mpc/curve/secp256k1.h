// secp256k1 scalars (integers mod the group order n) and points, on top of
// libsecp256k1 (constant-time field/group arithmetic) with GMP only where
// libsecp256k1 offers no primitive (Fermat inversion via mpn_sec_powm,
// conversions).
//
// Conventions (libsecp256k1 style: small explicit APIs, every contract
// stated here):
//  - A Scalar always holds a canonical value in [0, n). Its memory is wiped
//    on destruction and on overwrite. Arithmetic goes through libsecp256k1's
//    constant-time secret-key tweaks; the only data-dependent branches are
//    on "is this operand / result zero", which for secret values happens with
//    probability ~2^-256.
//  - A Point is either the point at infinity (Identity()) or an affine point
//    on the curve. libsecp256k1's pubkey type cannot hold infinity, so the
//    identity is represented explicitly. Decode() never produces the
//    identity; Encode() must not be called on it (it returns an error).
//  - All functions are thread-safe (a shared, randomized, read-only
//    libsecp256k1 context is used).
#ifndef NITRO_TSS_MPC_CURVE_SECP256K1_H_
#define NITRO_TSS_MPC_CURVE_SECP256K1_H_

#include <secp256k1.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"

namespace nitro_tss::mpc {

// An integer modulo the secp256k1 group order
// n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141.
class Scalar {
 public:
  static constexpr size_t kBytes = 32;

  // Zero.
  Scalar();
  ~Scalar();
  Scalar(const Scalar& other);
  Scalar& operator=(const Scalar& other);
  // Moving leaves `other` equal to zero.
  Scalar(Scalar&& other) noexcept;
  Scalar& operator=(Scalar&& other) noexcept;

  static Scalar Zero();
  static Scalar One();
  static Scalar FromU64(uint64_t v);
  // Strict decoding: exactly 32 big-endian bytes encoding a value < n.
  // Errors: "scalar: expected 32 bytes, got <k>", "scalar: value >= group
  // order".
  static absl::StatusOr<Scalar> FromBytes(absl::Span<const uint8_t> bytes);
  // v mod n for any (also negative) v. Variable time in the size of v: for
  // public values or values whose length is not secret.
  static Scalar FromBigIntReduce(const BigInt& v);
  // Uniform in [0, n) (rejection sampling, no bias).
  static Scalar Random(RandomSource& rng);
  // Uniform in [1, n).
  static Scalar RandomNonZero(RandomSource& rng);

  // The group order n (a process-wide constant).
  static const BigInt& Order();

  // The value as a non-negative BigInt in [0, n) (BigInt wipes itself).
  BigInt ToBigInt() const;
  // 32 big-endian bytes (always exactly 32; zero encodes as all zeros).
  // The copy is not wiped automatically: callers holding a secret's encoding
  // must sodium_memzero it (or use bytes(), which aliases this object).
  std::array<uint8_t, kBytes> ToBytes() const;
  const std::array<uint8_t, kBytes>& bytes() const { return bytes_; }

  Scalar Add(const Scalar& other) const;
  Scalar Sub(const Scalar& other) const;
  Scalar Mul(const Scalar& other) const;
  Scalar Negate() const;
  // Multiplicative inverse via Fermat (this^(n-2) mod n with
  // BigInt::PowModConstTime).
  // Error "scalar: inverse of zero" when this is zero.
  absl::StatusOr<Scalar> Inverse() const;

  bool IsZero() const;
  // Constant-time equality (sodium_memcmp of the encodings).
  bool Equals(const Scalar& other) const;
  friend bool operator==(const Scalar& a, const Scalar& b) {
    return a.Equals(b);
  }
  friend bool operator!=(const Scalar& a, const Scalar& b) {
    return !a.Equals(b);
  }

  friend Scalar operator+(const Scalar& a, const Scalar& b) { return a.Add(b); }
  friend Scalar operator-(const Scalar& a, const Scalar& b) { return a.Sub(b); }
  friend Scalar operator*(const Scalar& a, const Scalar& b) { return a.Mul(b); }
  Scalar operator-() const { return Negate(); }

  // Overwrites the value with zero.
  void Wipe();

 private:
  // Invariant: bytes_ encodes a value in [0, n).
  std::array<uint8_t, kBytes> bytes_{};
};

// A point of the secp256k1 group (including the point at infinity).
class Point {
 public:
  static constexpr size_t kCompressedBytes = 33;

  // The identity (point at infinity).
  Point();

  static Point Identity();
  // The standard base point G.
  static Point Generator();
  // A second generator H whose discrete logarithm with respect to G is
  // unknown, derived by try-and-increment hash-to-curve: for ctr = 0, 1, ...
  // let x = SHA-256("nitro-tss/secp256k1/H/v1" || ctr as 4 big-endian bytes);
  // H is the first point decoded from 0x02 || x (x < p and x^3 + 7 a square).
  // Computed once per process.
  static const Point& H();

  // Strict decoding of exactly 33 bytes of SEC1 compressed encoding:
  // prefix 0x02 (even y) or 0x03 (odd y), then x < p with x^3 + 7 a square
  // mod p. Rejects other lengths (including 65-byte uncompressed and 32/34
  // bytes), other prefixes (0x00 infinity, 0x04, 0x06, 0x07), x >= p and
  // off-curve x. Errors start with "point: ".
  static absl::StatusOr<Point> Decode(absl::Span<const uint8_t> bytes);
  // 33-byte compressed encoding. Error "point: cannot encode the identity"
  // for the identity.
  absl::StatusOr<std::array<uint8_t, kCompressedBytes>> Encode() const;
  // Encoding usable in transcripts for any point: the identity maps to 33
  // zero bytes (which Decode() rejects), other points to Encode().
  std::array<uint8_t, kCompressedBytes> EncodeOrZeros() const;

  // k * G. Constant time in k (libsecp256k1 ecmult_gen). 0 * G = identity.
  static Point MulBase(const Scalar& k);

  Point Add(const Point& other) const;  // P + (-P) = identity
  // The sum of all points (identity for an empty span), in one
  // secp256k1_ec_pubkey_combine call. Identities in the input are skipped.
  static Point Sum(absl::Span<const Point> points);
  Point Sub(const Point& other) const;
  // k * this. Constant time in k for a non-identity point.
  Point Mul(const Scalar& k) const;
  Point Negate() const;

  bool IsIdentity() const { return identity_; }
  // Variable time (points are public).
  friend bool operator==(const Point& a, const Point& b);
  friend bool operator!=(const Point& a, const Point& b) { return !(a == b); }
  friend Point operator+(const Point& a, const Point& b) { return a.Add(b); }
  friend Point operator-(const Point& a, const Point& b) { return a.Sub(b); }

  // The x coordinate reduced mod n (ECDSA's r). Error for the identity.
  absl::StatusOr<Scalar> XCoordinateModN() const;
  // Whether the affine y coordinate is odd. Error for the identity.
  absl::StatusOr<bool> HasOddY() const;
  // Whether the affine x coordinate is >= n (so x mod n != x; happens with
  // probability ~2^-128). Error for the identity.
  absl::StatusOr<bool> XCoordinateOverflowsOrder() const;

  // Access to the underlying libsecp256k1 key (must not be the identity).
  const secp256k1_pubkey& pubkey() const { return pubkey_; }

 private:
  static Point FromPubkey(const secp256k1_pubkey& pk);
  bool identity_ = true;
  secp256k1_pubkey pubkey_{};
};

// The shared libsecp256k1 context (randomized once per process with the
// system CSPRNG). For code that calls libsecp256k1 directly.
const secp256k1_context* Secp256k1Context();

// ---- ECDSA helpers ----

// An ECDSA signature with its recovery id (0..3): bit 0 = parity of R.y,
// bit 1 = R.x >= n.
struct EcdsaSignature {
  Scalar r;
  Scalar s;
  int recovery_id = 0;
};

// Whether s <= (n - 1) / 2.
bool IsLowS(const Scalar& s);

// The recovery id of a signature whose nonce point is R, for the s computed
// with nonce k where R = k*G (before low-s normalization). Error for the
// identity.
absl::StatusOr<int> RecoveryIdForNoncePoint(const Point& r_point);

// Returns `sig` with s replaced by n - s when s is high, flipping bit 0 of the
// recovery id accordingly (negating s corresponds to negating R).
EcdsaSignature NormalizeLowS(const EcdsaSignature& sig);

// Verifies (r, s) on the 32-byte digest with public key `public_key` using
// libsecp256k1. High s is accepted (normalized before verification) unless
// `require_low_s`. Errors: "ecdsa: digest must be 32 bytes", "ecdsa: public
// key is the identity", "ecdsa: r is zero", "ecdsa: s is zero", "ecdsa: s is
// not low", "ecdsa: invalid signature".
absl::Status VerifyEcdsa(const Point& public_key,
                         absl::Span<const uint8_t> digest, const Scalar& r,
                         const Scalar& s, bool require_low_s = false);

// Recovers the public key from a (normalized or not) signature with its
// recovery id via libsecp256k1's recovery module. Errors start "ecdsa: ".
absl::StatusOr<Point> RecoverEcdsaPublicKey(absl::Span<const uint8_t> digest,
                                            const EcdsaSignature& sig);

// Checks that `sig` verifies under `public_key` and that its recovery id
// recovers exactly `public_key`. Error "ecdsa: recovered key mismatch" when
// the id is wrong.
absl::Status VerifyRecoverableEcdsa(const Point& public_key,
                                    absl::Span<const uint8_t> digest,
                                    const EcdsaSignature& sig);

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_CURVE_SECP256K1_H_
