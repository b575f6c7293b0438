// Fuzz target: the share store's on-disk record decoder (node/store).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "node/store/share_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> in(data, size);
  absl::StatusOr<nitro_tss::store::StoredShare> rec =
      nitro_tss::store::DecodeRecord(in);
  if (rec.ok()) {
    // Canonical: re-encoding reproduces the input exactly.
    std::vector<uint8_t> again =
        nitro_tss::store::EncodeRecord(rec->epoch, rec->bytes);
    if (again != std::vector<uint8_t>(in.begin(), in.end())) abort();
  }
  return 0;
}
