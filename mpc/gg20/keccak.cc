#include "mpc/gg20/keccak.h"

#include <sodium.h>

#include "common/keccak.h"


namespace nitro_tss::mpc::gg20 {

std::array<uint8_t, 32> Keccak256(absl::Span<const uint8_t> data) {
  return keccak::Keccak256(data);
}

std::array<uint8_t, 32> Sha256(absl::Span<const uint8_t> data) {
  std::array<uint8_t, 32> out;
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

}  // namespace nitro_tss::mpc::gg20
