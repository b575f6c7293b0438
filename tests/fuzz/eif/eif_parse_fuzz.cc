// Fuzzes the EIF parser and, for images it accepts, the PCR computation
// (which decodes the CBOR signature section and its DER certificate).
#include <cstddef>
#include <cstdint>

#include "node/eif/eif.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nitro_tss::eif::EifParseLimits limits;
  limits.max_image_bytes = 1 << 20;
  absl::StatusOr<nitro_tss::eif::EifImage> image = nitro_tss::eif::ParseEif(
      absl::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (image.ok()) {
    (void)nitro_tss::eif::ComputeEifPcrs(*image);
  }
  return 0;
}
