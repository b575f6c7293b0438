// ReplayCache: remembers nonces until expiry, refuses (never evicts) when
// full, keeps its clock from going back, compares whole nonces.
#include "node/approval/replay_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace nitro_tss::approval {
namespace {

std::vector<uint8_t> Nonce(uint8_t fill, size_t size = 16) {
  return std::vector<uint8_t>(size, fill);
}

TEST(ApprovalReplayCacheTest, RemembersANonceUntilItsExpiry) {
  ReplayCache cache(8);
  ASSERT_TRUE(cache.Record(Nonce(1), 150, 100).ok());
  EXPECT_EQ(cache.Check(Nonce(1), 150, 120).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(cache.Record(Nonce(1), 160, 149).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(cache.size(), 1u);
  // At its expiry the entry is dropped; a new request with the same nonce
  // (approved again, later expiry) is accepted.
  EXPECT_TRUE(cache.Record(Nonce(1), 300, 150).ok());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ApprovalReplayCacheTest, ExpiredRequestsAreRefused) {
  ReplayCache cache(8);
  EXPECT_EQ(cache.Record(Nonce(1), 100, 100).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cache.Check(Nonce(1), 99, 100).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ApprovalReplayCacheTest, FullCacheRefusesInsteadOfEvicting) {
  ReplayCache cache(2);
  ASSERT_TRUE(cache.Record(Nonce(1), 1000, 0).ok());
  ASSERT_TRUE(cache.Record(Nonce(2), 2000, 0).ok());
  EXPECT_EQ(cache.Check(Nonce(3), 3000, 10).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(cache.Record(Nonce(3), 3000, 10).code(),
            absl::StatusCode::kResourceExhausted);
  // Both unexpired nonces are still remembered.
  EXPECT_EQ(cache.Record(Nonce(1), 1000, 20).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(cache.Record(Nonce(2), 2000, 20).code(),
            absl::StatusCode::kAlreadyExists);
  // The oldest expires, one slot frees.
  EXPECT_TRUE(cache.Record(Nonce(3), 3000, 1000).ok());
  EXPECT_EQ(cache.Record(Nonce(4), 3000, 1000).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ApprovalReplayCacheTest, ClockNeverGoesBack) {
  ReplayCache cache(8);
  ASSERT_TRUE(cache.Record(Nonce(1), 150, 100).ok());
  // Time passes; the entry expires and is dropped.
  ASSERT_TRUE(cache.Record(Nonce(2), 500, 200).ok());
  EXPECT_EQ(cache.size(), 1u);
  // The clock is set back to before the first request's expiry: the request
  // must not come back to life although its nonce is gone.
  EXPECT_EQ(cache.Record(Nonce(1), 150, 120).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cache.Check(Nonce(1), 150, 120).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ApprovalReplayCacheTest, NoncesAreComparedWhole) {
  ReplayCache cache(8);
  ASSERT_TRUE(cache.Record(Nonce(0, 16), 1000, 0).ok());
  // A longer nonce with the same prefix and zero padding is another nonce.
  EXPECT_TRUE(cache.Record(Nonce(0, 17), 1000, 0).ok());
  EXPECT_TRUE(cache.Record(Nonce(0, 32), 1000, 0).ok());
  std::vector<uint8_t> last_differs = Nonce(0, 32);
  last_differs[31] = 1;
  EXPECT_TRUE(cache.Record(last_differs, 1000, 0).ok());
  EXPECT_EQ(cache.Record(Nonce(0, 17), 1000, 0).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(cache.size(), 4u);
}

TEST(ApprovalReplayCacheTest, NonceSizeIsChecked) {
  ReplayCache cache(8);
  EXPECT_EQ(cache.Record(Nonce(0, 15), 1000, 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.Record(Nonce(0, 33), 1000, 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.Check({}, 1000, 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ApprovalReplayCacheTest, ZeroCapacityMeansOne) {
  ReplayCache cache(0);
  EXPECT_EQ(cache.capacity(), 1u);
  EXPECT_TRUE(cache.Record(Nonce(1), 10, 0).ok());
  EXPECT_EQ(cache.Record(Nonce(2), 10, 0).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(ApprovalReplayCacheTest, ManyEntriesExpireInOrder) {
  ReplayCache cache(1000);
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint8_t> n = Nonce(0, 16);
    n[0] = static_cast<uint8_t>(i);
    n[1] = static_cast<uint8_t>(i >> 8);
    // Expiries in a scrambled order.
    ASSERT_TRUE(cache.Record(n, 1000 + (i * 7919) % 1000, 0).ok()) << i;
  }
  EXPECT_EQ(cache.size(), 1000u);
  ASSERT_TRUE(cache.Check(Nonce(0xEE), 5000, 1500).code() ==
              absl::StatusCode::kOk);
  EXPECT_EQ(cache.size(), 499u);  // expiries 1501..1999 remain
}

}  // namespace
}  // namespace nitro_tss::approval
