// Fuzzes tss-kms-local's HTTP/1.1 request parser: every input must be
// classified (incomplete, complete, error) without crashing; a complete
// request must have consumed a prefix of the input and respect the limits,
// and an error must carry a 4xx/5xx status.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tools/kms-local/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  nitro_tss::kms_local::HttpLimits limits;
  limits.max_request_line_bytes = 256;
  limits.max_header_count = 16;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 4096;
  using Kind = nitro_tss::kms_local::HttpParseResult::Kind;
  const auto r = nitro_tss::kms_local::ParseHttpRequest(input, limits);
  switch (r.kind) {
    case Kind::kComplete:
      if (r.consumed == 0 || r.consumed > input.size()) std::abort();
      if (r.request.body.size() > limits.max_body_bytes) std::abort();
      if (r.request.headers.size() > limits.max_header_count) std::abort();
      if (r.request.path.empty() || r.request.path[0] != '/') std::abort();
      break;
    case Kind::kError:
      if (r.error_status < 400 || r.error_status > 599) std::abort();
      break;
    case Kind::kIncomplete:
      break;
  }
  return 0;
}
