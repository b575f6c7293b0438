// Page tokens of the Storage List calls (they reach clients through the
// API's next_page_token and come back from them, so decoding is strict).
//
// A token is the unpadded base64url encoding of:
//   byte 0      format version, 1
//   byte 1      the list it belongs to (PageTokenScope)
//   bytes 2..   the name of the last item of the previous page (a valid
//               name of that list's collection, see storage.h)
// Decode accepts exactly what Encode produces: the canonical base64url
// text (no padding, no whitespace, zero trailing bits), at most
// kMaxPageTokenBytes characters, the expected version and scope, a valid
// name of the scope's collection. Anything else (malformed, from another
// list or filter) is INVALID_ARGUMENT, with a message that never quotes the
// token.
#ifndef NITRO_TSS_COORDINATOR_STORAGE_PAGE_TOKEN_H_
#define NITRO_TSS_COORDINATOR_STORAGE_PAGE_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::coordinator::storage {

enum class PageTokenScope : uint8_t {
  kKeys = 1,
  kNodes = 2,
  kOperationsAll = 3,
  kOperationsDone = 4,
  kOperationsNotDone = 5,
};

inline constexpr size_t kMaxPageTokenBytes = 512;

// The collection a scope lists ("keys", "nodes", "operations").
absl::string_view PageTokenCollection(PageTokenScope scope);

// `last_name` must be a valid name of the scope's collection (checked by the
// caller; Decode checks it again).
std::string EncodePageToken(PageTokenScope scope, absl::string_view last_name);

// The last name carried by `token`, or INVALID_ARGUMENT.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            PageTokenScope scope);

}  // namespace nitro_tss::coordinator::storage

#endif  // NITRO_TSS_COORDINATOR_STORAGE_PAGE_TOKEN_H_
