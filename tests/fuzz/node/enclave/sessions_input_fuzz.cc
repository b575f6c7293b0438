// tss-enclave's Sessions stream (node/enclave/service.h): the bytes of one
// SessionsInput message as gRPC hands them over (at most 8 MiB), checked by
// CheckSessionsInput, then every item of an accepted message routed by
// RouteSessionsItem against a simulated stream (open ids, the highest id,
// the session limit, shutting down or not: the low bit of the input's
// length), as the service does. It must refuse bad input with a
// status and never crash; the stream's invariants must hold (never more
// open sessions than the limit, new ids only upwards, refusals with the
// codes enclave.proto documents).
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "node/enclave/service.h"

namespace {

using namespace nitro_tss;  // NOLINT
namespace ev1 = enclave::v1;

constexpr size_t kMaxSessions = 4;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > static_cast<size_t>(enclave::kMaxGrpcMessageBytes)) return 0;
  ev1::SessionsInput msg;
  if (!msg.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::Status checked = enclave::CheckSessionsInput(msg);
  if (!checked.ok()) {
    if (!absl::IsInvalidArgument(checked)) std::abort();
    return 0;
  }
  const bool shutting_down = (size & 1) != 0;
  std::set<uint64_t> open;
  uint64_t last_id = 0;
  for (const ev1::SessionsInputItem& item : msg.items()) {
    const bool is_open = open.count(item.id()) > 0;
    const enclave::SessionsItemRoute route = enclave::RouteSessionsItem(
        item, is_open, last_id, open.size(), kMaxSessions, shutting_down);
    switch (route.action) {
      case enclave::SessionsItemRoute::kToSession:
        if (!is_open) std::abort();
        // A close ends the session (as its strand does).
        if (item.has_close()) open.erase(item.id());
        break;
      case enclave::SessionsItemRoute::kIgnore:
        if (is_open || item.id() > last_id) std::abort();
        break;
      case enclave::SessionsItemRoute::kOpen:
        if (item.id() <= last_id || !item.input().has_start() ||
            open.size() >= kMaxSessions || shutting_down) {
          std::abort();
        }
        last_id = item.id();
        open.insert(item.id());
        break;
      case enclave::SessionsItemRoute::kRefuse:
        if (item.id() <= last_id || route.refusal.ok()) std::abort();
        if (!absl::IsInvalidArgument(route.refusal) &&
            !absl::IsFailedPrecondition(route.refusal) &&
            !absl::IsResourceExhausted(route.refusal) &&
            !(shutting_down && absl::IsUnavailable(route.refusal))) {
          std::abort();
        }
        last_id = item.id();
        break;
    }
  }
  return 0;
}
