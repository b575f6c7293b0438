#include "mpc/zk/params.h"

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

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

absl::Status DecodeFlatProof(const google::protobuf::Message& message,
                             std::initializer_list<IntegerField> fields,
                             absl::string_view prefix) {
  if (!message.GetReflection()->GetUnknownFields(message).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": unknown fields present"));
  }
  for (const IntegerField& f : fields) {
    absl::StatusOr<BigInt> v =
        DecodeInteger(f.bytes, f.max_bytes, prefix, f.name);
    if (!v.ok()) return v.status();
    *f.dst = *std::move(v);
  }
  return absl::OkStatus();
}

absl::Status CheckDlogWitness(const Point& g, const Point& cap_x,
                              const BigInt& x, absl::string_view prefix) {
  if (g.IsIdentity() || cap_x.IsIdentity()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": g or X is the point at infinity"));
  }
  Scalar x_mod_q = Scalar::FromBigIntReduce(x);
  const bool matches = g.Mul(x_mod_q) == cap_x;
  x_mod_q.Wipe();
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ": X != x*g"));
  }
  return absl::OkStatus();
}

absl::Status CheckGroupEquation(const Point& g, const BigInt& z1,
                                const Point& cap_y, const Point& cap_x,
                                const BigInt& e, absl::string_view prefix) {
  Point left = g.Mul(Scalar::FromBigIntReduce(z1));
  Point right = cap_y.Add(cap_x.Mul(Scalar::FromBigIntReduce(e)));
  if (left != right) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": group equation failed"));
  }
  return absl::OkStatus();
}

void AppendRangeParameters(Transcript& transcript, size_t ell) {
  transcript.AppendU64("L", ell);
  transcript.AppendU64("l'", kEllPrime);
  transcript.AppendU64("eps", kEpsilon);
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
