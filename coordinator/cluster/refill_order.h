// The order in which the presignature refill serves pools (Orchestrator::
// RefillPools): one presign run at a time, always for the emptiest pool, so
// that with several keys (or signer sets) a pool drained by a burst is
// refilled before another is topped up, and no key waits for another's
// whole pool (a pool of 1,000 takes minutes to fill).
#ifndef NITRO_TSS_COORDINATOR_CLUSTER_REFILL_ORDER_H_
#define NITRO_TSS_COORDINATOR_CLUSTER_REFILL_ORDER_H_

#include <cstddef>
#include <optional>

#include "absl/types/span.h"

namespace nitro_tss::coordinator {

// One pool as the refill sees it.
struct PoolFill {
  size_t size = 0;    // presignatures ready now
  bool skip = false;  // left for the refill's next call (yielded, failed)
};

// The index of the pool to run the next presign for: the smallest `size`
// below `target` among the pools not skipped; on a tie the lowest index
// (the order the caller lists them in). nullopt when every pool is full or
// skipped (the refill's call is over).
std::optional<size_t> NextPoolToRefill(absl::Span<const PoolFill> pools,
                                       size_t target);

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_CLUSTER_REFILL_ORDER_H_
