#include "coordinator/cluster/refill_order.h"

namespace nitro_tss::coordinator {

std::optional<size_t> NextPoolToRefill(absl::Span<const PoolFill> pools,
                                       size_t target) {
  std::optional<size_t> best;
  for (size_t i = 0; i < pools.size(); ++i) {
    if (pools[i].skip || pools[i].size >= target) continue;
    if (!best.has_value() || pools[i].size < pools[*best].size) best = i;
  }
  return best;
}

}  // namespace nitro_tss::coordinator
