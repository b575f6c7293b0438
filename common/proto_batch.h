// Batching queued items into one protobuf message with a repeated `items`
// field (header only): the Sessions stream of the enclave service
// (protos/nitro_tss/enclave/v1), at both of its ends.
#ifndef NITRO_TSS_COMMON_PROTO_BATCH_H_
#define NITRO_TSS_COMMON_PROTO_BATCH_H_

#include <cstddef>
#include <deque>
#include <utility>

namespace nitro_tss {

// Moves the oldest queued items into `msg`: at least one (if any), at most
// `max_items`, and beyond the first no more than `max_bytes` in all.
template <typename Message, typename Item>
void TakeProtoBatch(std::deque<Item>& queue, int max_items, size_t max_bytes,
                    Message* msg) {
  size_t bytes = 0;
  while (!queue.empty() && msg->items_size() < max_items) {
    const size_t size = queue.front().ByteSizeLong();
    if (msg->items_size() > 0 && bytes + size > max_bytes) break;
    bytes += size;
    *msg->add_items() = std::move(queue.front());
    queue.pop_front();
  }
}

}  // namespace nitro_tss

#endif  // NITRO_TSS_COMMON_PROTO_BATCH_H_
