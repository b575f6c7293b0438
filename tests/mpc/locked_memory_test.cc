// The locked arena for key shares (mpc/math/locked_memory.h): its pages are
// locked (the kernel's own accounting), blocks are wiped when freed, GMP
// values made in a LockedScope live there and stay there when they grow, a
// full arena is reported, and memory that cannot be locked is an error
// naming RLIMIT_MEMLOCK.
#include "mpc/math/locked_memory.h"

#include <gmp.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "mpc/math/bigint.h"
#include "mpc/math/secure_bytes.h"
#include "tests/mpc/locked_pages.h"

namespace nitro_tss::mpc {
namespace {

using testing::PagesOf;
using testing::VmLckKb;

constexpr size_t kCapacity = 1 << 20;

// CTest runs every test in its own process; run together, the first test
// initializes the arena for all.
void EnsureArena() {
  if (LockedMemory::Initialized()) return;
  absl::Status s = LockedMemory::Initialize(kCapacity);
  ASSERT_TRUE(s.ok()) << s;
}

bool AllZero(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

// A value of `bits` bits, all ones.
BigInt Ones(size_t bits) { return BigInt::PowerOfTwo(bits) - BigInt(1); }

TEST(LockedMemory, ArenaPagesAreLockedByTheKernel) {
  const bool fresh = !LockedMemory::Initialized();
  const int64_t before = VmLckKb();
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  if (fresh) {
    // The whole capacity counts as locked for this process now.
    EXPECT_GE(VmLckKb() - before, static_cast<int64_t>(kCapacity / 1024));
  }
  EXPECT_EQ(LockedMemory::Stats().capacity, kCapacity);
  void* p = LockedMemory::Allocate(64);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(LockedMemory::Contains(p));
  // The mapping holding the block: every resident page locked, and all of
  // it resident (mlock faults pages in).
  testing::MappingPages pages = PagesOf(p);
  ASSERT_TRUE(pages.found);
  EXPECT_GE(pages.locked_kb, static_cast<int64_t>(kCapacity / 1024));
  EXPECT_EQ(pages.locked_kb, pages.rss_kb);
  LockedMemory::Free(p);
  // An ordinary heap block is not in a locked mapping.
  auto heap = std::make_unique<char[]>(64);
  EXPECT_FALSE(LockedMemory::Contains(heap.get()));
  EXPECT_EQ(PagesOf(heap.get()).locked_kb, 0);
}

TEST(LockedMemory, FreeWipesTheBlock) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  const size_t in_use = LockedMemory::Stats().in_use;
  auto* p = static_cast<uint8_t*>(LockedMemory::Allocate(100));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % LockedMemory::kAlignment, 0u);
  EXPECT_EQ(LockedMemory::Stats().in_use, in_use + 112);  // rounded to 16
  std::memset(p, 0xa5, 100);
  LockedMemory::Free(p);
  // The arena is never unmapped: the freed block can be read, and is zero
  // (the whole rounded block).
  EXPECT_TRUE(AllZero(p, 112));
  EXPECT_EQ(LockedMemory::Stats().in_use, in_use);
  // Freed blocks are reused (coalesced back into one free range).
  void* again = LockedMemory::Allocate(100);
  EXPECT_EQ(again, p);
  LockedMemory::Free(again);
}

TEST(LockedMemory, BigIntMadeInAScopeIsLockedAndWipedWhenDestroyed) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  const mp_limb_t* limbs = nullptr;
  size_t bytes = 0;
  {
    LockedScope scope;
    BigInt secret = Ones(2048);
    limbs = secret.get()->_mp_d;
    bytes = static_cast<size_t>(secret.get()->_mp_alloc) * sizeof(mp_limb_t);
    EXPECT_TRUE(LockedMemory::Contains(limbs));
    EXPECT_FALSE(AllZero(limbs, bytes));
    EXPECT_FALSE(scope.overflowed());
  }
  EXPECT_TRUE(AllZero(limbs, bytes));
  // Outside a scope: the ordinary heap.
  BigInt plain = Ones(2048);
  EXPECT_FALSE(LockedMemory::Contains(plain.get()->_mp_d));
}

TEST(LockedMemory, ALockedValueStaysLockedWhenGmpGrowsIt) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  std::unique_ptr<BigInt> x;
  {
    LockedScope scope;
    x = std::make_unique<BigInt>(Ones(64));
  }
  const mp_limb_t* small = x->get()->_mp_d;
  ASSERT_TRUE(LockedMemory::Contains(small));
  // Out of the scope, GMP reallocates x's limbs (mpz_set grows them).
  const BigInt big = Ones(4096);
  mpz_set(x->get_mut(), big.get());
  EXPECT_TRUE(LockedMemory::Contains(x->get()->_mp_d));
  EXPECT_NE(x->get()->_mp_d, small);
  // The outgrown block was wiped when GMP let it go.
  EXPECT_TRUE(AllZero(small, sizeof(mp_limb_t)));
  mpz_mul_2exp(x->get_mut(), x->get(), 4096);  // grows in place again
  EXPECT_TRUE(LockedMemory::Contains(x->get()->_mp_d));
  EXPECT_EQ(*x, big.ShiftLeft(4096));
  // A heap value reallocated inside a scope moves in.
  BigInt y = Ones(64);
  ASSERT_FALSE(LockedMemory::Contains(y.get()->_mp_d));
  {
    LockedScope scope;
    mpz_mul(y.get_mut(), big.get(), big.get());
  }
  EXPECT_TRUE(LockedMemory::Contains(y.get()->_mp_d));
}

TEST(LockedMemory, WipingAllocatorUsesTheArenaInAScope) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  struct Secret {
    uint8_t bytes[40];
  };
  std::shared_ptr<Secret> object;
  const uint8_t* data = nullptr;
  {
    LockedScope scope;
    SecureBytes buffer(300, 0x5a);
    data = buffer.data();
    EXPECT_TRUE(LockedMemory::Contains(data));
    object = std::allocate_shared<Secret>(WipingAllocator<Secret>());
    std::memset(object->bytes, 0x77, sizeof(object->bytes));
  }
  EXPECT_TRUE(AllZero(data, 300));
  EXPECT_TRUE(LockedMemory::Contains(object.get()));
  const uint8_t* held = object->bytes;
  object.reset();
  EXPECT_TRUE(AllZero(held, 40));
  SecureBytes outside(300, 0x5a);
  EXPECT_FALSE(LockedMemory::Contains(outside.data()));
}

TEST(LockedMemory, AFullArenaIsReportedAndValuesStayCorrect) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  const uint64_t overflows = LockedMemory::Stats().overflows;
  LockedScope scope;
  EXPECT_FALSE(scope.overflowed());
  // More than the whole arena: GMP gets heap memory, the scope knows.
  const BigInt huge = Ones(8 * (kCapacity + 4096));
  EXPECT_TRUE(scope.overflowed());
  EXPECT_FALSE(LockedMemory::Contains(huge.get()->_mp_d));
  EXPECT_EQ(huge.BitLength(), 8 * (kCapacity + 4096));
  EXPECT_GT(LockedMemory::Stats().overflows, overflows);
  // A nested scope starts clean and reports into its parent.
  {
    LockedScope inner;
    EXPECT_FALSE(inner.overflowed());
  }
  EXPECT_TRUE(scope.overflowed());
}

TEST(LockedMemory, InitializeTwiceOrEmptyIsRefused) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  EXPECT_EQ(LockedMemory::Initialize(kCapacity).code(),
            absl::StatusCode::kAlreadyExists);
}

// Drops CAP_IPC_LOCK (root may lock beyond RLIMIT_MEMLOCK with it) and sets
// RLIMIT_MEMLOCK to 64 KiB, as an unprivileged process would have.
void BecomeUnableToLockMuch() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) == 0) {
    data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
    data[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
    syscall(SYS_capset, &header, data);
  }
  rlimit limit{64 << 10, 64 << 10};
  setrlimit(RLIMIT_MEMLOCK, &limit);
}

TEST(LockedMemoryDeathTest, MemoryThatCannotBeLockedIsAnErrorNamingTheLimit) {
  // "threadsafe": the child re-executes this binary for this test alone, so
  // its arena is not initialized yet whatever ran before in this process.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        BecomeUnableToLockMuch();
        absl::Status s = LockedMemory::Initialize(kCapacity);
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        // Nothing was installed: not initialized, a scope says so.
        LockedScope scope;
        std::_Exit(s.code() == absl::StatusCode::kResourceExhausted &&
                           !LockedMemory::Initialized() && scope.overflowed()
                       ? 0
                       : 1);
      },
      ::testing::ExitedWithCode(0),
      "RESOURCE_EXHAUSTED: locked memory: cannot lock 1048576 bytes.*"
      "RLIMIT_MEMLOCK is 65536 bytes");
}

}  // namespace
}  // namespace nitro_tss::mpc
