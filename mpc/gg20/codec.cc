#include "mpc/gg20/codec.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "mpc/curve/codec.h"

namespace nitro_tss::mpc::gg20 {
namespace {

absl::Status Err(absl::string_view what, absl::string_view field,
                 absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", field, msg));
}

}  // namespace

absl::StatusOr<BigInt> DecodeInt(const std::string& bytes, size_t max_bytes,
                                 absl::string_view what,
                                 absl::string_view field) {
  if (bytes.empty()) return Err(what, field, " missing");
  absl::Span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()),
                                 bytes.size());
  absl::StatusOr<BigInt> v = BigInt::FromSignedBytes(span, max_bytes);
  if (!v.ok())
    return Err(what, field, absl::StrCat(": ", v.status().message()));
  return v;
}

std::string EncodeInt(const BigInt& v) {
  std::vector<uint8_t> b = v.ToSignedBytes();
  std::string out(b.begin(), b.end());
  SecureWipe(b.data(), b.size());  // v may be a secret (key-share records)
  return out;
}

absl::StatusOr<Point> DecodePt(const std::string& bytes, absl::string_view what,
                               absl::string_view field) {
  if (bytes.empty()) return Err(what, field, " missing");
  absl::StatusOr<Point> p = Point::Decode(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!p.ok())
    return Err(what, field, absl::StrCat(": ", p.status().message()));
  return p;
}

std::string EncodePt(const Point& p) {
  if (p.IsIdentity()) return std::string();
  auto enc = p.Encode();
  return std::string(enc->begin(), enc->end());
}

absl::StatusOr<Scalar> DecodeSc(const std::string& bytes,
                                absl::string_view what,
                                absl::string_view field) {
  if (bytes.empty()) return Err(what, field, " missing");
  absl::StatusOr<Scalar> s = Scalar::FromBytes(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!s.ok())
    return Err(what, field, absl::StrCat(": ", s.status().message()));
  return s;
}

std::string EncodeSc(const Scalar& s) {
  auto b = s.ToBytes();
  std::string out(b.begin(), b.end());
  SecureWipe(b.data(), b.size());
  return out;
}

absl::StatusOr<std::array<uint8_t, kDigestBytes>> DecodeDigest(
    const std::string& bytes, absl::string_view what, absl::string_view field) {
  if (bytes.size() != kDigestBytes) {
    return Err(what, field,
               absl::StrCat(": expected ", kDigestBytes, " bytes, got ",
                            bytes.size()));
  }
  std::array<uint8_t, kDigestBytes> out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

absl::Status ParseEmbedded(const std::string& bytes, size_t max_bytes,
                           google::protobuf::Message& out,
                           absl::string_view what, absl::string_view field) {
  if (bytes.empty()) return Err(what, field, " missing");
  if (bytes.size() > max_bytes) {
    return Err(what, field,
               absl::StrCat(": ", bytes.size(), " bytes exceed the limit of ",
                            max_bytes));
  }
  if (!out.ParseFromString(bytes)) return Err(what, field, ": malformed");
  if (!RejectUnknownFields(out, "x").ok()) {
    return Err(what, field, ": unknown fields present");
  }
  if (out.SerializeAsString() != bytes) {
    return Err(what, field, ": non-canonical encoding or unknown fields");
  }
  return absl::OkStatus();
}

absl::Status ParsePayload(absl::Span<const uint8_t> bytes,
                          google::protobuf::Message& out,
                          absl::string_view what) {
  if (bytes.size() > (4u << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": payload too large"));
  }
  // Payloads may carry secrets (VSS shares): the temporary copies are wiped.
  std::string s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::string again;
  absl::Status result = absl::OkStatus();
  if (!out.ParseFromString(s)) {
    result =
        absl::InvalidArgumentError(absl::StrCat(what, ": malformed payload"));
  } else if (!RejectUnknownFields(out, what).ok()) {
    result = absl::InvalidArgumentError(
        absl::StrCat(what, ": unknown fields present in payload"));
  } else {
    again = out.SerializeAsString();
    if (again != s) {
      result = absl::InvalidArgumentError(absl::StrCat(
          what, ": non-canonical payload encoding or unknown fields"));
    }
  }
  sodium_memzero(s.data(), s.size());
  sodium_memzero(again.data(), again.size());
  return result;
}

SecureBytes SerializePayload(const google::protobuf::MessageLite& m) {
  // Straight into the final buffer: no temporary string to leave behind.
  SecureBytes out(m.ByteSizeLong());
  m.SerializeWithCachedSizesToArray(out.data());
  return out;
}

std::string SerializeEmbedded(const google::protobuf::MessageLite& m) {
  return m.SerializeAsString();
}

}  // namespace nitro_tss::mpc::gg20
