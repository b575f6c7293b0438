// Test helper: watches the blocks WipingAllocator (SecureBytes) frees, after
// the wipe and before the block goes back to the heap, so a test can check
// that an owner's buffer really was zeroed without reading freed memory.
#ifndef NITRO_TSS_TESTS_MPC_FREED_BLOCKS_H_
#define NITRO_TSS_TESTS_MPC_FREED_BLOCKS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "mpc/math/secure_bytes.h"

namespace nitro_tss::mpc::testing {

// Records every freed block while alive (one instance at a time).
class FreedBlocks {
 public:
  struct Block {
    const void* p;
    size_t n;
    bool zero;  // every byte was 0 when the allocator handed it back
  };

  FreedBlocks() {
    std::lock_guard<std::mutex> lock(Mu());
    Log().clear();
    secure_bytes_internal::SetFreeObserverForTesting(&Observe);
  }
  ~FreedBlocks() { secure_bytes_internal::SetFreeObserverForTesting(nullptr); }
  FreedBlocks(const FreedBlocks&) = delete;
  FreedBlocks& operator=(const FreedBlocks&) = delete;

  std::vector<Block> blocks() const {
    std::lock_guard<std::mutex> lock(Mu());
    return Log();
  }
  // A block starting at `p` of at least `n` bytes was freed, and every
  // block freed at `p` was all zeros.
  bool WipedBlockAt(const void* p, size_t n) const {
    bool seen = false;
    for (const Block& b : blocks()) {
      if (b.p != p) continue;
      if (!b.zero) return false;
      seen = seen || b.n >= n;
    }
    return seen;
  }
  bool AllWiped() const {
    std::vector<Block> all = blocks();
    return std::all_of(all.begin(), all.end(),
                       [](const Block& b) { return b.zero; });
  }

 private:
  static std::mutex& Mu() {
    static std::mutex mu;
    return mu;
  }
  static std::vector<Block>& Log() {
    static std::vector<Block> log;
    return log;
  }
  static void Observe(const void* p, size_t n) {
    const auto* bytes = static_cast<const uint8_t*>(p);
    const bool zero =
        std::all_of(bytes, bytes + n, [](uint8_t b) { return b == 0; });
    std::lock_guard<std::mutex> lock(Mu());
    Log().push_back(Block{p, n, zero});
  }
};

}  // namespace nitro_tss::mpc::testing

#endif  // NITRO_TSS_TESTS_MPC_FREED_BLOCKS_H_
