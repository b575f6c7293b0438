#include "common/ethereum.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/keccak.h"

namespace nitro_tss::ethereum {
namespace {

constexpr char kHexLower[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<Address> AddressFromUncompressedKey(
    absl::Span<const uint8_t> uncompressed_key) {
  if (uncompressed_key.size() != kUncompressedKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ethereum address: the public key must be the ", kUncompressedKeyBytes,
        "-byte uncompressed point, got ", uncompressed_key.size(), " bytes"));
  }
  if (uncompressed_key[0] != 0x04) {
    return absl::InvalidArgumentError(
        "ethereum address: the public key must start with 0x04 "
        "(uncompressed point)");
  }
  const keccak::Digest digest = keccak::Keccak256(uncompressed_key.subspan(1));
  Address address{};
  std::memcpy(address.data(), digest.data() + digest.size() - kAddressBytes,
              kAddressBytes);
  return address;
}

std::string ChecksumAddress(const Address& address) {
  std::string lower;
  lower.reserve(2 * kAddressBytes);
  for (uint8_t b : address) {
    lower.push_back(kHexLower[b >> 4]);
    lower.push_back(kHexLower[b & 0x0f]);
  }
  const keccak::Digest hash = keccak::Keccak256(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(lower.data()), lower.size()));
  std::string out = "0x";
  out.reserve(kAddressTextBytes);
  for (size_t i = 0; i < lower.size(); ++i) {
    const uint8_t nibble =
        (i % 2 == 0) ? (hash[i / 2] >> 4) : (hash[i / 2] & 0x0f);
    char c = lower[i];
    if (c >= 'a' && c <= 'f' && nibble >= 8) c = static_cast<char>(c - 32);
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<Address> ParseAddress(absl::string_view text,
                                     ChecksumPolicy policy) {
  if (text.size() != kAddressTextBytes || text.substr(0, 2) != "0x") {
    return absl::InvalidArgumentError(
        "ethereum address: must be \"0x\" followed by 40 hex digits");
  }
  Address address{};
  bool has_lower = false;
  bool has_upper = false;
  for (size_t i = 0; i < 2 * kAddressBytes; ++i) {
    const char c = text[2 + i];
    const int v = HexValue(c);
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ethereum address: character ", 2 + i, " is not a hex digit"));
    }
    has_lower = has_lower || (c >= 'a' && c <= 'f');
    has_upper = has_upper || (c >= 'A' && c <= 'F');
    address[i / 2] =
        static_cast<uint8_t>((i % 2 == 0) ? (v << 4) : (address[i / 2] | v));
  }
  if (ChecksumAddress(address) == text) return address;
  if (has_lower && has_upper) {
    return absl::InvalidArgumentError(
        "ethereum address: EIP-55 checksum mismatch (mixed case that is not "
        "the checksummed form; a mistyped address?)");
  }
  if (policy == ChecksumPolicy::kRequire) {
    return absl::InvalidArgumentError(
        "ethereum address: has no EIP-55 checksum (all one case); give the "
        "checksummed form");
  }
  return address;
}

}  // namespace nitro_tss::ethereum
