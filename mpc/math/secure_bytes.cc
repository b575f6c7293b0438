#include "mpc/math/secure_bytes.h"

#include <sodium.h>

#include <atomic>

namespace nitro_tss::mpc {
namespace {

std::atomic<secure_bytes_internal::FreeObserver> free_observer{nullptr};

}  // namespace

void SecureWipe(void* p, size_t n) {
  if (n != 0) sodium_memzero(p, n);
}

void SecureWipe(std::string& s) { SecureWipe(s.data(), s.size()); }

namespace secure_bytes_internal {

void SetFreeObserverForTesting(FreeObserver observer) {
  free_observer.store(observer, std::memory_order_release);
}

void NotifyFree(const void* p, size_t n) {
  FreeObserver observer = free_observer.load(std::memory_order_acquire);
  if (observer != nullptr) observer(p, n);
}

}  // namespace secure_bytes_internal
}  // namespace nitro_tss::mpc
