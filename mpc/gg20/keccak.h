// Keccak-256 (the original Keccak submission padding 0x01, as used by
// Ethereum; NOT NIST SHA3-256 which pads with 0x06) and the message digests
// the signing API computes itself.
#ifndef NITRO_TSS_MPC_GG20_KECCAK_H_
#define NITRO_TSS_MPC_GG20_KECCAK_H_

#include <array>
#include <cstdint>

#include "absl/types/span.h"

namespace nitro_tss::mpc::gg20 {

// Keccak-256 of `data` (rate 136 bytes, capacity 512 bits, pad10*1 with
// domain byte 0x01): common/keccak.h (Crypto++), the one implementation.
// Thread-safe.
std::array<uint8_t, 32> Keccak256(absl::Span<const uint8_t> data);

// SHA-256 of `data` (libsodium).
std::array<uint8_t, 32> Sha256(absl::Span<const uint8_t> data);

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_KECCAK_H_
