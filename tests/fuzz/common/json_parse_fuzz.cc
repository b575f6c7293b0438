// Fuzzes the strict JSON parser (nlohmann-json's SAX parser plus our limit,
// duplicate-key, NUL and BOM checks in common/json.cc): any input must either
// be rejected with a status or parse to a value whose serialization re-parses
// to an equal value and serializes identically (the writer is deterministic).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  nitro_tss::json::ParseLimits limits;
  limits.max_input_bytes = 64 << 10;
  limits.max_depth = 32;
  auto parsed = nitro_tss::json::Parse(input, limits);
  if (!parsed.ok()) return 0;
  const std::string once = nitro_tss::json::Serialize(*parsed);
  auto again = nitro_tss::json::Parse(once, limits);
  if (!again.ok()) std::abort();
  if (!(*again == *parsed)) std::abort();
  if (nitro_tss::json::Serialize(*again) != once) std::abort();
  return 0;
}
