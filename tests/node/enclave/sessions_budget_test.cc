// The per-session input budget of the enclave's Sessions stream
// (node/enclave/service.h SessionInputBudget): a session may queue at most
// SessionsLimits' items and bytes; one over either bound is refused and
// counts nothing; what the strand takes frees its share.
#include <gtest/gtest.h>

#include <limits>

#include "node/enclave/service.h"

namespace nitro_tss::enclave {
namespace {

SessionsLimits Small() {
  SessionsLimits limits;
  limits.session_pending_items = 3;
  limits.session_pending_bytes = 100;
  return limits;
}

TEST(SessionInputBudgetTest, AdmitsUpToTheItemBound) {
  SessionInputBudget budget(Small());
  EXPECT_TRUE(budget.Admit(1));
  EXPECT_TRUE(budget.Admit(1));
  EXPECT_TRUE(budget.Admit(1));
  EXPECT_FALSE(budget.Admit(1));
  EXPECT_EQ(budget.items(), 3u);
  EXPECT_EQ(budget.bytes(), 3u);
  budget.Release(1);
  EXPECT_TRUE(budget.Admit(1));
}

TEST(SessionInputBudgetTest, AdmitsUpToTheByteBound) {
  SessionInputBudget budget(Small());
  EXPECT_TRUE(budget.Admit(60));
  EXPECT_FALSE(budget.Admit(41));  // 101 > 100: refused, nothing counted
  EXPECT_EQ(budget.items(), 1u);
  EXPECT_EQ(budget.bytes(), 60u);
  EXPECT_TRUE(budget.Admit(40));  // exactly 100
  budget.Release(60);
  budget.Release(40);
  EXPECT_EQ(budget.items(), 0u);
  EXPECT_EQ(budget.bytes(), 0u);
}

TEST(SessionInputBudgetTest,
     OneItemLargerThanTheBoundIsRefusedWithoutOverflow) {
  SessionInputBudget budget(Small());
  EXPECT_FALSE(budget.Admit(101));
  EXPECT_FALSE(budget.Admit(std::numeric_limits<size_t>::max()));
  EXPECT_EQ(budget.bytes(), 0u);
  EXPECT_TRUE(budget.Admit(100));
}

// A session that ends drops its queue: Clear forgets every count (its
// bytes were handed back to the stream's budget).
TEST(SessionInputBudgetTest, ClearForgetsEverything) {
  SessionInputBudget budget(Small());
  EXPECT_TRUE(budget.Admit(50));
  EXPECT_TRUE(budget.Admit(50));
  EXPECT_FALSE(budget.Admit(1));
  budget.Clear();
  EXPECT_EQ(budget.items(), 0u);
  EXPECT_EQ(budget.bytes(), 0u);
  EXPECT_TRUE(budget.Admit(100));
}

TEST(SessionInputBudgetTest, TheDefaultsHoldARoundOfTheLargestRun) {
  // 254 peers' envelopes of a round (at most 255 parties), twice over, fit.
  SessionInputBudget budget(SessionsLimits{});
  for (int i = 0; i < 2 * 254; ++i) {
    ASSERT_TRUE(budget.Admit(64 << 10)) << i;
  }
  SessionsLimits limits;
  EXPECT_LE(limits.session_pending_bytes, limits.stream_pending_bytes);
}

}  // namespace
}  // namespace nitro_tss::enclave
