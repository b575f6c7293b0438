#include "mpc/gg20/keccak.h"

#include <sodium.h>

#include <cstring>

namespace nitro_tss::mpc::gg20 {
namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
    0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// Rotation offsets r[x + 5y].
constexpr int kRotations[25] = {0,  1, 62, 28, 27, 36, 44, 6,  55,
                                20, 3, 10, 43, 25, 39, 41, 45, 15,
                                21, 8, 18, 2,  61, 56, 14};

inline uint64_t Rotl(uint64_t v, int n) {
  return n == 0 ? v : (v << n) | (v >> (64 - n));
}

void KeccakF1600(uint64_t a[25]) {
  for (int round = 0; round < 24; ++round) {
    // theta
    uint64_t c[5];
    for (int x = 0; x < 5; ++x) {
      c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    }
    for (int x = 0; x < 5; ++x) {
      uint64_t d = c[(x + 4) % 5] ^ Rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[x + y] ^= d;
    }
    // rho and pi: B[y, 2x + 3y] = rot(A[x, y], r[x, y])
    uint64_t b[25];
    for (int x = 0; x < 5; ++x) {
      for (int y = 0; y < 5; ++y) {
        b[y + 5 * ((2 * x + 3 * y) % 5)] =
            Rotl(a[x + 5 * y], kRotations[x + 5 * y]);
      }
    }
    // chi
    for (int y = 0; y < 25; y += 5) {
      for (int x = 0; x < 5; ++x) {
        a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
      }
    }
    // iota
    a[0] ^= kRoundConstants[round];
  }
}

void AbsorbBlock(uint64_t state[25], const uint8_t* block, size_t rate) {
  for (size_t i = 0; i < rate / 8; ++i) {
    uint64_t lane = 0;
    for (int k = 7; k >= 0; --k) lane = (lane << 8) | block[8 * i + k];
    state[i] ^= lane;
  }
  KeccakF1600(state);
}

}  // namespace

std::array<uint8_t, 32> Keccak256(absl::Span<const uint8_t> data) {
  constexpr size_t kRate = 136;
  uint64_t state[25] = {0};
  size_t offset = 0;
  while (data.size() - offset >= kRate) {
    AbsorbBlock(state, data.data() + offset, kRate);
    offset += kRate;
  }
  uint8_t last[kRate] = {0};
  size_t rest = data.size() - offset;
  if (rest > 0) std::memcpy(last, data.data() + offset, rest);
  last[rest] ^= 0x01;
  last[kRate - 1] ^= 0x80;
  AbsorbBlock(state, last, kRate);
  std::array<uint8_t, 32> out;
  for (size_t i = 0; i < 32; ++i) {
    out[i] = static_cast<uint8_t>(state[i / 8] >> (8 * (i % 8)));
  }
  sodium_memzero(state, sizeof(state));
  sodium_memzero(last, sizeof(last));
  return out;
}

std::array<uint8_t, 32> Sha256(absl::Span<const uint8_t> data) {
  std::array<uint8_t, 32> out;
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

}  // namespace nitro_tss::mpc::gg20
