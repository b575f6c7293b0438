// The refill's order (coordinator/cluster/refill_order.h): the emptiest
// pool first, full and skipped pools never.
#include "coordinator/cluster/refill_order.h"

#include <gtest/gtest.h>

#include <vector>

namespace nitro_tss::coordinator {
namespace {

TEST(NextPoolToRefill, TheEmptiestPoolComesFirst) {
  std::vector<PoolFill> pools = {{900}, {0}, {450}};
  EXPECT_EQ(NextPoolToRefill(pools, 1000), 1u);
  pools[1].size = 451;
  EXPECT_EQ(NextPoolToRefill(pools, 1000), 2u);
}

TEST(NextPoolToRefill, TiesGoToTheFirstListed) {
  std::vector<PoolFill> pools = {{3}, {3}, {5}};
  EXPECT_EQ(NextPoolToRefill(pools, 10), 0u);
}

TEST(NextPoolToRefill, FullAndSkippedPoolsAreNeverChosen) {
  std::vector<PoolFill> pools = {{10}, {0, true}, {12}, {9}};
  EXPECT_EQ(NextPoolToRefill(pools, 10), 3u);
  pools[3].skip = true;
  EXPECT_EQ(NextPoolToRefill(pools, 10), std::nullopt);
  EXPECT_EQ(NextPoolToRefill({}, 10), std::nullopt);
  EXPECT_EQ(NextPoolToRefill(std::vector<PoolFill>{{0}}, 0), std::nullopt);
}

// Two keys drained to 0 and 2 with target 4, served one run at a time as
// RefillPools does: the pools alternate once level, so neither waits for
// the other to be full.
TEST(NextPoolToRefill, TwoPoolsFillInTurnsOnceLevel) {
  std::vector<PoolFill> pools = {{2}, {0}};
  std::vector<size_t> order;
  while (auto next = NextPoolToRefill(pools, 4)) {
    order.push_back(*next);
    ++pools[*next].size;
  }
  EXPECT_EQ(order, (std::vector<size_t>{1, 1, 0, 1, 0, 1}));
}

}  // namespace
}  // namespace nitro_tss::coordinator
