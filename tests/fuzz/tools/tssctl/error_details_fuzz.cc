// Fuzzes tssctl's reading of a server's gRPC error details
// (DescribeErrorDetails, tools/tssctl/api_commands.h): any bytes give a
// (possibly empty) text and never crash; details that describe nothing give
// nothing.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tools/tssctl/api_commands.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string text = nitro_tss::tssctl::DescribeErrorDetails(bytes);
  if (size == 0 && !text.empty()) std::abort();
  return 0;
}
