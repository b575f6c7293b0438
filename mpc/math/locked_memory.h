// Locked memory for long-lived secrets (the enclave's key shares).
//
// One arena per process: `capacity` bytes reserved with sodium_malloc (guard
// pages, a canary, MADV_DONTDUMP) and locked with sodium_mlock, checked (a
// page that cannot be locked is an error, not a silent degradation). Blocks
// handed out by the arena are wiped (sodium_memzero) when freed, and the
// arena is never returned to the system.
//
// What goes into it. Secrets live in three kinds of storage: GMP limbs
// (BigInt: Paillier p, q, φ, λ, μ and the CRT values, ring-Pedersen p, q, τ,
// λ, φ), std containers (SecureBytes, the Paillier key's fixed-base tables),
// and plain objects (the KeyShare with its Scalar x_i). GMP allocates and
// *reallocates* limbs internally whenever a value grows, so a per-value
// allocator cannot work with mpz_t; instead Initialize installs process-wide
// GMP memory functions (mp_set_memory_functions) that
//   * allocate in the arena while a LockedScope is open on the calling
//     thread, and on the heap (malloc) otherwise;
//   * keep a block that is in the arena in the arena when GMP reallocates
//     it, on any thread, in or out of a scope (a locked value stays locked
//     if it is ever written again);
//   * free arena blocks into the arena (wiped) and everything else with
//     free(), exactly as GMP's default functions do, so values allocated
//     before Initialize remain valid.
// WipingAllocator (SecureBytes and other secret containers) follows the same
// rule, and objects are placed in the arena with
// std::allocate_shared<T>(WipingAllocator<T>()) inside a scope.
//
// Typical use (node/enclave): decode and validate a key share inside a
// LockedScope, so every limb, table and the share object itself is in the
// arena; check overflowed(); build public tables (peer ring-Pedersen
// tables, megabytes) after the scope closes.
//
// Limits (what this does not cover):
//   * Only allocations made inside a scope (or grown from arena blocks) are
//     locked. Transient secrets made during signing (nonces, presignatures,
//     GMP's stack temporaries, which use alloca) are ordinary memory: they
//     are wiped by their owners (BigInt, Scalar, SecureBytes) when
//     destroyed. A Nitro Enclave has no swap and no disk, so locking is
//     defence in depth there; it matters where the enclave runs as a
//     process (local mode).
//   * The heap objects holding a GMP value's header (mpz_t: pointer, limb
//     count) are not in the arena; they carry no secret bytes.
//   * A full arena does not fail GMP (its allocation functions cannot
//     fail): the allocation goes to the heap, LockedMemory::Stats().overflows
//     counts it and the scope's overflowed() turns true. Callers check it and
//     refuse to keep such a value (node/enclave refuses the key with
//     RESOURCE_EXHAUSTED).
//   * "Stays locked" covers GMP's reallocations only. Some GMP operations
//     give their destination fresh limbs instead (mpz_mul with the
//     destination aliasing an operand allocates a new area and frees the
//     old one), and BigInt's move assignment swaps in the source's limbs:
//     a locked value overwritten that way outside a scope leaves the arena.
//     Shares are immutable once loaded (KeyShare is held const), so nothing
//     writes to them.
//   * One arena per process, sized once; it does not grow.
#ifndef NITRO_TSS_MPC_MATH_LOCKED_MEMORY_H_
#define NITRO_TSS_MPC_MATH_LOCKED_MEMORY_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace nitro_tss::mpc {

struct LockedMemoryStats {
  size_t capacity = 0;     // bytes reserved and locked (0: not initialized)
  size_t in_use = 0;       // bytes in blocks handed out now
  size_t peak = 0;         // highest in_use so far
  uint64_t overflows = 0;  // allocations that should have been locked but
                           // did not fit (went to the heap)
};

class LockedMemory {
 public:
  // Block alignment inside the arena.
  static constexpr size_t kAlignment = 16;

  // Reserves and locks `capacity` bytes (rounded up to whole pages; at
  // least one page) and installs the GMP memory functions. Once per
  // process. Errors: ALREADY_EXISTS (initialized before), INVALID_ARGUMENT
  // (capacity 0), RESOURCE_EXHAUSTED when the memory cannot be reserved or
  // locked, naming RLIMIT_MEMLOCK and its current value (raise it, or run
  // with CAP_IPC_LOCK). On error nothing is installed.
  static absl::Status Initialize(size_t capacity);
  static bool Initialized();

  // Whether `p` points into the arena.
  static bool Contains(const void* p);
  static LockedMemoryStats Stats();

  // A block of `n` bytes (16-aligned) in the arena, or nullptr when the
  // arena is not initialized or has no room. Thread-safe.
  static void* Allocate(size_t n);
  // Wipes and returns a block from Allocate (the size is the arena's own
  // record of it). Thread-safe. `p` must come from Allocate.
  static void Free(void* p);
};

// While alive, GMP and WipingAllocator allocations made on this thread go to
// the arena (when it is initialized). Nests. Not movable.
class LockedScope {
 public:
  LockedScope();
  ~LockedScope();
  LockedScope(const LockedScope&) = delete;
  LockedScope& operator=(const LockedScope&) = delete;

  // True if the arena is not initialized, or if an allocation on this
  // thread inside this scope (or a scope nested in it) did not fit the arena
  // and so went to ordinary memory.
  bool overflowed() const;

 private:
  bool outer_overflow_ = false;
};

namespace locked_memory_internal {

// For WipingAllocator: an arena block when a scope is open on this thread
// (nullptr otherwise, and then also when the arena is full: the overflow is
// recorded).
void* AllocateInScope(size_t n);

}  // namespace locked_memory_internal
}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_MATH_LOCKED_MEMORY_H_
