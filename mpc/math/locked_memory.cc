#include "mpc/math/locked_memory.h"

#include <gmp.h>
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc {
namespace {

constexpr size_t kAlign = LockedMemory::kAlignment;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// First-fit allocator over one locked region, with coalescing. The
// bookkeeping (std::map, std::unordered_map) lives on the ordinary heap:
// offsets and sizes are not secret.
class Arena {
 public:
  void Init(uint8_t* base, size_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    base_ = base;
    size_ = size;
    free_[0] = size;
    begin_.store(reinterpret_cast<uintptr_t>(base), std::memory_order_release);
    end_.store(reinterpret_cast<uintptr_t>(base) + size,
               std::memory_order_release);
  }

  bool Contains(const void* p) const {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    return a >= begin_.load(std::memory_order_acquire) &&
           a < end_.load(std::memory_order_acquire);
  }

  void* Allocate(size_t n) {
    const size_t want = RoundUp(n == 0 ? 1 : n, kAlign);
    std::lock_guard<std::mutex> lock(mu_);
    if (base_ == nullptr) return nullptr;
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->second < want) continue;
      const size_t offset = it->first;
      const size_t left = it->second - want;
      free_.erase(it);
      if (left > 0) free_[offset + want] = left;
      used_[offset] = want;
      in_use_ += want;
      if (in_use_ > peak_) peak_ = in_use_;
      return base_ + offset;
    }
    return nullptr;
  }

  void Free(void* p) {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t offset = static_cast<size_t>(static_cast<uint8_t*>(p) - base_);
    auto it = used_.find(offset);
    if (it == used_.end()) {
      // Not a block of ours: a double free or a pointer into a block. Never
      // continue with a corrupted arena.
      std::fputs("nitro-tss: LockedMemory::Free of an unknown block\n", stderr);
      std::abort();
    }
    size_t size = it->second;
    used_.erase(it);
    sodium_memzero(base_ + offset, size);
    in_use_ -= size;
    size_t start = offset;
    auto next = free_.lower_bound(offset);
    if (next != free_.end() && next->first == offset + size) {
      size += next->second;
      next = free_.erase(next);
    }
    if (next != free_.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == start) {
        start = prev->first;
        size += prev->second;
        free_.erase(prev);
      }
    }
    free_[start] = size;
  }

  LockedMemoryStats Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    LockedMemoryStats s;
    s.capacity = size_;
    s.in_use = in_use_;
    s.peak = peak_;
    s.overflows = overflows_.load(std::memory_order_relaxed);
    return s;
  }

  void CountOverflow() { overflows_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::atomic<uintptr_t> begin_{0}, end_{0};
  std::mutex mu_;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t in_use_ = 0, peak_ = 0;
  std::map<size_t, size_t> free_;            // offset -> size, coalesced
  std::unordered_map<size_t, size_t> used_;  // offset -> size
  std::atomic<uint64_t> overflows_{0};
};

Arena& TheArena() {
  static Arena* arena = new Arena();  // never destroyed (GMP may free late)
  return *arena;
}

std::mutex init_mu;
std::atomic<bool> initialized{false};

thread_local int scope_depth = 0;
thread_local bool scope_overflow = false;

void NoteOverflow() {
  TheArena().CountOverflow();
  scope_overflow = true;
}

[[noreturn]] void OutOfMemory() {
  std::fputs("nitro-tss: GMP cannot allocate memory\n", stderr);
  std::abort();
}

void* HeapAllocate(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) OutOfMemory();
  return p;
}

// Inside a scope: an arena block (or the heap on overflow). Outside: heap.
void* GmpAllocate(size_t n) {
  if (scope_depth > 0) {
    if (void* p = TheArena().Allocate(n)) return p;
    NoteOverflow();
  }
  return HeapAllocate(n);
}

void* GmpReallocate(void* old, size_t old_size, size_t new_size) {
  Arena& arena = TheArena();
  const bool from_arena = arena.Contains(old);
  if (!from_arena && scope_depth == 0) {
    void* p = std::realloc(old, new_size == 0 ? 1 : new_size);
    if (p == nullptr) OutOfMemory();
    return p;
  }
  // To the arena: an arena block stays locked (sticky), and a heap block
  // reallocated inside a scope moves in.
  void* p = arena.Allocate(new_size);
  if (p == nullptr) {
    arena.CountOverflow();
    if (scope_depth > 0) scope_overflow = true;
    p = HeapAllocate(new_size);
  }
  // GMP's old_size is the size it asked for; an arena block may be larger
  // (alignment), never smaller.
  const size_t keep = old_size < new_size ? old_size : new_size;
  std::memcpy(p, old, keep);
  if (from_arena) {
    arena.Free(old);  // wiped there
  } else {
    sodium_memzero(old, old_size);
    std::free(old);
  }
  return p;
}

void GmpFree(void* p, size_t /*size*/) {
  if (p == nullptr) return;
  if (TheArena().Contains(p)) {
    TheArena().Free(p);
  } else {
    std::free(p);
  }
}

std::string MemlockLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_MEMLOCK, &r) != 0) return "unknown";
  if (r.rlim_cur == RLIM_INFINITY) return "unlimited";
  return absl::StrCat(static_cast<uint64_t>(r.rlim_cur), " bytes");
}

}  // namespace

absl::Status LockedMemory::Initialize(size_t capacity) {
  std::lock_guard<std::mutex> lock(init_mu);
  if (initialized.load()) {
    return absl::AlreadyExistsError("locked memory: already initialized");
  }
  if (capacity == 0) {
    return absl::InvalidArgumentError("locked memory: capacity must be > 0");
  }
  if (sodium_init() < 0) {
    return absl::InternalError("locked memory: sodium_init failed");
  }
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t size = RoundUp(capacity, page);
  // sodium_malloc locks the pages too but ignores a failure; lock again and
  // check (locking locked pages is a no-op for the kernel's accounting).
  void* p = sodium_malloc(size);
  if (p == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "locked memory: cannot reserve ", size, " bytes (sodium_malloc)"));
  }
  if (sodium_mlock(p, size) != 0) {
    const int err = errno;
    sodium_free(p);
    return absl::ResourceExhaustedError(absl::StrCat(
        "locked memory: cannot lock ", size, " bytes (mlock: ",
        std::strerror(err), "); RLIMIT_MEMLOCK is ", MemlockLimit(),
        ": raise it (ulimit -l, systemd LimitMEMLOCK=, docker --ulimit "
        "memlock=) or grant CAP_IPC_LOCK"));
  }
  TheArena().Init(static_cast<uint8_t*>(p), size);
  mp_set_memory_functions(GmpAllocate, GmpReallocate, GmpFree);
  initialized.store(true);
  return absl::OkStatus();
}

bool LockedMemory::Initialized() { return initialized.load(); }

bool LockedMemory::Contains(const void* p) { return TheArena().Contains(p); }

LockedMemoryStats LockedMemory::Stats() { return TheArena().Stats(); }

void* LockedMemory::Allocate(size_t n) { return TheArena().Allocate(n); }

void LockedMemory::Free(void* p) { TheArena().Free(p); }

LockedScope::LockedScope() : outer_overflow_(scope_overflow) {
  ++scope_depth;
  scope_overflow = false;
}

LockedScope::~LockedScope() {
  --scope_depth;
  scope_overflow = outer_overflow_ || scope_overflow;
}

bool LockedScope::overflowed() const {
  return scope_overflow || !initialized.load();
}

namespace locked_memory_internal {

void* AllocateInScope(size_t n) {
  if (scope_depth == 0) return nullptr;
  if (void* p = TheArena().Allocate(n)) return p;
  NoteOverflow();
  return nullptr;
}

}  // namespace locked_memory_internal
}  // namespace nitro_tss::mpc
