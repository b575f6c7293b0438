// Injectable randomness for the mpc core.
//
// Every function in mpc/ that needs randomness takes a RandomSource&, so tests
// can replay protocol runs deterministically and production code uses the
// operating system's CSPRNG through libsodium.
#ifndef NITRO_TSS_MPC_MATH_RANDOM_H_
#define NITRO_TSS_MPC_MATH_RANDOM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

namespace nitro_tss::mpc {

// A source of uniformly random bytes.
class RandomSource {
 public:
  virtual ~RandomSource() = default;

  // Fills out[0..len) with uniformly random bytes. Never fails.
  virtual void Fill(uint8_t* out, size_t len) = 0;

  // Returns an independent source suitable for use on another thread.
  // For the system source this is another handle to the OS CSPRNG; for a
  // deterministic source it is seeded from this source's stream (so forks
  // are reproducible given the order in which they are made).
  virtual std::unique_ptr<RandomSource> Fork() = 0;

  uint64_t NextU64();
};

// The process-wide CSPRNG (libsodium randombytes_buf). Thread-safe.
RandomSource& SystemRandom();

// A deterministic ChaCha20 stream seeded by 32 bytes. For tests and
// reproducible fixtures only: never use it for production secrets.
// Not thread-safe; use Fork() to hand sources to other threads.
class DeterministicRandom final : public RandomSource {
 public:
  explicit DeterministicRandom(const std::array<uint8_t, 32>& seed);
  // Convenience: seed = SHA-256 of the 8 little-endian bytes of `seed`.
  explicit DeterministicRandom(uint64_t seed);
  ~DeterministicRandom() override;

  DeterministicRandom(const DeterministicRandom&) = delete;
  DeterministicRandom& operator=(const DeterministicRandom&) = delete;

  void Fill(uint8_t* out, size_t len) override;
  std::unique_ptr<RandomSource> Fork() override;

 private:
  std::array<uint8_t, 32> key_;
  uint64_t block_counter_ = 0;
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_MATH_RANDOM_H_
