// Byte buffers that are zeroed before their memory goes back to the heap.
//
// SecureBytes is a std::vector<uint8_t> whose allocator wipes every block it
// frees (sodium_memzero, which the compiler cannot elide): the final buffer
// when the vector is destroyed, and every smaller buffer it outgrows while
// being filled. Use it for anything that carries secrets (direct round
// payloads, serialized key shares), so that no copy is left in freed memory.
//
// Only the vector's own storage is covered: copies made elsewhere (a
// std::string, a protobuf field) must be wiped by whoever makes them
// (SecureWipe).
//
// Inside a LockedScope (locked_memory.h) WipingAllocator allocates in the
// locked arena, so containers of secrets made there (and objects placed with
// std::allocate_shared<T>(WipingAllocator<T>())) are locked too.
#ifndef NITRO_TSS_MPC_MATH_SECURE_BYTES_H_
#define NITRO_TSS_MPC_MATH_SECURE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mpc/math/locked_memory.h"

namespace nitro_tss::mpc {

// Zeroes [p, p + n) in a way the compiler cannot optimize away. p may be
// null when n is 0.
void SecureWipe(void* p, size_t n);
// Zeroes the whole buffer of `s` (size() bytes; nothing past size() was
// ever written with a secret by the string itself). Leaves the size alone.
void SecureWipe(std::string& s);

namespace secure_bytes_internal {

// Test hook: when set, called by WipingAllocator::deallocate after the block
// [p, p + n) has been wiped and before it is freed, on the thread that frees
// it. Lets tests check that an owner's buffer really was zeroed without
// reading freed memory. Pass nullptr to remove. Thread-safe; the observer
// itself must be.
using FreeObserver = void (*)(const void* p, size_t n);
void SetFreeObserverForTesting(FreeObserver observer);
void NotifyFree(const void* p, size_t n);

}  // namespace secure_bytes_internal

// An allocator that wipes each block (all n elements, not only the ones in
// use) before returning it to std::allocator, or to the locked arena for a
// block allocated inside a LockedScope. Stateless: all instances are
// interchangeable.
template <class T>
struct WipingAllocator {
  using value_type = T;
  static_assert(alignof(T) <= LockedMemory::kAlignment);

  WipingAllocator() = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT: rebind

  T* allocate(size_t n) {
    if (void* p = locked_memory_internal::AllocateInScope(n * sizeof(T))) {
      return static_cast<T*>(p);
    }
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, size_t n) noexcept {
    SecureWipe(p, n * sizeof(T));
    secure_bytes_internal::NotifyFree(p, n * sizeof(T));
    if (LockedMemory::Contains(p)) {
      LockedMemory::Free(p);
    } else {
      std::allocator<T>().deallocate(p, n);
    }
  }

  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

using SecureBytes = std::vector<uint8_t, WipingAllocator<uint8_t>>;

// Copies `bytes` into a SecureBytes and wipes `bytes` (its size is kept):
// for moving a secret out of a plain vector before that vector is freed.
inline SecureBytes CopyAndWipe(std::vector<uint8_t>& bytes) {
  SecureBytes out(bytes.begin(), bytes.end());
  SecureWipe(bytes.data(), bytes.size());
  return out;
}

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_MATH_SECURE_BYTES_H_
