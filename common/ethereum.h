// Ethereum addresses of secp256k1 public keys, and their EIP-55 checksummed
// text form.
//
// Address (Ethereum yellow paper, appendix F): the last 20 bytes of
//   Keccak-256(X || Y)
// where X || Y are the 64 bytes of the uncompressed SEC1 point 04 || X || Y
// without its 0x04 prefix (common/keccak.h).
//
// EIP-55 text form: "0x" followed by the 40 lower-case hex digits of the
// address, where each letter a..f at position i is upper-cased when nibble i
// of Keccak-256(the 40 lower-case ASCII hex digits) is >= 8. Examples from
// the EIP (each is the checksummed form of its own bytes, including the
// all-upper-case and all-lower-case ones):
//   0x52908400098527886E0F7030069857D2E4169EE7
//   0xde709f2102306220921060314715629080e2fb77
//   0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed
//
// No curve code here (common/ has none): callers pass a point that a
// secp256k1 library has already parsed and validated (e.g.
// secp256k1_ec_pubkey_serialize(..., SECP256K1_EC_UNCOMPRESSED) of a
// secp256k1_pubkey, or mpc/curve's Point); the functions check only the
// encoding's length and prefix.
#ifndef NITRO_TSS_COMMON_ETHEREUM_H_
#define NITRO_TSS_COMMON_ETHEREUM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace nitro_tss::ethereum {

inline constexpr size_t kAddressBytes = 20;
inline constexpr size_t kUncompressedKeyBytes = 65;
// "0x" + 40 hex digits.
inline constexpr size_t kAddressTextBytes = 2 + 2 * kAddressBytes;

using Address = std::array<uint8_t, kAddressBytes>;

// The address of the uncompressed point `uncompressed_key` (65 bytes,
// 04 || X || Y). InvalidArgument if the length is not 65 or the first byte
// is not 0x04 (compressed keys must be decompressed by the caller's curve
// library first). The point itself is not checked (see above).
absl::StatusOr<Address> AddressFromUncompressedKey(
    absl::Span<const uint8_t> uncompressed_key);

// The EIP-55 checksummed text form, "0x" + 40 mixed-case hex digits.
std::string ChecksumAddress(const Address& address);

// How ParseAddress treats text that carries no checksum.
enum class ChecksumPolicy {
  // The text must be exactly ChecksumAddress() of its bytes.
  kRequire,
  // Also accept all-lower-case or all-upper-case hex digits that differ from
  // the checksummed form (EIP-55: such addresses carry no checksum). Mixed
  // case must still be the exact checksummed form.
  kAllowUnchecksummed,
};

// Parses "0x" + 40 hex digits (exactly; no "0X", no whitespace). Errors,
// InvalidArgument: wrong length or prefix, a non-hex character, a mixed-case
// address whose checksum does not match ("EIP-55 checksum mismatch"), and
// under kRequire an all-lower/upper-case address that is not the checksummed
// form ("has no EIP-55 checksum").
absl::StatusOr<Address> ParseAddress(absl::string_view text,
                                     ChecksumPolicy policy);

}  // namespace nitro_tss::ethereum

#endif  // NITRO_TSS_COMMON_ETHEREUM_H_
