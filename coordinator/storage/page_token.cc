#include "coordinator/storage/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "coordinator/storage/validation.h"

namespace nitro_tss::coordinator::storage {
namespace {

constexpr uint8_t kTokenVersion = 1;

absl::Status BadToken(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("page_token: ", why));
}

}  // namespace

absl::string_view PageTokenCollection(PageTokenScope scope) {
  switch (scope) {
    case PageTokenScope::kKeys:
      return "keys";
    case PageTokenScope::kNodes:
      return "nodes";
    case PageTokenScope::kOperationsAll:
    case PageTokenScope::kOperationsDone:
    case PageTokenScope::kOperationsNotDone:
      return "operations";
  }
  return "";
}

std::string EncodePageToken(PageTokenScope scope, absl::string_view last_name) {
  std::string raw;
  raw.reserve(2 + last_name.size());
  raw.push_back(static_cast<char>(kTokenVersion));
  raw.push_back(static_cast<char>(scope));
  raw.append(last_name.data(), last_name.size());
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            PageTokenScope scope) {
  if (token.empty()) return BadToken("empty");
  if (token.size() > kMaxPageTokenBytes) {
    return BadToken(
        absl::StrCat("longer than ", kMaxPageTokenBytes, " characters"));
  }
  for (char c : token) {
    const bool b64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!b64url) return BadToken("not unpadded base64url");
  }
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return BadToken("not unpadded base64url");
  }
  // Only the canonical text (zero trailing bits) is accepted.
  if (absl::WebSafeBase64Escape(raw) != token) {
    return BadToken("not canonical base64url");
  }
  if (raw.size() < 2) return BadToken("too short");
  if (static_cast<uint8_t>(raw[0]) != kTokenVersion) {
    return BadToken("unknown format version");
  }
  if (static_cast<uint8_t>(raw[1]) != static_cast<uint8_t>(scope)) {
    return BadToken("belongs to another list or filter");
  }
  std::string last_name = raw.substr(2);
  if (!internal::ValidateName("page_token", last_name,
                              PageTokenCollection(scope))
           .ok()) {
    return BadToken("does not carry a valid name");
  }
  return last_name;
}

}  // namespace nitro_tss::coordinator::storage
