// Fuzz target: the IMDS security-credentials document parser
// (node/aws/imds_credentials.h).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "node/aws/imds_credentials.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  auto c = nitro_tss::aws::ParseImdsCredentials(in);
  if (c.ok()) {
    if (!nitro_tss::aws::ValidateCredentials(c->credentials).ok()) abort();
    if (c->credentials.session_token.empty()) abort();
  }
  return 0;
}
