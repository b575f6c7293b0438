#include "common/keccak.h"

#include <cryptopp/keccak.h>

#include <utility>

namespace nitro_tss::keccak {

struct Keccak256Hasher::Impl {
  CryptoPP::Keccak_256 hash;
};

static_assert(CryptoPP::Keccak_256::DIGESTSIZE == kKeccak256Bytes);

Keccak256Hasher::Keccak256Hasher() : impl_(std::make_unique<Impl>()) {}
Keccak256Hasher::~Keccak256Hasher() = default;
Keccak256Hasher::Keccak256Hasher(Keccak256Hasher&&) noexcept = default;
Keccak256Hasher& Keccak256Hasher::operator=(Keccak256Hasher&&) noexcept =
    default;

void Keccak256Hasher::Update(absl::Span<const uint8_t> data) {
  // Crypto++ treats (nullptr, 0) as empty input.
  impl_->hash.Update(data.data(), data.size());
}

Digest Keccak256Hasher::Final() {
  Digest out{};
  impl_->hash.Final(out.data());  // also restarts the hash
  return out;
}

Digest Keccak256(absl::Span<const uint8_t> data) {
  Keccak256Hasher hasher;
  hasher.Update(data);
  return hasher.Final();
}

}  // namespace nitro_tss::keccak
