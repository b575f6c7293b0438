// Big-endian helpers shared by the channel implementation (not public API).
#ifndef NITRO_TSS_NODE_CHANNEL_ENCODING_INTERNAL_H_
#define NITRO_TSS_NODE_CHANNEL_ENCODING_INTERNAL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace nitro_tss::channel::internal {

inline void AppendU8(std::string& out, uint8_t v) { out.push_back(char(v)); }
inline void AppendU32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(char(v >> s));
}
inline void AppendU64(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(char(v >> s));
}
// A length-prefixed (u8) short field; callers guarantee size <= 255.
inline void AppendShort(std::string& out, absl::string_view v) {
  AppendU8(out, uint8_t(v.size()));
  out.append(v.data(), v.size());
}
inline absl::string_view AsView(const uint8_t* p, size_t n) {
  return absl::string_view(reinterpret_cast<const char*>(p), n);
}

}  // namespace nitro_tss::channel::internal

#endif  // NITRO_TSS_NODE_CHANNEL_ENCODING_INTERNAL_H_
