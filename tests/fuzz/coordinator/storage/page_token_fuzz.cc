// Page tokens come back from API clients: DecodePageToken must reject
// anything Encode did not produce, without crashing. Input: byte 0 picks
// the list (scope), the rest is the token text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "coordinator/storage/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::coordinator::storage::DecodePageToken;
  using nitro_tss::coordinator::storage::EncodePageToken;
  using nitro_tss::coordinator::storage::PageTokenScope;
  if (size < 1) return 0;
  const auto scope = static_cast<PageTokenScope>(1 + data[0] % 5);
  const std::string token(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::StatusOr<std::string> name = DecodePageToken(token, scope);
  if (name.ok()) {
    // Only canonical tokens decode: re-encoding gives the input back.
    if (EncodePageToken(scope, *name) != token) std::abort();
  }
  return 0;
}
