// Fuzzes the round-message envelope decoder: any input either fails with a
// status or decodes to a message that re-encodes to exactly the input.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "mpc/round/round.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::mpc::round::DecodeMessage;
  using nitro_tss::mpc::round::EncodeMessage;
  auto msg = DecodeMessage(absl::Span<const uint8_t>(data, size));
  if (msg.ok()) {
    std::vector<uint8_t> again = EncodeMessage(*msg);
    if (again != std::vector<uint8_t>(data, data + size)) std::abort();
  }
  return 0;
}
