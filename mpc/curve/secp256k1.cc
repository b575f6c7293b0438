#include "mpc/curve/secp256k1.h"

#include <secp256k1_recovery.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc {
namespace {

// n, big-endian.
constexpr std::array<uint8_t, 32> kOrderBytes = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
    0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
// (n - 1) / 2, big-endian.
constexpr std::array<uint8_t, 32> kHalfOrderBytes = {
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4,
    0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};
// p, big-endian.
constexpr std::array<uint8_t, 32> kFieldPrimeBytes = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFC, 0x2F};

constexpr char kHDomain[] = "nitro-tss/secp256k1/H/v1";

// Big-endian comparison of public 32-byte values (variable time).
bool LessThan(const uint8_t* a, const std::array<uint8_t, 32>& b) {
  return std::memcmp(a, b.data(), 32) < 0;
}

bool AllZero(const std::array<uint8_t, 32>& v) {
  return sodium_is_zero(v.data(), v.size()) == 1;
}

secp256k1_context* CreateContext() {
  if (sodium_init() < 0) abort();
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN |
                                                    SECP256K1_CONTEXT_VERIFY);
  uint8_t seed[32];
  randombytes_buf(seed, sizeof(seed));
  if (!secp256k1_context_randomize(ctx, seed)) abort();
  sodium_memzero(seed, sizeof(seed));
  return ctx;
}

Point ComputeH() {
  for (uint32_t ctr = 0;; ++ctr) {
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, reinterpret_cast<const uint8_t*>(kHDomain),
                              sizeof(kHDomain) - 1);
    const uint8_t ctr_be[4] = {
        static_cast<uint8_t>(ctr >> 24), static_cast<uint8_t>(ctr >> 16),
        static_cast<uint8_t>(ctr >> 8), static_cast<uint8_t>(ctr)};
    crypto_hash_sha256_update(&st, ctr_be, sizeof(ctr_be));
    std::array<uint8_t, 33> enc;
    enc[0] = 0x02;
    crypto_hash_sha256_final(&st, enc.data() + 1);
    absl::StatusOr<Point> p = Point::Decode(enc);
    if (p.ok()) return *p;
  }
}

}  // namespace

const secp256k1_context* Secp256k1Context() {
  static const secp256k1_context* ctx = CreateContext();
  return ctx;
}

// ---------------------------------------------------------------- Scalar

Scalar::Scalar() = default;
Scalar::~Scalar() { Wipe(); }
Scalar::Scalar(const Scalar& other) = default;
Scalar& Scalar::operator=(const Scalar& other) {
  if (this != &other) bytes_ = other.bytes_;
  return *this;
}
Scalar::Scalar(Scalar&& other) noexcept : bytes_(other.bytes_) { other.Wipe(); }
Scalar& Scalar::operator=(Scalar&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    other.Wipe();
  }
  return *this;
}

void Scalar::Wipe() { sodium_memzero(bytes_.data(), bytes_.size()); }

Scalar Scalar::Zero() { return Scalar(); }
Scalar Scalar::One() { return FromU64(1); }

Scalar Scalar::FromU64(uint64_t v) {
  Scalar s;
  for (int i = 0; i < 8; ++i) {
    s.bytes_[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  }
  return s;  // < 2^64 < n
}

absl::StatusOr<Scalar> Scalar::FromBytes(absl::Span<const uint8_t> bytes) {
  if (bytes.size() != kBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("scalar: expected 32 bytes, got ", bytes.size()));
  }
  Scalar s;
  std::copy(bytes.begin(), bytes.end(), s.bytes_.begin());
  // seckey_verify accepts exactly [1, n); zero is checked separately.
  if (!AllZero(s.bytes_) &&
      !secp256k1_ec_seckey_verify(Secp256k1Context(), s.bytes_.data())) {
    return absl::InvalidArgumentError("scalar: value >= group order");
  }
  return s;
}

const BigInt& Scalar::Order() {
  static const BigInt* order = new BigInt(BigInt::FromBytes(kOrderBytes));
  return *order;
}

Scalar Scalar::FromBigIntReduce(const BigInt& v) {
  BigInt reduced = BigInt::Mod(v, Order());
  Scalar s;
  std::vector<uint8_t> bytes = reduced.ToBytes(kBytes);
  std::copy(bytes.begin(), bytes.end(), s.bytes_.begin());
  sodium_memzero(bytes.data(), bytes.size());
  reduced.Wipe();
  return s;
}

Scalar Scalar::Random(RandomSource& rng) {
  Scalar s;
  for (;;) {
    rng.Fill(s.bytes_.data(), s.bytes_.size());
    if (AllZero(s.bytes_) ||
        secp256k1_ec_seckey_verify(Secp256k1Context(), s.bytes_.data())) {
      return s;
    }
  }
}

Scalar Scalar::RandomNonZero(RandomSource& rng) {
  Scalar s;
  for (;;) {
    rng.Fill(s.bytes_.data(), s.bytes_.size());
    if (secp256k1_ec_seckey_verify(Secp256k1Context(), s.bytes_.data())) {
      return s;
    }
  }
}

BigInt Scalar::ToBigInt() const { return BigInt::FromBytes(bytes_); }

std::array<uint8_t, Scalar::kBytes> Scalar::ToBytes() const { return bytes_; }

bool Scalar::IsZero() const { return AllZero(bytes_); }

bool Scalar::Equals(const Scalar& other) const {
  return sodium_memcmp(bytes_.data(), other.bytes_.data(), kBytes) == 0;
}

Scalar Scalar::Add(const Scalar& other) const {
  if (IsZero()) return other;
  if (other.IsZero()) return *this;
  Scalar out = *this;
  // Fails only when the sum is zero (other == -this).
  if (!secp256k1_ec_seckey_tweak_add(Secp256k1Context(), out.bytes_.data(),
                                     other.bytes_.data())) {
    return Zero();
  }
  return out;
}

Scalar Scalar::Sub(const Scalar& other) const { return Add(other.Negate()); }

Scalar Scalar::Mul(const Scalar& other) const {
  if (IsZero() || other.IsZero()) return Zero();
  Scalar out = *this;
  // Both operands are in [1, n) and n is prime, so the product is non-zero.
  if (!secp256k1_ec_seckey_tweak_mul(Secp256k1Context(), out.bytes_.data(),
                                     other.bytes_.data())) {
    abort();  // unreachable by the invariant
  }
  return out;
}

Scalar Scalar::Negate() const {
  if (IsZero()) return Zero();
  Scalar out = *this;
  if (!secp256k1_ec_seckey_negate(Secp256k1Context(), out.bytes_.data())) {
    abort();  // unreachable by the invariant
  }
  return out;
}

absl::StatusOr<Scalar> Scalar::Inverse() const {
  if (IsZero()) return absl::InvalidArgumentError("scalar: inverse of zero");
  static const BigInt* exponent = new BigInt(Order() - BigInt(2));
  BigInt base = ToBigInt();
  BigInt inv = BigInt::PowModConstTime(base, *exponent, Order(), 256);
  Scalar out = FromBigIntReduce(inv);
  base.Wipe();
  inv.Wipe();
  return out;
}

// ---------------------------------------------------------------- Point

Point::Point() = default;

Point Point::Identity() { return Point(); }

Point Point::FromPubkey(const secp256k1_pubkey& pk) {
  Point p;
  p.identity_ = false;
  p.pubkey_ = pk;
  return p;
}

Point Point::Generator() {
  static const Point* g = new Point(MulBase(Scalar::One()));
  return *g;
}

const Point& Point::H() {
  static const Point* h = new Point(ComputeH());
  return *h;
}

absl::StatusOr<Point> Point::Decode(absl::Span<const uint8_t> bytes) {
  if (bytes.size() != kCompressedBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("point: expected 33-byte compressed encoding, got ",
                     bytes.size(), " bytes"));
  }
  if (bytes[0] != 0x02 && bytes[0] != 0x03) {
    return absl::InvalidArgumentError(absl::StrCat(
        "point: invalid prefix byte ", bytes[0], " (want 2 or 3)"));
  }
  if (!LessThan(bytes.data() + 1, kFieldPrimeBytes)) {
    return absl::InvalidArgumentError(
        "point: x coordinate >= field prime (non-canonical)");
  }
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_parse(Secp256k1Context(), &pk, bytes.data(),
                                 bytes.size())) {
    return absl::InvalidArgumentError("point: x is not on the curve");
  }
  return FromPubkey(pk);
}

absl::StatusOr<std::array<uint8_t, Point::kCompressedBytes>> Point::Encode()
    const {
  if (identity_) {
    return absl::FailedPreconditionError("point: cannot encode the identity");
  }
  std::array<uint8_t, kCompressedBytes> out;
  size_t len = out.size();
  secp256k1_ec_pubkey_serialize(Secp256k1Context(), out.data(), &len, &pubkey_,
                                SECP256K1_EC_COMPRESSED);
  return out;
}

std::array<uint8_t, Point::kCompressedBytes> Point::EncodeOrZeros() const {
  if (identity_) return std::array<uint8_t, kCompressedBytes>{};
  return *Encode();
}

Point Point::MulBase(const Scalar& k) {
  if (k.IsZero()) return Identity();
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_create(Secp256k1Context(), &pk, k.bytes().data())) {
    abort();  // unreachable: k in [1, n)
  }
  return FromPubkey(pk);
}

Point Point::Add(const Point& other) const {
  if (identity_) return other;
  if (other.identity_) return *this;
  const secp256k1_pubkey* ins[2] = {&pubkey_, &other.pubkey_};
  secp256k1_pubkey sum;
  if (!secp256k1_ec_pubkey_combine(Secp256k1Context(), &sum, ins, 2)) {
    return Identity();  // P + (-P)
  }
  return FromPubkey(sum);
}

Point Point::Sum(absl::Span<const Point> points) {
  std::vector<const secp256k1_pubkey*> ins;
  ins.reserve(points.size());
  for (const Point& p : points) {
    if (!p.identity_) ins.push_back(&p.pubkey_);
  }
  if (ins.empty()) return Identity();
  if (ins.size() == 1) return FromPubkey(*ins[0]);
  secp256k1_pubkey sum;
  if (!secp256k1_ec_pubkey_combine(Secp256k1Context(), &sum, ins.data(),
                                   ins.size())) {
    return Identity();
  }
  return FromPubkey(sum);
}

Point Point::Sub(const Point& other) const { return Add(other.Negate()); }

Point Point::Mul(const Scalar& k) const {
  if (identity_ || k.IsZero()) return Identity();
  secp256k1_pubkey pk = pubkey_;
  if (!secp256k1_ec_pubkey_tweak_mul(Secp256k1Context(), &pk,
                                     k.bytes().data())) {
    abort();  // unreachable: k in [1, n), prime order group
  }
  return FromPubkey(pk);
}

Point Point::Negate() const {
  if (identity_) return Identity();
  secp256k1_pubkey pk = pubkey_;
  if (!secp256k1_ec_pubkey_negate(Secp256k1Context(), &pk)) abort();
  return FromPubkey(pk);
}

bool operator==(const Point& a, const Point& b) {
  if (a.identity_ || b.identity_) return a.identity_ == b.identity_;
  return secp256k1_ec_pubkey_cmp(Secp256k1Context(), &a.pubkey_, &b.pubkey_) ==
         0;
}

absl::StatusOr<Scalar> Point::XCoordinateModN() const {
  if (identity_) {
    return absl::FailedPreconditionError("point: identity has no x coordinate");
  }
  std::array<uint8_t, kCompressedBytes> enc = *Encode();
  return Scalar::FromBigIntReduce(
      BigInt::FromBytes(absl::MakeConstSpan(enc).subspan(1)));
}

absl::StatusOr<bool> Point::HasOddY() const {
  if (identity_) {
    return absl::FailedPreconditionError("point: identity has no y coordinate");
  }
  return (*Encode())[0] == 0x03;
}

absl::StatusOr<bool> Point::XCoordinateOverflowsOrder() const {
  if (identity_) {
    return absl::FailedPreconditionError("point: identity has no x coordinate");
  }
  std::array<uint8_t, kCompressedBytes> enc = *Encode();
  return !LessThan(enc.data() + 1, kOrderBytes);
}

// ---------------------------------------------------------------- ECDSA

bool IsLowS(const Scalar& s) {
  return std::memcmp(s.bytes().data(), kHalfOrderBytes.data(), 32) <= 0;
}

absl::StatusOr<int> RecoveryIdForNoncePoint(const Point& r_point) {
  if (r_point.IsIdentity()) {
    return absl::InvalidArgumentError("ecdsa: nonce point is the identity");
  }
  return (*r_point.HasOddY() ? 1 : 0) |
         (*r_point.XCoordinateOverflowsOrder() ? 2 : 0);
}

EcdsaSignature NormalizeLowS(const EcdsaSignature& sig) {
  if (IsLowS(sig.s)) return sig;
  EcdsaSignature out;
  out.r = sig.r;
  out.s = sig.s.Negate();
  out.recovery_id = sig.recovery_id ^ 1;
  return out;
}

namespace {
std::array<uint8_t, 64> Compact(const Scalar& r, const Scalar& s) {
  std::array<uint8_t, 64> out;
  std::copy(r.bytes().begin(), r.bytes().end(), out.begin());
  std::copy(s.bytes().begin(), s.bytes().end(), out.begin() + 32);
  return out;
}
}  // namespace

absl::Status VerifyEcdsa(const Point& public_key,
                         absl::Span<const uint8_t> digest, const Scalar& r,
                         const Scalar& s, bool require_low_s) {
  if (digest.size() != 32) {
    return absl::InvalidArgumentError("ecdsa: digest must be 32 bytes");
  }
  if (public_key.IsIdentity()) {
    return absl::InvalidArgumentError("ecdsa: public key is the identity");
  }
  if (r.IsZero()) return absl::InvalidArgumentError("ecdsa: r is zero");
  if (s.IsZero()) return absl::InvalidArgumentError("ecdsa: s is zero");
  if (require_low_s && !IsLowS(s)) {
    return absl::InvalidArgumentError("ecdsa: s is not low");
  }
  std::array<uint8_t, 64> compact = Compact(r, s);
  secp256k1_ecdsa_signature sig;
  if (!secp256k1_ecdsa_signature_parse_compact(Secp256k1Context(), &sig,
                                               compact.data())) {
    return absl::InvalidArgumentError("ecdsa: invalid signature encoding");
  }
  secp256k1_ecdsa_signature_normalize(Secp256k1Context(), &sig, &sig);
  if (!secp256k1_ecdsa_verify(Secp256k1Context(), &sig, digest.data(),
                              &public_key.pubkey())) {
    return absl::InvalidArgumentError("ecdsa: invalid signature");
  }
  return absl::OkStatus();
}

absl::StatusOr<Point> RecoverEcdsaPublicKey(absl::Span<const uint8_t> digest,
                                            const EcdsaSignature& sig) {
  if (digest.size() != 32) {
    return absl::InvalidArgumentError("ecdsa: digest must be 32 bytes");
  }
  if (sig.recovery_id < 0 || sig.recovery_id > 3) {
    return absl::InvalidArgumentError("ecdsa: recovery id out of range");
  }
  if (sig.r.IsZero() || sig.s.IsZero()) {
    return absl::InvalidArgumentError("ecdsa: r or s is zero");
  }
  std::array<uint8_t, 64> compact = Compact(sig.r, sig.s);
  secp256k1_ecdsa_recoverable_signature rsig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(
          Secp256k1Context(), &rsig, compact.data(), sig.recovery_id)) {
    return absl::InvalidArgumentError("ecdsa: invalid signature encoding");
  }
  secp256k1_pubkey pk;
  if (!secp256k1_ecdsa_recover(Secp256k1Context(), &pk, &rsig, digest.data())) {
    return absl::InvalidArgumentError("ecdsa: public key recovery failed");
  }
  absl::StatusOr<Point> p = [&]() -> absl::StatusOr<Point> {
    std::array<uint8_t, 33> enc;
    size_t len = enc.size();
    secp256k1_ec_pubkey_serialize(Secp256k1Context(), enc.data(), &len, &pk,
                                  SECP256K1_EC_COMPRESSED);
    return Point::Decode(enc);
  }();
  return p;
}

absl::Status VerifyRecoverableEcdsa(const Point& public_key,
                                    absl::Span<const uint8_t> digest,
                                    const EcdsaSignature& sig) {
  absl::Status st = VerifyEcdsa(public_key, digest, sig.r, sig.s);
  if (!st.ok()) return st;
  absl::StatusOr<Point> recovered = RecoverEcdsaPublicKey(digest, sig);
  if (!recovered.ok()) return recovered.status();
  if (*recovered != public_key) {
    return absl::InvalidArgumentError("ecdsa: recovered key mismatch");
  }
  return absl::OkStatus();
}

}  // namespace nitro_tss::mpc
