#include "node/aws/retry.h"

#include <algorithm>
#include <cstdint>

namespace nitro_tss::aws {

absl::Duration BackoffBeforeAttempt(const RetryPolicy& policy, int attempt,
                                    absl::BitGen& rng) {
  if (attempt <= 0) return absl::ZeroDuration();
  absl::Duration cap =
      policy.initial_backoff * (1 << std::min(attempt - 1, 20));
  cap = std::min(cap, policy.max_backoff);
  const int64_t cap_us = absl::ToInt64Microseconds(cap);
  if (cap_us <= 0) return absl::ZeroDuration();
  return absl::Microseconds(
      absl::Uniform<int64_t>(absl::IntervalClosed, rng, 0, cap_us));
}

}  // namespace nitro_tss::aws
