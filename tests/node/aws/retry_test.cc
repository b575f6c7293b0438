#include "node/aws/retry.h"

#include <gtest/gtest.h>

namespace nitro_tss::aws {
namespace {

TEST(BackoffBeforeAttempt, NoSleepBeforeTheFirstAttempt) {
  absl::BitGen rng;
  RetryPolicy policy;
  EXPECT_EQ(BackoffBeforeAttempt(policy, 0, rng), absl::ZeroDuration());
}

TEST(BackoffBeforeAttempt, FullJitterUnderADoublingCapBoundedByMaxBackoff) {
  absl::BitGen rng;
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Milliseconds(700);
  // Caps: 100, 200, 400, 700 (not 800), 700 ms, ... even far out.
  const absl::Duration caps[] = {
      absl::Milliseconds(100), absl::Milliseconds(200), absl::Milliseconds(400),
      absl::Milliseconds(700), absl::Milliseconds(700)};
  for (int attempt = 1; attempt <= 5; ++attempt) {
    absl::Duration longest = absl::ZeroDuration();
    for (int i = 0; i < 2000; ++i) {
      absl::Duration d = BackoffBeforeAttempt(policy, attempt, rng);
      ASSERT_GE(d, absl::ZeroDuration());
      ASSERT_LE(d, caps[attempt - 1]) << attempt;
      longest = std::max(longest, d);
    }
    // Jittered over the whole range, not a fixed fraction of it.
    EXPECT_GT(longest, caps[attempt - 1] * 0.9) << attempt;
  }
  EXPECT_LE(BackoffBeforeAttempt(policy, 1000, rng), policy.max_backoff);
}

TEST(BackoffBeforeAttempt, ZeroBackoffNeverSleeps) {
  absl::BitGen rng;
  RetryPolicy policy;
  policy.initial_backoff = absl::ZeroDuration();
  EXPECT_EQ(BackoffBeforeAttempt(policy, 3, rng), absl::ZeroDuration());
}

}  // namespace
}  // namespace nitro_tss::aws
