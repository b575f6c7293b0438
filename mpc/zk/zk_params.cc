#include "mpc/zk/zk_params.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc::zk {

bool InSignedRange(const BigInt& v, size_t bits) {
  // |v| <= 2^bits  <=>  |v| < 2^bits or |v| == 2^bits.
  size_t len = v.BitLength();
  if (len <= bits) return true;
  if (len > bits + 1) return false;
  return v.Abs() == BigInt::PowerOfTwo(bits);
}

absl::Status CheckSignedRange(const BigInt& v, size_t bits,
                              absl::string_view prefix,
                              absl::string_view name) {
  if (!InSignedRange(v, bits)) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, ": ", name, " out of range (|", name, "| > 2^", bits, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckSignedRangeTimesModulus(const BigInt& v, size_t bits,
                                          const BigInt& modulus,
                                          absl::string_view prefix,
                                          absl::string_view name) {
  if (v.Abs() > modulus.ShiftLeft(bits)) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", name, " out of range (|", name, "| > 2^",
                     bits, " * modulus)"));
  }
  return absl::OkStatus();
}

absl::Status CheckUnit(const BigInt& v, const BigInt& modulus,
                       absl::string_view prefix, absl::string_view name,
                       absl::string_view modulus_name) {
  const char* reason = nullptr;
  if (v.IsZero()) {
    reason = "zero";
  } else if (v.IsNegative()) {
    reason = "negative";
  } else if (v >= modulus) {
    reason = "not below modulus";
  } else if (BigInt::Gcd(v, modulus) != BigInt(1)) {
    reason = "gcd with modulus != 1";
  }
  if (reason != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, ": ", name, " not in Z*_", modulus_name, " (", reason, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckNotIdentity(const Point& point, absl::string_view prefix,
                              absl::string_view name) {
  if (point.IsIdentity()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", name, " is the point at infinity"));
  }
  return absl::OkStatus();
}

BigInt RandomSignedTimes(size_t bits, const BigInt& modulus,
                         RandomSource& rng) {
  BigInt half = modulus.ShiftLeft(bits);
  return BigInt::RandomBelow(half.ShiftLeft(1) + BigInt(1), rng) - half;
}

BigInt ChallengeE(Transcript& transcript) {
  return transcript.ChallengeSymmetric("e", Scalar::Order());
}

void AppendPoint(Transcript& transcript, absl::string_view label,
                 const Point& point) {
  std::array<uint8_t, Point::kCompressedBytes> enc = point.EncodeOrZeros();
  transcript.AppendBytes(label, enc);
}

absl::StatusOr<BigInt> DecodeInteger(const std::string& bytes, size_t max_bytes,
                                     absl::string_view prefix,
                                     absl::string_view name) {
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ": missing ", name));
  }
  absl::StatusOr<BigInt> v = BigInt::FromSignedBytes(
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()),
                                bytes.size()),
      max_bytes);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", name, ": ", v.status().message()));
  }
  return v;
}

absl::StatusOr<Point> DecodePoint(const std::string& bytes,
                                  absl::string_view prefix,
                                  absl::string_view name) {
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ": missing ", name));
  }
  absl::StatusOr<Point> p = Point::Decode(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!p.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", name, ": ", p.status().message()));
  }
  return p;
}

std::string EncodeInteger(const BigInt& v) {
  std::vector<uint8_t> b = v.ToSignedBytes();
  return std::string(b.begin(), b.end());
}

std::string EncodePoint(const Point& p) {
  std::array<uint8_t, Point::kCompressedBytes> b = p.EncodeOrZeros();
  return std::string(b.begin(), b.end());
}

// ---- CrtExponentiator ----

CrtExponentiator::CrtExponentiator(const BigInt& m1, const BigInt& order1,
                                   const BigInt& m2, const BigInt& order2)
    : m1_(m1), order1_(order1), m2_(m2), order2_(order2), m_(m1 * m2) {
  absl::StatusOr<BigInt> inv = BigInt::ModInverse(m1_, m2_);
  // The factors of a modulus are coprime by construction; a violation is a
  // programming error that would make every result wrong.
  if (!inv.ok()) __builtin_trap();
  m1_inv_mod_m2_ = *std::move(inv);
}

CrtExponentiator::~CrtExponentiator() = default;

CrtExponentiator CrtExponentiator::ForPaillierSquare(const BigInt& p,
                                                     const BigInt& q) {
  return CrtExponentiator(p * p, p * (p - BigInt(1)), q * q,
                          q * (q - BigInt(1)));
}

CrtExponentiator CrtExponentiator::ForPrimes(const BigInt& p, const BigInt& q) {
  return CrtExponentiator(p, p - BigInt(1), q, q - BigInt(1));
}

BigInt CrtExponentiator::Combine(const BigInt& r1, const BigInt& r2) const {
  // x = r1 + m1 · ((r2 - r1) · m1^{-1} mod m2).
  BigInt h = BigInt::ModMul(r2 - r1, m1_inv_mod_m2_, m2_);
  return r1 + m1_ * h;
}

namespace {

// base^exp mod m for a unit base, with exp reduced mod `order` (a multiple
// of the order of Z*_m) to the representative of smallest magnitude: a
// negative exponent is applied to base^-1, so exponents never grow to the
// size of `order`.
BigInt PowReduced(const BigInt& base, const BigInt& exp, const BigInt& order,
                  const BigInt& m) {
  BigInt b = BigInt::Mod(base, m);
  BigInt e = BigInt::Mod(exp, order);
  BigInt neg = order - e;
  if (neg < e) {
    absl::StatusOr<BigInt> inv = BigInt::ModInverse(b, m);
    // Callers only pass units; a non-unit is a programming error.
    if (!inv.ok()) __builtin_trap();
    b = *std::move(inv);
    e = std::move(neg);
  }
  return BigInt::PowMod(b, e, m);
}

}  // namespace

BigInt CrtExponentiator::Pow(const BigInt& base, const BigInt& exp) const {
  return Combine(PowReduced(base, exp, order1_, m1_),
                 PowReduced(base, exp, order2_, m2_));
}

// ---- Paillier / ring-Pedersen arithmetic ----

BigInt OnePlusNPow(const PaillierPublicKey& key, const BigInt& m) {
  return BigInt::Mod(BigInt(1) + BigInt::Mod(m, key.n()) * key.n(),
                     key.n_squared());
}

BigInt NthPower(const PaillierPublicKey& key, const BigInt& r,
                const PaillierPrivateKey* own_key) {
  if (own_key != nullptr) {
    absl::StatusOr<BigInt> v = own_key->NonceToNthPower(r);
    if (v.ok()) return *std::move(v);
  }
  return BigInt::PowMod(r, key.n(), key.n_squared());
}

bool RingPedersenEquationHolds(const RingPedersenParams& params,
                               const RingPedersenSecret* owner_secret,
                               const BigInt& a, const BigInt& b,
                               const BigInt& first, const BigInt& second,
                               const BigInt& e) {
  const BigInt& n = params.n();
  if (owner_secret != nullptr) {
    // s^a t^b = t^(λa + b), by CRT inside RingPedersenSecret::Commit.
    BigInt lhs = owner_secret->Commit(a, b);
    CrtExponentiator crt =
        CrtExponentiator::ForPrimes(owner_secret->p(), owner_secret->q());
    BigInt rhs = BigInt::ModMul(first, crt.Pow(second, e), n);
    return lhs == rhs;
  }
  BigInt lhs = params.CommitPublic(a, b);
  BigInt rhs = BigInt::ModMul(first, BigInt::PowMod(second, e, n), n);
  return lhs == rhs;
}

absl::Status CheckOwnerSecret(const RingPedersenParams& params,
                              const RingPedersenSecret& secret,
                              absl::string_view prefix) {
  const RingPedersenParams& own = secret.params();
  if (own.n() != params.n() || own.s() != params.s() || own.t() != params.t()) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, ": verifier secret does not match the ring-Pedersen params"));
  }
  return absl::OkStatus();
}

absl::Status CheckOwnKey(const PaillierPublicKey& key,
                         const PaillierPrivateKey& own_key,
                         absl::string_view prefix, absl::string_view name) {
  if (own_key.n() != key.n()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": private key does not match ", name));
  }
  return absl::OkStatus();
}

void AppendPaillier(Transcript& transcript, absl::string_view label,
                    const PaillierPublicKey& key) {
  transcript.AppendBigInt(label, key.n());
}

void AppendRingPedersen(Transcript& transcript,
                        const RingPedersenParams& params) {
  transcript.AppendBigInt("Nhat", params.n());
  transcript.AppendBigInt("s", params.s());
  transcript.AppendBigInt("t", params.t());
}

}  // namespace nitro_tss::mpc::zk
