// Fuzzes the strict decoding of every GG20 round payload. Input layout:
// byte 0 selects the payload kind (mod PayloadKind::kCount), byte 1 the
// threshold (mod 16), the rest is the payload.
#include <cstdint>
#include <cstdlib>

#include "mpc/gg20/payloads.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::mpc::gg20::CheckPayloadSyntax;
  using nitro_tss::mpc::gg20::PayloadKind;
  if (size < 2) return 0;
  auto kind = static_cast<PayloadKind>(
      data[0] % static_cast<uint8_t>(PayloadKind::kCount));
  uint32_t threshold = data[1] % 16;
  absl::Status st = CheckPayloadSyntax(
      kind, absl::Span<const uint8_t>(data + 2, size - 2), threshold);
  if (!st.ok() && st.message().empty()) std::abort();
  return 0;
}
