// How the AWS clients (S3 here, KMS in node/kms) retry a retryable answer:
// up to max_attempts tries, sleeping before each retry for a uniformly
// random time in [0, min(max_backoff, initial_backoff · 2^(retry - 1))]
// ("full jitter", as the AWS SDKs do), so that clients that failed together
// do not retry together.
#ifndef NITRO_TSS_NODE_AWS_RETRY_H_
#define NITRO_TSS_NODE_AWS_RETRY_H_

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace nitro_tss::aws {

struct RetryPolicy {
  int max_attempts = 4;  // total attempts, >= 1
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
};

// The sleep before attempt `attempt` (0-based; 0 for the first attempt).
absl::Duration BackoffBeforeAttempt(const RetryPolicy& policy, int attempt,
                                    absl::BitGen& rng);

}  // namespace nitro_tss::aws

#endif  // NITRO_TSS_NODE_AWS_RETRY_H_
