#include "mpc/math/random.h"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace nitro_tss::mpc {
namespace {

void EnsureSodium() {
  static const bool ok = [] { return sodium_init() >= 0; }();
  if (!ok) throw std::runtime_error("libsodium initialization failed");
}

class SystemRandomSource final : public RandomSource {
 public:
  SystemRandomSource() { EnsureSodium(); }
  void Fill(uint8_t* out, size_t len) override { randombytes_buf(out, len); }
  std::unique_ptr<RandomSource> Fork() override {
    return std::make_unique<SystemRandomSource>();
  }
};

}  // namespace

uint64_t RandomSource::NextU64() {
  uint8_t b[8];
  Fill(b, sizeof(b));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
  return v;
}

RandomSource& SystemRandom() {
  static SystemRandomSource source;
  return source;
}

DeterministicRandom::DeterministicRandom(const std::array<uint8_t, 32>& seed)
    : key_(seed) {
  EnsureSodium();
}

DeterministicRandom::DeterministicRandom(uint64_t seed) {
  EnsureSodium();
  uint8_t le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<uint8_t>(seed >> (8 * i));
  crypto_hash_sha256(key_.data(), le, sizeof(le));
}

DeterministicRandom::~DeterministicRandom() {
  sodium_memzero(key_.data(), key_.size());
}

void DeterministicRandom::Fill(uint8_t* out, size_t len) {
  // Each call consumes whole 64-byte ChaCha20 blocks starting at a fresh
  // counter, so output never repeats. The 96-bit nonce carries the upper bits
  // of the block counter.
  std::memset(out, 0, len);
  uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
  uint64_t hi = block_counter_ >> 32;
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<uint8_t>(hi >> (8 * i));
  crypto_stream_chacha20_ietf_xor_ic(
      out, out, len, nonce, static_cast<uint32_t>(block_counter_), key_.data());
  block_counter_ += (len + 63) / 64;
}

std::unique_ptr<RandomSource> DeterministicRandom::Fork() {
  std::array<uint8_t, 32> seed;
  Fill(seed.data(), seed.size());
  auto child = std::make_unique<DeterministicRandom>(seed);
  sodium_memzero(seed.data(), seed.size());
  return child;
}

}  // namespace nitro_tss::mpc
