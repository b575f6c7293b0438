#include "mpc/paillier/wire.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc::wire {

std::string EncodeInt(const BigInt& v) {
  std::vector<uint8_t> b = v.ToSignedBytes();
  return std::string(b.begin(), b.end());
}

absl::StatusOr<BigInt> DecodeInt(absl::string_view prefix,
                                 absl::string_view field,
                                 const std::string& raw, size_t max_bytes) {
  absl::StatusOr<BigInt> v = BigInt::FromSignedBytes(
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()),
                                raw.size()),
      max_bytes);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": field ", field, ": ", v.status().message()));
  }
  return v;
}

bool IsUnitMod(const BigInt& v, const BigInt& n) {
  return v.Sign() > 0 && v < n && BigInt::Gcd(v, n) == BigInt(1);
}

}  // namespace nitro_tss::mpc::wire
