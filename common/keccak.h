// Keccak-256 as Ethereum uses it: the original Keccak submission's padding
// (domain byte 0x01, pad10*1), rate 136 bytes, capacity 512 bits, 32-byte
// output. This is NOT NIST SHA3-256 (FIPS 202 pads with 0x06 and gives other
// digests); OpenSSL 3.0 has no plain Keccak-256 (only KECCAK-KMAC), so this
// wraps Crypto++'s CryptoPP::Keccak_256 (Debian libcrypto++-dev).
//
//   Keccak256("")    =
//   c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470
//   Keccak256("abc") =
//   4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45
//
// Thread-safe (no shared state). The hash state lives in Crypto++ SecBlocks,
// which are wiped when freed.
#ifndef NITRO_TSS_COMMON_KECCAK_H_
#define NITRO_TSS_COMMON_KECCAK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/types/span.h"

namespace nitro_tss::keccak {

inline constexpr size_t kKeccak256Bytes = 32;
using Digest = std::array<uint8_t, kKeccak256Bytes>;

// Keccak-256 of `data` (any length, including empty).
Digest Keccak256(absl::Span<const uint8_t> data);

// Incremental Keccak-256 for input that arrives in pieces:
// Update(a); Update(b); Final() == Keccak256(a || b). Final() resets the
// hasher to the empty state. Move-only; a moved-from hasher may only be
// destroyed or assigned to.
class Keccak256Hasher {
 public:
  Keccak256Hasher();
  ~Keccak256Hasher();
  Keccak256Hasher(Keccak256Hasher&&) noexcept;
  Keccak256Hasher& operator=(Keccak256Hasher&&) noexcept;

  void Update(absl::Span<const uint8_t> data);
  Digest Final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nitro_tss::keccak

#endif  // NITRO_TSS_COMMON_KECCAK_H_
